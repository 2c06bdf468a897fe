"""Health endpoints for load balancers and container healthchecks, answered before routing.

``/sante/`` (liveness) says the process answers. ``/sante/pret/`` (readiness) checks
PostgreSQL, the migrations, Redis when configured, and the private storage. Both are
answered by the first middleware, before the tenant lookup and ALLOWED_HOSTS: a balancer
polls by IP address or any host name, and gets the same JSON. Nothing personal and no
configuration value (URL, path, host) is ever in an answer: only each check's name and
« ok » or why it failed.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger("portal.health")

LIVE_PATHS = frozenset({"/sante/", "/sante"})
READY_PATHS = frozenset({"/sante/pret/", "/sante/pret"})
OK = "ok"
DOWN = "indisponible"
NOT_CONFIGURED = "non configuré"
BEHIND = "en retard"


def check_postgresql() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


class _MigrationState:
    """The code's migration leaves, read once, and whether the database has them, cached.

    Reading the migration files costs tens of milliseconds and never changes while the
    process runs; the applied set changes only during a deployment, so it is asked again
    after HEALTH_MIGRATIONS_CACHE_SECONDS: polling every second costs one query in that many.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leaves: set[tuple[str, str]] | None = None
        self._checked_at = 0.0
        self._result = BEHIND

    def leaves(self) -> set[tuple[str, str]]:
        if self._leaves is None:
            graph = MigrationLoader(None, ignore_no_migrations=True).graph
            self._leaves = set(graph.leaf_nodes())
        return self._leaves

    def check(self) -> str:
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at < settings.HEALTH_MIGRATIONS_CACHE_SECONDS:
                return self._result
            # django_migrations of the public schema: migrate_schemas records every app's
            # migrations there first, then in each collectivité's schema.
            connection.set_schema_to_public()
            applied = set(MigrationRecorder(connection).applied_migrations())
            self._result = OK if self.leaves() <= applied else BEHIND
            self._checked_at = now
            return self._result

    def forget(self) -> None:
        with self._lock:
            self._checked_at = 0.0


migration_state = _MigrationState()


def check_migrations() -> str:
    return migration_state.check()


_redis_clients: dict[str, object] = {}


def check_redis() -> str:
    url = settings.REDIS_URL
    if not url:
        return NOT_CONFIGURED
    import redis

    client = _redis_clients.get(url)
    if client is None:
        timeout = settings.HEALTH_REDIS_TIMEOUT_SECONDS
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        _redis_clients[url] = client
    client.ping()
    return OK


def check_storage() -> str:
    """Write and delete a small file where attachments go (local disk or bucket)."""
    from django.core.files.base import ContentFile

    from portal.storage import private_storage

    storage = private_storage()
    name = storage.save(f".sante-{uuid.uuid4().hex}", ContentFile(b"ok"))
    storage.delete(name)
    return OK


# Name shown in the answer -> check. A check returns its state or raises.
READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "postgresql": check_postgresql,
    "migrations": check_migrations,
    "redis": check_redis,
    "stockage": check_storage,
}
# A check that answers one of these is not a failure.
PASSING = frozenset({OK, NOT_CONFIGURED})


def readiness() -> tuple[bool, dict[str, str]]:
    """Run every check; return whether all pass and each one's state."""
    states: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            states[name] = check()
        except Exception as error:  # any failure means « not ready », named below
            # The exception's class only: its text may carry a URL with a password.
            logger.warning("readiness check %s failed: %s", name, type(error).__name__)
            states[name] = DOWN
    return all(state in PASSING for state in states.values()), states


def _answer(request, status: int, body: dict) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"statut": "méthode non permise"}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answer /sante/ and /sante/pret/ on any host, before any other middleware.

    Query parameters are ignored (the path alone is matched) and no session, tenant or
    account is looked at.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path in LIVE_PATHS:
            return _answer(request, 200, {"statut": OK})
        if path in READY_PATHS:
            ready, states = readiness()
            failed = [name for name, state in states.items() if state not in PASSING]
            body = {"statut": OK if ready else DOWN, "verifications": states}
            if failed:
                body["echecs"] = failed
            return _answer(request, 200 if ready else 503, body)
        return self.get_response(request)
