"""Error reports without personal data: Sentry when SENTRY_DSN is set, else ADMINS by e-mail.

A report says which collectivité (its schema, as a tag), which request (its id, the same as
in the log line), what code failed and where; never what a family typed (request bodies,
query strings), who they are (e-mails, names, cookies, identifying headers) or the values
of local variables. The 500 page says the team was told only when a channel is configured.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpResponseServerError
from django.template.loader import render_to_string
from django.views import debug
from django.views.decorators.csrf import requires_csrf_token

from portal.observability import current_request_id, current_schema

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
EMAIL_MASK = "[adresse masquée]"
MASK = "[masqué]"
# Request headers that identify a person or a session.
IDENTIFYING_HEADERS = frozenset(
    {"cookie", "authorization", "proxy-authorization", "x-csrftoken", "x-forwarded-for"}
)
# request.META keys an e-mailed report keeps: the rest (IP address, user agent, cookies) is
# personal data or configuration.
KEPT_META = ("REQUEST_METHOD", "PATH_INFO", "SERVER_NAME", "HTTP_HOST", "CONTENT_TYPE")


def errors_reported() -> bool:
    """Tell whether a server error reaches someone (Sentry or the ADMINS mailbox)."""
    return bool(settings.SENTRY_DSN) or bool(settings.ADMINS)


def _scrub_text(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL_RE.sub(EMAIL_MASK, value)
    if isinstance(value, dict):
        return {key: _scrub_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_text(item) for item in value]
    return value


def sentry_before_send(event: dict, hint: dict | None = None) -> dict:
    """Drop what could identify a family from a Sentry event; tag the collectivité."""
    request = event.get("request")
    if request:
        request.pop("data", None)
        request.pop("cookies", None)
        request.pop("query_string", None)
        request.pop("env", None)
        headers = request.get("headers") or {}
        request["headers"] = {
            name: value
            for name, value in headers.items()
            if name.lower() not in IDENTIFYING_HEADERS
        }
    user = event.get("user")
    if user:
        # The account's id is enough to find it; e-mail, name and IP address are not sent.
        event["user"] = {"id": user["id"]} if user.get("id") else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    if breadcrumbs:
        values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
        for crumb in values or []:
            crumb.pop("data", None)  # SQL parameters, HTTP URLs with their query strings
            if crumb.get("category") != "query":
                crumb.pop("message", None)  # log messages may name someone
    event.pop("extra", None)
    tags = event.setdefault("tags", {})
    schema = current_schema()
    if schema:
        tags["collectivite"] = schema
    request_id = current_request_id()
    if request_id:
        tags["request_id"] = request_id
    return _scrub_text(event)


def sentry_init(dsn: str, *, environment: str, transport=None) -> None:
    """Start the Sentry SDK with Django and Celery, personal data off and scrubbed."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    options = {
        "dsn": dsn,
        "environment": environment,
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
        "before_send": sentry_before_send,
        "integrations": [
            DjangoIntegration(),
            CeleryIntegration(),
            # Errors logged (not raised) are reported too; lower levels become breadcrumbs.
            LoggingIntegration(event_level=None),
        ],
        "traces_sample_rate": 0.0,
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)


class PrivateExceptionReporter(debug.ExceptionReporter):
    """The report e-mailed to ADMINS, with the request's personal data masked.

    Django's own filter masks only the parameters a view declares sensitive; here every
    value a family sent is masked (the names of the fields stay, to help the diagnosis),
    the account appears by its id, and request.META keeps only non-identifying keys.
    """

    def get_traceback_data(self):
        data = super().get_traceback_data()
        request = self.request
        if request is None:
            return data
        user = getattr(request, "user", None)
        data["user_str"] = f"compte n° {user.pk}" if getattr(user, "pk", None) else ""
        for key in ("request_GET_items", "filtered_POST_items", "request_FILES_items"):
            if data.get(key) is not None:
                data[key] = [(name, MASK) for name, _ in data[key]]
        if data.get("request_COOKIES_items") is not None:
            data["request_COOKIES_items"] = [
                (name, MASK) for name, _ in data["request_COOKIES_items"]
            ]
        data["request_meta"] = {
            name: request.META[name] for name in KEPT_META if name in request.META
        }
        data["frames"] = [{**frame, "vars": []} for frame in data.get("frames", [])]
        if data.get("exception_value"):
            data["exception_value"] = _scrub_text(str(data["exception_value"]))
        return data


@requires_csrf_token
def server_error(request):
    """The 500 page: plain HTML, no database, and « prévenue » only if someone was."""
    body = render_to_string("500.html", {"reported": errors_reported()})
    return HttpResponseServerError(body)
