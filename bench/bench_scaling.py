"""scaling: the Vue Période and the invoice run at 1×, 4× and 16× the data.

Three throw-away collectivités (dropped afterwards) seeded by portal.scale with
BENCH_SCALE_CHILDREN × 1, 4 and 16 children (default 625: the 16× one has 10 000) over
BENCH_SCALE_WEEKS weeks from the school year's start (default 2). The grid of the first
family is timed on one gunicorn server (production settings, 2 workers) for the three sizes
and the bare view in turns, so the noise falls on each alike; its query count must be the
same at every size (asserted). Then each size's whole period is invoiced in-process.
"""

from __future__ import annotations

import datetime as dt
import time

from common import django_setup, env_int, gunicorn, interleaved, session_cookie, summary

BASE = env_int("BENCH_SCALE_CHILDREN", 625)
WEEKS = env_int("BENCH_SCALE_WEEKS", 2)
REQUESTS = env_int("BENCH_SCALE_REQUESTS", 300)
FACTORS = (1, 4, 16)


def _schema(factor: int) -> str:
    return f"bench_scale_{factor}"


def _host(factor: int) -> str:
    return f"bench-scale-{factor}.localhost"


def run() -> dict:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from billing.models import InvoiceLine, InvoiceRun
    from billing.services.runs import invoice_run_execute
    from portal.scale import scale_drop, scale_fill, school_year_start
    from reservations.models import Service
    from tenants.services import collectivite_create

    today = timezone.localdate()
    start = school_year_start(today)
    end = start + dt.timedelta(weeks=WEEKS) - dt.timedelta(days=1)
    figures: dict = {"base_children": BASE, "weeks": WEEKS, "factors": list(FACTORS)}
    tenants = {}
    try:
        for factor in FACTORS:
            scale_drop(_schema(factor))
            tenant = collectivite_create(
                schema_name=_schema(factor), name=f"BENCH {factor}X", domain=_host(factor)
            )
            tenants[factor] = tenant
            seeded = scale_fill(
                tenant,
                children=BASE * factor,
                foyers=BASE * factor // 2,
                weeks=WEEKS,
                start=start,
                today=today,
                accounts=1,
            )
            figures[f"bookings_{factor}x"] = seeded.bookings
            figures[f"seed_s_{factor}x"] = seeded.seconds
        connection.set_schema_to_public()
        accounts = get_user_model().objects
        cookies, paths = {}, {}
        grid = f"/reservations/?debut={start + dt.timedelta(weeks=1)}"
        for factor in FACTORS:
            user = accounts.get(email=f"parent-bench-scale-{factor}-0001@echelle.test")
            cookies[factor] = session_cookie(user, _host(factor))
            client = Client(HTTP_HOST=_host(factor))
            client.force_login(user)
            client.get(grid)  # the host -> collectivité cache filled, as in service
            with CaptureQueriesContext(connection) as page:
                assert client.get(grid).status_code == 200
            connection.set_schema_to_public()
            figures[f"grid_queries_{factor}x"] = len(page.captured_queries)
        counts = {figures[f"grid_queries_{factor}x"] for factor in FACTORS}
        assert len(counts) == 1, f"the grid's query count grows with the data: {figures}"
        with gunicorn(workers=2) as port:
            # One connection per size (its host); each round asks the three then the bare.
            timings = {factor: [] for factor in FACTORS}
            bare = []
            for _ in range(REQUESTS // 20):
                for factor in FACTORS:
                    paths = {"grid": grid, "bare": "/__bench/nu/"}
                    got = interleaved(port, _host(factor), paths, cookies[factor], 20, warm=1)
                    timings[factor] += got["grid"]
                    bare += got["bare"]
        for factor in FACTORS:
            figures[f"grid_p95_ms_{factor}x"] = summary(timings[factor])["p95_ms"]
        figures["bare_p95_ms"] = summary(bare)["p95_ms"]
        for factor in FACTORS:
            with tenant_context(tenants[factor]):
                service = Service.objects.get()
                run = InvoiceRun.objects.create(service=service, period_start=start, period_end=end)
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    invoice_run_execute(run=run, today=today)
                    seconds = time.perf_counter() - started
                figures[f"invoice_lines_{factor}x"] = InvoiceLine.objects.count()
                figures[f"invoice_s_{factor}x"] = round(seconds, 2)
                figures[f"invoice_queries_{factor}x"] = len(queries.captured_queries)
            connection.set_schema_to_public()
        first, last = FACTORS[0], FACTORS[-1]
        figures["grid_p95_growth_16x"] = round(
            figures[f"grid_p95_ms_{last}x"] / figures[f"grid_p95_ms_{first}x"], 2
        )
        figures["invoice_s_growth_16x"] = round(
            figures[f"invoice_s_{last}x"] / max(figures[f"invoice_s_{first}x"], 0.01), 1
        )
        return figures
    finally:
        connection.set_schema_to_public()
        for factor in FACTORS:
            scale_drop(_schema(factor))
