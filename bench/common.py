"""What the benchmarks share: Django set up, a production gunicorn, timed requests, the machine.

Not a benchmark itself (run.py runs files named bench_*.py).
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The TLS proxy's header: production redirects plain http, and trusts this one (settings).
HTTPS = {"X-Forwarded-Proto": "https"}
# One key for the benchmark's own process and its servers: sessions made here log in there.
SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-only-" + "k" * 50


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["SECRET_KEY"] = SECRET_KEY
    import django

    django.setup()
    from django.core.management import call_command

    # The public schema as the portal needs it, on a machine where `make run` never ran.
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def machine() -> dict:
    """The load average (1, 5, 15 min) and the CPU count, to read a figure beside."""
    return {"load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of ``values``, nearest rank."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 2)


def summary(timings: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": percentile(timings, 95),
        "p99_ms": percentile(timings, 99),
    }


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from portal import embedded_db

    return embedded_db.database_url()


def server_env(**extra: str) -> dict:
    """Production settings, as docker-compose.yml sets them, on this machine's servers."""
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        # Required in production; nothing here sends mail (no worker takes the e-mails).
        "EMAIL_HOST": "127.0.0.1",
        "BENCH_BARE_VIEW": "1",
        **extra,
    }


def collectstatic() -> None:
    """Production pages name hashed static files: collect them once (a few seconds)."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    newest = max(p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file())
    if manifest.exists() and manifest.stat().st_mtime > newest:
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=server_env(),
        check=True,
    )


def get(port: int, host: str, path: str, cookie: str = "") -> tuple[int, bytes, float]:
    """GET ``path`` once on a new connection; return status, body and milliseconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host, **HTTPS}
    if cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    reply = conn.getresponse()
    body = reply.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return reply.status, body, elapsed


@contextmanager
def gunicorn(workers: int = 2, env: dict | None = None) -> Iterator[int]:
    """Serve the portal with gunicorn (production settings) on a free port; yield it."""
    collectstatic()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env or server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, "localhost", "/sante/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def interleaved(
    port: int, host: str, paths: dict[str, str], cookie: str, requests: int, warm: int = 20
) -> dict[str, list[float]]:
    """Time ``requests`` GETs of each path, taking turns on one kept-alive connection, so
    that the machine's noise falls on each alike."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host, "Cookie": cookie, **HTTPS}
    timings: dict[str, list[float]] = {name: [] for name in paths}
    for n in range(warm + requests):
        for name, path in paths.items():
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            reply = conn.getresponse()
            reply.read()
            if reply.status != 200:
                raise RuntimeError(f"{path}: {reply.status}")
            if n >= warm:
                timings[name].append((time.perf_counter() - started) * 1000)
    conn.close()
    return timings


def session_cookie(user, host: str) -> str:
    """A logged-in session for ``user`` as the browser would hold it (test client login)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    connection.set_schema_to_public()
    return f"sessionid={client.cookies['sessionid'].value}"


def psycopg_dsn(settings: dict) -> str:
    """The connection string of Django's database settings, for raw psycopg or pg_dump.

    The embedded PostgreSQL is reached by its socket folder, given in OPTIONS.
    """
    parts = {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"] or settings.get("OPTIONS", {}).get("host", ""),
        "port": settings["PORT"],
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def pg_tool(name: str, settings: dict) -> str:
    """The PostgreSQL client ``name`` (pg_dump…) matching the server: the embedded server's
    own when it is the one in use (the system's may be older, and pg_dump refuses a newer
    server), else the one on PATH."""
    if not settings["HOST"] and settings.get("OPTIONS", {}).get("host"):
        import pgserver

        embedded = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
        if embedded.exists():
            return str(embedded)
    return name
