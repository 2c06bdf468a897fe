"""Embedded PostgreSQL for machines that have no DATABASE_URL.

The server comes from the ``pgserver`` wheel, keeps its data under ``.data/pg`` and listens on a
Unix socket only. It is started once and reused by every later process (web, worker, tests);
``stop`` shuts it down cleanly. Nothing here is used when ``DATABASE_URL`` is set.

Run as a module: ``python -m portal.embedded_db start|stop|status|url``.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("EF_DATA_DIR", BASE_DIR / ".data"))
PGDATA = DATA_DIR / "pg"
DATABASE_NAME = "espacefamille"

# Settings the embedded server gets on its first start: a development database trades crash
# durability for speed (tests create and drop schemas by the hundred).
_DEV_CONF = """
# Espace Famille development settings (embedded server only)
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
"""


def _pgserver():
    # pgserver warns on every import when XDG_RUNTIME_DIR is unset; the fallback it picks is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver.utils import PostmasterInfo
    return pgserver, PostmasterInfo


def _running_info(pgdata: Path = PGDATA):
    """Return the postmaster info of a running server on ``pgdata``, or None."""
    _, postmaster_info = _pgserver()
    if not (pgdata / "postmaster.pid").exists():
        return None
    info = postmaster_info.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info


def _url(info, database: str) -> str:
    return f"postgresql://postgres@/{database}?host={info.socket_dir}"


def start(pgdata: Path = PGDATA, database: str = DATABASE_NAME) -> tuple[str, bool]:
    """Start the server on ``pgdata`` unless it runs; return (url, started_now)."""
    info = _running_info(pgdata)
    if info is not None:
        return _url(info, database), False
    pgserver, _ = _pgserver()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    first_start = not (pgdata / "PG_VERSION").exists()
    if first_start:
        # initdb, append our settings, then start for real below.
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        with (pgdata / "postgresql.conf").open("a") as conf:
            conf.write(_DEV_CONF)
        _stop_server(server)
        pgserver.postgres_server.PostgresServer._instances.pop(pgdata.resolve(), None)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    _ensure_database(info, database)
    return _url(info, database), True


def _stop_server(server) -> None:
    from pgserver._commands import pg_ctl

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def _ensure_database(info, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_url(info, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def stop(pgdata: Path = PGDATA) -> bool:
    """Stop the server on ``pgdata`` if it runs; return whether it was running."""
    if _running_info(pgdata) is None:
        return False
    from pgserver._commands import pg_ctl

    user = "pgserver" if os.name == "posix" and os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def database_url() -> str:
    """Return the URL of the embedded database, starting the server if needed."""
    return start()[0]


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        url, started = start()
        print(("Started" if started else "Already running") + f": embedded PostgreSQL at {url}")
    elif command == "stop":
        print("Stopped embedded PostgreSQL." if stop() else "Embedded PostgreSQL was not running.")
    elif command == "url":
        print(database_url())
    elif command == "status":
        info = _running_info()
        print(f"running: {_url(info, DATABASE_NAME)}" if info else "stopped")
        return 0 if info else 1
    else:
        print(f"usage: python -m portal.embedded_db start|stop|status|url (not {command!r})")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
