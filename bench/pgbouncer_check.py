"""PgBouncer in front of PostgreSQL: session pooling keeps each collectivité's schema,
transaction pooling leaks it from one connection to another.

    apt-get install pgbouncer          # Debian's package
    python bench/pgbouncer_check.py

Starts PgBouncer on a free loopback port (a configuration of its own, in a temporary
folder), once in each mode, in front of the development database:

1. Two client connections choose two schemas as django-tenants does (``SET search_path``,
   once per connection: TENANT_LIMIT_SET_CALLS), through a pool of ONE server connection
   in transaction mode, then of two in session mode; each then asks which schema it is in.
2. Session mode only: gunicorn (production settings, 2 workers) with DATABASE_URL through
   PgBouncer serves the Vue Période of a throw-away collectivité 200 times, then the same
   numbers straight to PostgreSQL.

Not part of ``make bench`` (it needs the package); docs/scaling.md quotes its output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from common import (
    database_url,
    django_setup,
    free_port,
    gunicorn,
    interleaved,
    machine,
    server_env,
    session_cookie,
    summary,
)

HOST = "bench-pgbouncer.localhost"
SCHEMA = "bench_pgbouncer"


@contextmanager
def pgbouncer(mode: str, pool_size: int):
    """Run PgBouncer in ``mode`` in front of the development database; yield its URL."""
    import dj_database_url

    db = dj_database_url.parse(database_url())
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        user = db["USER"] or "postgres"
        (Path(folder) / "users.txt").write_text(f'"{user}" "{db["PASSWORD"] or ""}"\n')
        (Path(folder) / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{db['NAME']} = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}"
            f" dbname={db['NAME']}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
            "unix_socket_dir =\n"
            f"auth_type = {'trust' if not db['PASSWORD'] else 'plain'}\n"
            f"auth_file = {folder}/users.txt\n"
            f"pool_mode = {mode}\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
            # Django sends its options (timeouts) at connection: let them through.
            "ignore_startup_parameters = options,extra_float_digits\n"
        )
        # PgBouncer refuses to run as root: as root, it switches to the postgres account,
        # which must read its folder.
        command = ["pgbouncer", f"{folder}/pgbouncer.ini"]
        if os.geteuid() == 0:
            os.chmod(folder, 0o755)  # noqa: S103 (a throw-away folder it must read)
            for path in Path(folder).iterdir():
                path.chmod(0o644)
            command[1:1] = ["-u", "postgres"]
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
            yield f"postgres://{user}{password}@127.0.0.1:{port}/{db['NAME']}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def schemas_seen(url: str) -> dict:
    """Two connections set two schemas, then each says which one it is in."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as one, psycopg.connect(url, autocommit=True) as two:
        one.execute("SET search_path = alpha_schema, public")
        two.execute("SET search_path = beta_schema, public")
        first = one.execute("SHOW search_path").fetchone()[0]
        second = two.execute("SHOW search_path").fetchone()[0]
    return {"first_set_alpha_sees": first, "second_set_beta_sees": second}


def main() -> int:
    if shutil.which("pgbouncer") is None:
        print("pgbouncer is not installed: apt-get install pgbouncer")
        return 1
    django_setup()
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from portal.scale import scale_drop, scale_fill
    from tenants.services import collectivite_create

    results: dict = {}
    with pgbouncer("transaction", pool_size=1) as url:
        results["transaction"] = schemas_seen(url)
    with pgbouncer("session", pool_size=10) as url:
        results["session"] = schemas_seen(url)
        scale_drop(SCHEMA)
        tenant = collectivite_create(schema_name=SCHEMA, name="BENCH PGBOUNCER", domain=HOST)
        try:
            today = timezone.localdate()
            monday = today - dt.timedelta(days=today.weekday())
            scale_fill(
                tenant, children=200, foyers=100, weeks=6, start=monday, today=today, accounts=1
            )
            connection.set_schema_to_public()
            user = get_user_model().objects.get(email="parent-bench-pgbouncer-0001@echelle.test")
            cookie = session_cookie(user, HOST)
            paths = {"grid": "/reservations/", "bare": "/__bench/nu/"}
            for name, env in (
                ("through_pgbouncer_session", server_env(DATABASE_URL=url)),
                ("straight_to_postgresql", server_env()),
            ):
                with gunicorn(workers=2, env=env) as port:
                    timings = interleaved(port, HOST, paths, cookie, 200)
                results[name] = {
                    "grid_p95_ms": summary(timings["grid"])["p95_ms"],
                    "bare_p95_ms": summary(timings["bare"])["p95_ms"],
                    "requests_ok": len(timings["grid"]) + len(timings["bare"]),
                }
        finally:
            connection.set_schema_to_public()
            scale_drop(SCHEMA)
    results.update(machine())
    print(json.dumps(results, indent=2))
    leak = results["transaction"]["first_set_alpha_sees"].startswith("beta")
    kept = results["session"]["first_set_alpha_sees"].startswith("alpha")
    print(
        f"transaction pooling: {'LEAKS the schema' if leak else 'kept the schema'}; "
        f"session pooling: {'keeps each schema' if kept else 'LEAKED'}"
    )
    return 0 if kept else 1


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent.parent)
    sys.exit(main())
