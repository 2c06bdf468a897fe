"""load: 50 parents and 5 staff at once against gunicorn (production settings, 2 workers).

A throw-away collectivité (dropped afterwards) seeded by portal.scale: BENCH_LOAD_CHILDREN
children (default 2 000) with their bookings from 4 weeks ago to 8 weeks ahead, 50 parent
accounts and 5 agents. locust (headless, on this machine, for BENCH_LOAD_SECONDS, default
60) drives the users of bench/locustfile.py: parents load the Vue Période, click two cells
and validate, week after week; staff page through the admin's bookings and foyers; one user
asks the bare view all along, so ``bare_p95_ms`` is the floor under the same load.
Think time: 0 to 2 × BENCH_LOAD_WAIT seconds (default 1) between two rounds of a user.

locust runs on the same two cores as the server and PostgreSQL: the requests per second are
those of the whole machine, not of the server alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    ROOT,
    django_setup,
    env_int,
    gunicorn,
    server_env,
    session_cookie,
)

SCHEMA = "bench_load"
HOST = "bench-load.localhost"
CHILDREN = env_int("BENCH_LOAD_CHILDREN", 2000)
SECONDS = env_int("BENCH_LOAD_SECONDS", 60)
PARENTS, STAFF = 50, 5


def _stats(path: Path) -> dict[str, dict]:
    with path.open() as stream:
        return {row["Name"]: row for row in csv.DictReader(stream)}


def run() -> dict:
    django_setup()
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from portal.scale import scale_drop, scale_fill
    from reservations.models import Prestation
    from tenants.models import Collectivite
    from tenants.services import collectivite_create

    scale_drop(SCHEMA)
    tenant = collectivite_create(schema_name=SCHEMA, name="BENCH LOAD", domain=HOST)
    try:
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday())
        seeded = scale_fill(
            tenant,
            children=CHILDREN,
            foyers=CHILDREN // 2,
            weeks=12,
            start=monday - dt.timedelta(weeks=4),
            today=today,
            accounts=PARENTS,
            staff=STAFF,
        )
        with tenant_context(tenant):
            prestations = {p.name: p for p in Prestation.objects.all()}
        connection.set_schema_to_public()
        tenant = Collectivite.objects.get(pk=tenant.pk)
        from django.contrib.auth import get_user_model

        accounts = get_user_model().objects.filter(email__endswith="@echelle.test")
        parents = list(accounts.filter(email__startswith="parent-bench-load-").order_by("email"))
        staff = list(accounts.filter(email__startswith="agent-bench-load-").order_by("email"))
        users = {"host": HOST, "parents": [], "staff": []}
        for number, user in enumerate(parents, start=1):
            # Child number n is foyer n's first; it has no morning garderie when n % 10 >= 3
            # (portal.scale), nor an evening one when n % 10 < 3: book what it lacks.
            name = "GARDERIE MATIN" if number % 10 >= 3 else "GARDERIE SOIR T1"
            users["parents"].append(
                {
                    "cookie": session_cookie(user, HOST),
                    "child": number,
                    "service": prestations[name].service_id,
                    "prestation": prestations[name].pk,
                }
            )
        users["staff"] = [session_cookie(user, HOST) for user in staff]
        with tempfile.TemporaryDirectory() as folder, gunicorn(workers=2) as port:
            (Path(folder) / "users.json").write_text(json.dumps(users))
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", "bench/locustfile.py", "--headless"]
                + ["-u", str(PARENTS + STAFF + 1), "-r", str(PARENTS + STAFF + 1)]
                + ["--run-time", f"{SECONDS}s", "--host", f"http://127.0.0.1:{port}"]
                + ["--csv", f"{folder}/load", "--only-summary", "--stop-timeout", "5"]
                + ["--loglevel", "WARNING"],
                cwd=ROOT,
                env={**server_env(), "BENCH_LOAD_USERS": f"{folder}/users.json"},
                check=False,  # locust exits 1 when a request failed: counted below
                stdout=subprocess.DEVNULL,
            )
            stats = _stats(Path(folder) / "load_stats.csv")
        total, bare = stats["Aggregated"], stats["bare"]
        figures = {
            "children": seeded.children,
            "bookings": seeded.bookings,
            "users": f"{PARENTS} parents, {STAFF} staff, 1 bare",
            "seconds": SECONDS,
            "requests": int(total["Request Count"]),
            "requests_per_s": round(float(total["Requests/s"]), 1),
            "errors": int(total["Failure Count"]),
            "p50_ms": float(total["50%"]),
            "p95_ms": float(total["95%"]),
            "p99_ms": float(total["99%"]),
            "bare_p50_ms": float(bare["50%"]),
            "bare_p95_ms": float(bare["95%"]),
        }
        for name in ("grid", "cell", "validate", "admin reservations/booking"):
            if name in stats:
                key = name.split("/")[0].replace(" ", "_")
                figures[f"{key}_p95_ms"] = float(stats[name]["95%"])
                figures[f"{key}_requests"] = int(stats[name]["Request Count"])
        return figures
    finally:
        connection.set_schema_to_public()
        scale_drop(SCHEMA)
