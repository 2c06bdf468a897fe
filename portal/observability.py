"""One log line per request and per Celery task, and the request id that ties them together.

Logs go through the standard ``logging`` module that Django, Celery and gunicorn already use;
``python-json-logger`` only formats the records (JSON in production, a readable line in
development: settings ``LOGGING``). What a line says about its context (request id,
collectivité schema, account id) comes from context variables that this module sets and
``ContextFilter`` copies onto every record, so a warning logged deep in a service carries
the same request id as the request's own line.

Never logged: e-mails, names, query strings (activation codes, e-mails in links), request
bodies. Accounts appear by their numeric id only.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.utils.functional import empty

REQUEST_ID_HEADER = "X-Request-ID"
# What a client or a proxy may send as its own id: letters, digits and . _ : - only, so a
# forged header can neither break a log line nor carry a long payload.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,99}$")
# The Celery message header that carries the id of the request that queued a task.
TASK_HEADER = "request_id"
# URL parameters that are secrets (password reset links): the route is logged instead.
SECRET_URL_KWARGS = frozenset({"token", "uidb64"})

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
account_id_var: ContextVar[int | None] = ContextVar("account_id", default=None)

request_logger = logging.getLogger("portal.request")
task_logger = logging.getLogger("portal.task")


def current_request_id() -> str | None:
    return request_id_var.get()


def request_id_from(value: str | None) -> str:
    """Return ``value`` if it is a well-formed request id, else a new one."""
    if value and REQUEST_ID_RE.match(value):
        return value
    return uuid.uuid4().hex


def current_schema() -> str | None:
    return getattr(connection, "schema_name", None)


class ContextFilter(logging.Filter):
    """Copy the request id, schema and account id onto every record that lacks them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "schema"):
            record.schema = current_schema()
        if not hasattr(record, "account_id"):
            record.account_id = account_id_var.get()
        return True


class ReadableFormatter(logging.Formatter):
    """Development: one readable line, with the context fields that a record carries."""

    FIELDS = (
        "request_id",
        "schema",
        "account_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "queries",
        "task",
        "task_id",
        "outcome",
    )

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [
            f"{name}={getattr(record, name)}"
            for name in self.FIELDS
            if getattr(record, name, None) is not None
        ]
        return f"{line} [{' '.join(extras)}]" if extras else line


class _QueryCounter:
    """An execute wrapper that counts statements: one integer increment per query."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _account_id(request) -> int | None:
    """Return the logged-in account's id without running a query for it.

    The account is read only if the request already loaded it (or its session): a page that
    never looked at the user must not pay a query for the log line.
    """
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", empty)
    if wrapped is not empty and wrapped is not None:
        return wrapped.pk if wrapped.is_authenticated else None
    session = getattr(request, "session", None)
    if session is not None and getattr(session, "_session_cache", None) is not None:
        value = session.get(SESSION_KEY)
        return int(value) if value and str(value).isdigit() else None
    return None


def _logged_path(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and SECRET_URL_KWARGS & set(match.kwargs):
        return "/" + match.route
    return request.path


class RequestLogMiddleware:
    """Give each request an id, count its queries, and log one line when it is answered.

    Placed second (after the health checks, which are polled every second and not logged),
    so the duration covers the tenant lookup, the session and every other middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        counter = _QueryCounter()
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(counter):
                response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            status = response.status_code
            level = (
                logging.ERROR
                if status >= 500
                else logging.WARNING
                if status >= 400
                else logging.INFO
            )
            request_logger.log(
                level,
                "%s %s %s",
                request.method,
                _logged_path(request),
                status,
                extra={
                    "request_id": request_id,
                    "schema": current_schema(),
                    "account_id": _account_id(request),
                    "method": request.method,
                    "path": _logged_path(request),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "queries": counter.count,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


# Celery: the request id travels in the message headers; each task logs one line.

_task_started: dict[str, tuple[float, str | None, object]] = {}


def task_publish_add_request_id(headers=None, **kwargs) -> None:
    """before_task_publish: put the current request id in the message headers."""
    request_id = request_id_var.get()
    if headers is not None and request_id and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def _task_request_id(task) -> str | None:
    # The Redis transport merges custom headers into the request; eager runs keep them in
    # request.headers; an eager run also still sees the request's own context variable.
    request = task.request
    value = (getattr(request, "headers", None) or {}).get(TASK_HEADER) or request.get(TASK_HEADER)
    return value or request_id_var.get()


def task_prerun_start(task_id=None, task=None, **kwargs) -> None:
    request_id = _task_request_id(task)
    token = request_id_var.set(request_id)
    # The schema is read now: tenant-schemas-celery switched to it before us, and switches
    # back before task_postrun reaches us.
    _task_started[task_id] = (time.perf_counter(), current_schema(), token)


def task_postrun_log(task_id=None, task=None, state=None, **kwargs) -> None:
    started, schema, token = _task_started.pop(task_id, (None, None, None))
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    outcome = state or "UNKNOWN"
    task_logger.log(
        logging.ERROR if outcome == "FAILURE" else logging.INFO,
        "task %s %s",
        task.name,
        outcome,
        extra={
            "request_id": request_id_var.get(),
            "schema": schema,
            "account_id": None,
            "task": task.name,
            "task_id": task_id,
            "duration_ms": duration,
            "outcome": outcome,
        },
    )
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:
            # A token from another context (an eager task run by a thread): set, not reset.
            request_id_var.set(None)


def celery_signals_connect() -> None:
    """Connect the Celery signals above (idempotent: fixed dispatch ids)."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(
        task_publish_add_request_id, weak=False, dispatch_uid="ef_request_id_publish"
    )
    task_prerun.connect(task_prerun_start, weak=False, dispatch_uid="ef_task_log_start")
    task_postrun.connect(task_postrun_log, weak=False, dispatch_uid="ef_task_log_end")
