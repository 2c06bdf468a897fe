"""One JSON line per request and per task, with the request id carried into the tasks."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from portal import observability
from portal.celery import app
from portal.tasks import email_resend_pending_task
from tenants.services import adhesion_add
from tests.factories import UserFactory

REQUEST_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "schema",
    "account_id",
    "path",
    "method",
    "status",
    "duration_ms",
    "queries",
}


@pytest.fixture
def json_lines():
    """Capture portal.request and portal.task through the production JSON formatter."""
    options = {k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(observability.ContextFilter())
    loggers = [logging.getLogger("portal.request"), logging.getLogger("portal.task")]
    for logger in loggers:
        logger.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_request_logs_one_json_line_with_every_field(
    tenant_a, client_a, json_lines, django_assert_max_num_queries
):
    user = UserFactory(email="marie.curie@exemple.test", first_name="Marie")
    adhesion_add(user=user, collectivite=tenant_a)
    client_a.force_login(user)
    client_a.get("/actualites/")
    with django_assert_max_num_queries(20) as captured:
        response = client_a.get("/actualites/?email=marie.curie@exemple.test", HTTP_X_REQUEST_ID="")
    line = json_lines()[-1]
    assert line.keys() >= REQUEST_FIELDS
    assert line["logger"] == "portal.request"
    assert line["level"] == "INFO"
    assert line["schema"] == "alpha"
    assert line["account_id"] == user.pk
    assert line["path"] == "/actualites/"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["queries"] == len(captured.captured_queries)
    assert isinstance(line["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", line["time"])
    assert line["request_id"] == response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    raw = json.dumps(json_lines())
    assert "marie" not in raw.lower()


def test_an_anonymous_page_pays_no_query_for_its_log_line(
    client_a, json_lines, django_assert_num_queries
):
    client_a.get("/")  # the host lookup is cached from here on
    # The home page's own two queries (tests/portal/test_pages.py): the line adds none.
    with django_assert_num_queries(2):
        client_a.get("/")
    line = json_lines()[-1]
    assert line["account_id"] is None
    assert line["queries"] == 2


def test_a_well_formed_request_id_is_kept_and_a_forged_one_replaced(client_a, json_lines):
    response = client_a.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"
    assert json_lines()[-1]["request_id"] == "lb-7f3a9c2e-0001"

    forged = 'x" injected\nline'
    response = client_a.get("/", HTTP_X_REQUEST_ID=forged)
    assert response["X-Request-ID"] != forged
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_secret_url_parts_are_logged_as_their_route(public_client, json_lines):
    public_client.get("/mot-de-passe/nouveau/MTIz/abc-0123456789abcdef/")
    line = json_lines()[-1]
    assert "0123456789abcdef" not in json.dumps(line)
    assert line["path"] == "/mot-de-passe/nouveau/<uidb64>/<token>/"


def test_client_errors_log_a_warning_on_the_public_host(public_client, json_lines):
    public_client.get("/nulle-part/")
    line = json_lines()[-1]
    assert (line["status"], line["level"], line["schema"]) == (404, "WARNING", "public")


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_published_task_carries_the_request_id_in_its_headers():
    """Through the broker (memory transport here): the header is on the message itself."""
    queue_name = f"{app.conf.task_default_queue}-request-id"
    token = observability.request_id_var.set("req-publie-0001")
    try:
        app.send_task(
            "portal.tasks.email_resend_pending_task", queue=queue_name, routing_key=queue_name
        )
    finally:
        observability.request_id_var.reset(token)
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue(queue_name)
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert message.headers["request_id"] == "req-publie-0001"


def test_a_worker_logs_the_task_with_the_request_id_of_its_headers(tenant_a, in_tenant, json_lines):
    # What a worker does with a message: tenant-schemas-celery's schema header and ours.
    with in_tenant(tenant_a):
        email_resend_pending_task.apply(headers={"request_id": "req-worker-0001"})
    line = json_lines()[-1]
    assert line["logger"] == "portal.task"
    assert line["task"] == "portal.tasks.email_resend_pending_task"
    assert line["request_id"] == "req-worker-0001"
    assert line["schema"] == "alpha"
    assert line["outcome"] == "SUCCESS"
    assert line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float)
    assert line["task_id"]
    # The worker's context is clean for the next task.
    assert observability.current_request_id() is None


def test_development_lines_are_readable():
    formatter = observability.ReadableFormatter("%(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord("portal.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.request_id, record.schema, record.status = "abc", "alpha", 200
    assert formatter.format(record) == (
        "INFO portal.request: GET / 200 [request_id=abc schema=alpha status=200]"
    )
