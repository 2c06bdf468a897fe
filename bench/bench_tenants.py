"""tenants: 1 000 collectivités: creating them, migrating them, routing to them.

- ``create_migrate_s_each``: one collectivité created as the product does
  (tenants.services.collectivite_create: CREATE SCHEMA, then every migration), and
  ``migrate_parallel_s_each``: BENCH_TENANTS_MIGRATED more (default 2) migrated from empty
  by ``migrate_schemas --executor=multiprocessing``, per collectivité; ``create_migrate_1000_est_s``
  is 1 000 of them at that pace.
- ``clone_s_each``: django-tenants' clone_schema (TENANT_BASE_SCHEMA) of the first one, and
  whether the clone is identical to a migrated schema (``clone_identical``: its constraint
  names differ, which later migrations name).
- The BENCH_TENANTS collectivités (default 1 000) are then made by replaying the migrated
  schema's own DDL (pg_dump --schema-only) and its rows (django_migrations, content types),
  two processes at once: ``create_s`` for all, checked identical to a migrated schema.
- ``migrate_all_s``: ``migrate_schemas --executor=multiprocessing`` over all of them, with
  nothing to apply (the cost of every deployment).
- ``resolution_ms``: the tenant middleware's cost per request, host → collectivité cached
  (TENANT_LIMIT_SET_CALLS on), and ``resolution_uncached_ms`` without the cache.
- ``grid_p95_ms_first`` / ``_last``: the Vue Période on the first and the last
  collectivité, in turns on one gunicorn server, with 1 000 schemas in the database.

Everything is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
import subprocess
import sys
import time

from common import (
    ROOT,
    django_setup,
    env_int,
    gunicorn,
    interleaved,
    pg_tool,
    psycopg_dsn,
    session_cookie,
    summary,
)

COUNT = env_int("BENCH_TENANTS", 1000)
MIGRATED = env_int("BENCH_TENANTS_MIGRATED", 2)
BASE = "bench_tenant_base"
PREFIX = "bench_tenant_"
REQUESTS = env_int("BENCH_TENANTS_REQUESTS", 300)


def _name(n: int) -> str:
    return f"{PREFIX}{n:04d}"


def _host(schema: str) -> str:
    return f"{schema.replace('_', '-')}.localhost"


STRUCTURE_SQL = """
SELECT 'column', c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(s)s AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'
UNION ALL SELECT 'index', indexname || ' ' || replace(indexdef, %(s)s || '.', '')
FROM pg_indexes WHERE schemaname = %(s)s
UNION ALL SELECT 'constraint', c.conname || ' ' || pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %(s)s
UNION ALL SELECT 'trigger', t.tgname || ' ' || c.relname
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(s)s AND NOT t.tgisinternal
UNION ALL SELECT 'function', p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = %(s)s
"""


def _structure(cursor, schema: str) -> set[tuple[str, str]]:
    """Columns, indexes, constraints, triggers and functions of ``schema``, by name and
    definition. PostgreSQL prints a predicate it parsed again with other casts and
    parentheses (``ARRAY[...]::text[]`` or ``ARRAY[(...)::text, ...]``): those are dropped."""
    cursor.execute(STRUCTURE_SQL, {"s": schema})
    return {
        (kind, re.sub(r"::(text|character varying)(\[\])?|[()]", "", text.replace(schema, "S")))
        for kind, text in cursor.fetchall()
    }


def _ddl(dsn_args: list[str]) -> str:
    """The base schema's DDL, its name replaced by a placeholder."""
    from django.db import connection

    dump = subprocess.run(
        [
            pg_tool("pg_dump", connection.settings_dict),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-n",
            BASE,
            *dsn_args,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # psql meta-commands (\restrict) are not SQL.
    lines = [line for line in dump.splitlines() if not line.startswith("\\")]
    return re.sub(
        rf"\b{BASE}\b", "{schema}", "\n".join(lines).replace("{", "{{").replace("}", "}}")
    )


_conn = None


def _replay_init(dsn: str) -> None:
    import psycopg

    global _conn
    _conn = psycopg.connect(dsn, autocommit=True)


def _replay(args) -> None:
    ddl, schema, tables = args
    with _conn.transaction(), _conn.cursor() as cursor:
        cursor.execute(ddl.format(schema=schema))
        for table, has_id in tables:
            cursor.execute(f"INSERT INTO {schema}.{table} SELECT * FROM {BASE}.{table}")
            if has_id:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{schema}.{table}', 'id'),"
                    f" (SELECT max(id) FROM {schema}.{table}))"
                )


def _drop(args) -> None:
    schemas = args
    with _conn.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _dsn(settings: dict) -> tuple[str, list[str]]:
    dsn = psycopg_dsn(settings)
    return dsn, ["-d", dsn]


def _cleanup(dsn: str) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from tenants.models import Collectivite

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            [PREFIX.replace("_", r"\_") + "%"],
        )
        schemas = [row[0] for row in cursor.fetchall()]
    if schemas:
        context = multiprocessing.get_context("fork")
        with context.Pool(os.cpu_count(), initializer=_replay_init, initargs=(dsn,)) as pool:
            pool.map(_drop, [schemas[i :: os.cpu_count()] for i in range(os.cpu_count())])
    Collectivite.objects.filter(schema_name__startswith=PREFIX).delete()
    get_user_model().objects.filter(email__regex=r"^(parent|agent)-bench-tenant-").delete()


