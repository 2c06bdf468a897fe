"""Redis stopped while the portal runs: pages answer, bookings validate, e-mails go out once.

The test owns its Redis (a private redis-server on a free port, tests/security/servers.py):
the machine's shared Redis is never touched.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, connections
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from families.models import Child, Foyer
from portal.celery import app
from portal.models import OutgoingEmail
from portal.tasks import email_resend_pending_task
from reservations.calendar import ClosureCalendar
from reservations.models import Booking, BookingState, Prestation, Service
from reservations.services.validation import cart_validate
from tenants.models import Adhesion, Collectivite
from tenants.services import adhesion_add
from tests.cleanup import bookings_purge
from tests.conftest import TEST_COLLECTIVITES
from tests.factories import DEFAULT_PASSWORD
from tests.security.servers import PrivateRedis

EMAIL = "famille.panne@exemple.test"
PAGES = ["/", "/actualites/", "/mon-compte/", "/demandes/", "/contacts/", "/reservations/"]
# A page that waits on a dead Redis would show here: each answers well within this.
MAX_SECONDS_PER_PAGE = 2.0


def _drop_broker_pools() -> None:
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.close()


@pytest.fixture
def broker(redis_server):
    """Point Celery and the cache at the private Redis, as production settings do."""
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=redis_server.url, task_always_eager=False, result_backend=None)
    _drop_broker_pools()
    caches = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # No in-process fallback: an unqueued e-mail must wait in the journal for the requeue.
    with override_settings(CACHES=caches, CELERY_INPROCESS_FALLBACK=False):
        yield redis_server
    app.conf.update(saved)
    _drop_broker_pools()


@pytest.fixture
def family(django_db_setup, django_db_blocker):
    """Committed: an account, its foyer and child at Alpha, one booking in the cart."""
    day = dt.date.today() + dt.timedelta(days=60)
    while not ClosureCalendar(zone=None).is_open(day):
        day += dt.timedelta(days=1)
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        user = get_user_model().objects.create_user(email=EMAIL, password=DEFAULT_PASSWORD)
        adhesion_add(user=user, collectivite=alpha)
        with tenant_context(alpha):
            service = Service.objects.create(
                name="PANNE", billing_mode="postfacturation", closed_during_school_holidays=False
            )
            prestation = Prestation.objects.create(
                service=service,
                name="CANTINE PANNE",
                weekdays=[1, 2, 3, 4, 5],
                capacity=10,
                booking_rule="days_before",
                rule_days_before=1,
                rule_time=dt.time(17),
            )
            foyer = Foyer.objects.create(name="PANNE", user=user, email=EMAIL)
            child = Child.objects.create(
                foyer=foyer, last_name="PANNE", first_name="Léo", birth_date="2017-01-01", sexe="G"
            )
            Booking.objects.create(child=child, prestation=prestation, day=day)
        connection.set_schema_to_public()
        yield alpha, foyer
        OutgoingEmail.objects.filter(recipient=EMAIL).delete()
        with tenant_context(alpha):
            bookings_purge(Booking.objects.filter(prestation=prestation))
            child.delete()
            foyer.delete()
            prestation.delete()
            service.delete()
        connection.set_schema_to_public()
        Adhesion.objects.filter(user=user).delete()
        user.delete()


def _browse(client: Client) -> dict[str, tuple[int, float]]:
    seen = {}
    for path in PAGES:
        start = time.monotonic()
        status = client.get(path).status_code
        seen[path] = (status, time.monotonic() - start)
    return seen


@pytest.mark.redis
def test_redis_stopped_mid_run(broker, family, django_db_blocker):
    alpha, foyer = family
    host = TEST_COLLECTIVITES["alpha"]["domain"]
    sent = threading.Event()

    def record(sender=None, **kwargs):
        connections.close_all()  # the worker thread's connection, before the test db is dropped
        if sender.name == "portal.tasks.email_send_task":
            sent.set()

    with django_db_blocker.unblock():
        client = Client(HTTP_HOST=host)
        assert (
            client.post(
                "/connexion/", {"username": EMAIL, "password": DEFAULT_PASSWORD}
            ).status_code
            == 302
        )
        assert client.get("/").status_code == 200  # cache warm: host and session in Redis

        broker.stop()

        pages = _browse(client)
        assert {path: status for path, (status, _) in pages.items()} == dict.fromkeys(PAGES, 200)
        assert max(seconds for _, seconds in pages.values()) < MAX_SECONDS_PER_PAGE, pages
        # A new login while Redis is down: the session lives in the database.
        other = Client(HTTP_HOST=host)
        assert (
            other.post("/connexion/", {"username": EMAIL, "password": DEFAULT_PASSWORD}).status_code
            == 302
        )
        assert other.get("/mon-compte/").status_code == 200

        with tenant_context(alpha):
            start = time.monotonic()
            validated = cart_validate(foyer=foyer)  # on_commit publishes to the dead broker
            elapsed = time.monotonic() - start
            assert [b.state for b in validated] == [BookingState.VALIDATED]
        connection.set_schema_to_public()
        assert elapsed < 5, f"validation waited {elapsed:.1f} s for the broker"
        journal = OutgoingEmail.objects.get(recipient=EMAIL)
        assert journal.sent_at is None  # kept in the journal, not lost
        assert mail.outbox == []

        broker.start()  # empty: whatever was in Redis before is gone
        task_postrun.connect(record, weak=False)
        try:
            with start_worker(
                app, pool="solo", perform_ping_check=False, queues=[app.conf.task_default_queue]
            ):
                assert email_resend_pending_task(older_than_seconds=0) == 1
                assert sent.wait(timeout=30), "the requeued e-mail was not sent"
                # Requeued again before anyone looks: the row is sent, nothing more goes out.
                assert email_resend_pending_task(older_than_seconds=0) == 0
        finally:
            task_postrun.disconnect(record)
        journal.refresh_from_db()
        assert journal.sent_at is not None
        assert [m.to for m in mail.outbox] == [[EMAIL]]


@pytest.mark.django_db(transaction=False)
def test_the_in_process_fallback_is_decided_at_each_call(django_capture_on_commit_callbacks):
    """Development: a broker that went away after start-up sends the e-mail in-process."""
    from tests.security.servers import free_port

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    _drop_broker_pools()
    try:
        with override_settings(CELERY_INPROCESS_FALLBACK=True):
            from portal.services import email_queue

            start = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                email = email_queue(to="repli@exemple.test", subject="S", body="B", key="repli")
            assert time.monotonic() - start < 5
    finally:
        app.conf.update(saved)
        _drop_broker_pools()
    email.refresh_from_db()
    assert email.sent_at is not None
    assert [m.to for m in mail.outbox] == [["repli@exemple.test"]]