def _resolution(hosts: list[str], rounds: int = 2000) -> tuple[float, float]:
    """The tenant middleware's milliseconds per request, cached then not."""
    from django.core.cache import cache
    from django.db import connection
    from django.http import HttpResponse
    from django.test import RequestFactory

    from tenants.middleware import CachedTenantMiddleware, host_cache_key

    middleware = CachedTenantMiddleware(lambda request: HttpResponse())
    factory = RequestFactory()
    requests = [factory.get("/", HTTP_HOST=host) for host in hosts]
    for request in requests:
        middleware(request)  # the cache filled, as in service
    started = time.perf_counter()
    for n in range(rounds):
        middleware(requests[n % len(requests)])
    cached = (time.perf_counter() - started) * 1000 / rounds
    started = time.perf_counter()
    for n in range(rounds // 10):
        request = requests[n % len(requests)]
        cache.delete(host_cache_key(request.get_host().split(":")[0]))
        middleware(request)
    uncached = (time.perf_counter() - started) * 1000 / (rounds // 10)
    connection.set_schema_to_public()
    return round(cached, 3), round(uncached, 3)


def run() -> dict:
    django_setup()
    from django.db import connection, connections
    from django.utils import timezone
    from django_tenants.clone import CloneSchema

    from portal.scale import scale_fill
    from tenants.models import Collectivite, Domain
    from tenants.services import collectivite_create

    dsn, dsn_args = _dsn(connection.settings_dict)
    _cleanup(dsn)
    figures: dict = {"collectivites": COUNT}
    try:
        started = time.perf_counter()
        collectivite_create(schema_name=BASE, name="BENCH BASE", domain=_host(BASE))
        figures["create_migrate_s_each"] = round(time.perf_counter() - started, 2)
        # From empty schemas, by the parallel executor (it also checks every other tenant).
        empty = [_name(9000 + n) for n in range(MIGRATED)]
        Collectivite.objects.bulk_create(
            Collectivite(schema_name=schema, name=schema) for schema in empty
        )
        with connection.cursor() as cursor:
            for schema in empty:
                cursor.execute(f"CREATE SCHEMA {schema}")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate_schemas", "--tenant"]
            + ["--executor=multiprocessing", "-v0"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        parallel = time.perf_counter() - started
        figures["migrate_parallel_s_each"] = round(parallel / MIGRATED, 2)
        figures["create_migrate_1000_est_s"] = round(parallel / MIGRATED * 1000)
        with connection.cursor() as cursor:
            reference = _structure(cursor, BASE)
            started = time.perf_counter()
            CloneSchema().clone_schema(BASE, f"{PREFIX}clone", "NODATA")
            figures["clone_s_each"] = round(time.perf_counter() - started, 2)
            connection.set_schema_to_public()
            clone = _structure(cursor, f"{PREFIX}clone")
            figures["clone_identical"] = clone == reference
            figures["clone_differences"] = len(clone ^ reference)
            cursor.execute(f"DROP SCHEMA {PREFIX}clone CASCADE")
            # The rows migrations wrote (django_migrations, content types) go along.
            cursor.execute(
                "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a"
                " WHERE a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind = 'r'",
                [BASE],
            )
            tables = []
            for table, has_id in cursor.fetchall():
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {BASE}.{table})")
                if cursor.fetchone()[0]:
                    tables.append((table, has_id))
        figures["rows_copied_from"] = sorted(t for t, _ in tables)
        ddl = _ddl(dsn_args)
        schemas = [_name(n) for n in range(1, COUNT + 1)]
        connections.close_all()
        context = multiprocessing.get_context("fork")
        started = time.perf_counter()
        with context.Pool(os.cpu_count(), initializer=_replay_init, initargs=(dsn,)) as pool:
            pool.map(_replay, [(ddl, schema, tables) for schema in schemas], chunksize=10)
        Collectivite.objects.bulk_create(
            Collectivite(schema_name=schema, name=f"COMMUNE {n:04d}")
            for n, schema in enumerate(schemas, start=1)
        )
        Domain.objects.bulk_create(
            Domain(domain=_host(schema), tenant=tenant, is_primary=True)
            for schema, tenant in zip(
                schemas,
                Collectivite.objects.filter(schema_name__in=schemas).order_by("schema_name"),
                strict=True,
            )
        )
        figures["create_s"] = round(time.perf_counter() - started, 1)
        figures["create_s_each"] = round((time.perf_counter() - started) / COUNT, 3)
        with connection.cursor() as cursor:
            figures["replay_identical"] = (
                _structure(cursor, schemas[0]) == reference
                and _structure(cursor, schemas[-1]) == reference
            )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate_schemas", "--tenant"]
            + ["--executor=multiprocessing", "-v0"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        figures["migrate_all_s"] = round(time.perf_counter() - started, 1)
        figures["schemas_in_database"] = Collectivite.objects.count()

        first, last = schemas[0], schemas[-1]
        figures["resolution_ms"], figures["resolution_uncached_ms"] = _resolution(
            [_host(first), _host(last)]
        )
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday())
        cookies = {}
        for schema in (first, last):
            tenant = Collectivite.objects.get(schema_name=schema)
            scale_fill(
                tenant, children=60, foyers=30, weeks=6, start=monday, today=today, accounts=1
            )
            connection.set_schema_to_public()
            slug = schema.replace("_", "-")
            user = (
                __import__("django.contrib.auth", fromlist=["x"])
                .get_user_model()
                .objects.get(email=f"parent-{slug}-0001@echelle.test")
            )
            cookies[schema] = session_cookie(user, _host(schema))
        timings = {first: [], last: []}
        bare = []
        with gunicorn(workers=2) as port:
            for _ in range(REQUESTS // 20):
                for schema in (first, last):
                    paths = {"grid": "/reservations/", "bare": "/__bench/nu/"}
                    got = interleaved(port, _host(schema), paths, cookies[schema], 20, warm=1)
                    timings[schema] += got["grid"]
                    bare += got["bare"]
        figures["grid_p95_ms_first"] = summary(timings[first])["p95_ms"]
        figures["grid_p95_ms_last"] = summary(timings[last])["p95_ms"]
        figures["grid_last_over_first"] = round(
            figures["grid_p95_ms_last"] / figures["grid_p95_ms_first"], 2
        )
        figures["bare_p95_ms"] = summary(bare)["p95_ms"]
        figures["creation_used"] = "replay of a migrated schema's DDL (bench only)"
        return figures
    finally:
        connections.close_all()
        started = time.perf_counter()
        _cleanup(dsn)
        Collectivite.objects.filter(schema_name=BASE).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {BASE} CASCADE")
        figures["drop_s"] = round(time.perf_counter() - started, 1)
