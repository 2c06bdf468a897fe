"""grid: the Vue Période of a family of 4 children, 4 weeks shown, through a real server.

Creates a throw-away collectivité (dropped afterwards) with the seed 000 prestations, a
family of 4 children with bookings, and 300 other families booking the same days (the page
must not slow as others book). Counts queries in-process, then times 500 requests to a
gunicorn server on 127.0.0.1 (2 workers, production settings), each followed by one of the
bare view (/__bench/nu/: the same middleware, session, account and tenant, a constant
answer): ``p95_ms / bare_p95_ms`` is the page's own cost.
"""

from __future__ import annotations

import datetime as dt

from common import django_setup, env_int, gunicorn, interleaved, summary

SCHEMA = "bench_grid"
HOST = "bench-grid.localhost"
REQUESTS = env_int("BENCH_GRID_REQUESTS", 500)
OTHER_FAMILIES = 300


def run() -> dict:
    django_setup()
    import django
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from families.models import Child, Foyer
    from reservations.models import Booking, BookingState, Prestation, Service
    from reservations.selectors.grid import period_grid
    from reservations.selectors.options import service_options
    from tenants.models import Collectivite
    from tenants.services import adhesion_add, collectivite_create

    old = Collectivite.objects.filter(schema_name=SCHEMA).first()
    if old:
        old.delete(force_drop=True)
    user_model = get_user_model()
    user_model.objects.filter(email="bench.grid@exemple.test").delete()
    tenant = collectivite_create(schema_name=SCHEMA, name="BENCH GRID", domain=HOST)
    user = user_model.objects.create_user(email="bench.grid@exemple.test", password="x" * 12)
    adhesion_add(user=user, collectivite=tenant)
    try:
        monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
        with tenant_context(tenant):
            service = Service.objects.create(name="GROUPE SCOLAIRE", billing_mode="postfacturation")
            rule = {"booking_rule": "days_before", "rule_time": dt.time(17)}
            prestations = [
                Prestation.objects.create(
                    service=service, name=name, weekdays=[1, 2, 4, 5], capacity=85, **rule
                )
                for name in ("CANTINE", "GARDERIE MATIN", "GARDERIE SOIR T1", "GARDERIE SOIR T2")
            ]
            foyer = Foyer.objects.create(name="BENCH", user=user)
            kids = [
                Child.objects.create(
                    foyer=foyer,
                    last_name="BENCH",
                    first_name=f"E{i}",
                    birth_date="2017-01-01",
                    sexe="F",
                )
                for i in range(4)
            ]
            days = [monday + dt.timedelta(days=d) for d in range(56) if d % 7 in (0, 1, 3, 4)]
            Booking.objects.bulk_create(
                Booking(child=k, prestation=prestations[0], day=d, state=BookingState.VALIDATED)
                for k in kids
                for d in days[::2]
            )
            others = Foyer.objects.bulk_create(Foyer(name=f"O{i}") for i in range(OTHER_FAMILIES))
            other_kids = Child.objects.bulk_create(
                Child(foyer=f, last_name="O", first_name="E", birth_date="2017-01-01", sexe="G")
                for f in others
            )
            Booking.objects.bulk_create(
                Booking(child=k, prestation=p, day=d, state=BookingState.VALIDATED)
                for k in other_kids[:80]
                for p in prestations[:2]
                for d in days
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            now = django.utils.timezone.now()
            service = next(s for s in service_options() if s.pk == service.pk)
            counts = {}
            for label, weeks in (("1_week", 1), ("8_weeks", 8)):
                with CaptureQueriesContext(connection) as ctx:
                    period_grid(
                        foyer=foyer,
                        child=kids[0],
                        service=service,
                        start=monday,
                        weeks=weeks,
                        now=now,
                    )
                counts[label] = len(ctx.captured_queries)
        connection.set_schema_to_public()

        client = Client(HTTP_HOST=HOST)
        client.force_login(user)
        client.get("/reservations/")  # the host -> collectivité cache filled, as in service
        with CaptureQueriesContext(connection) as page:
            response = client.get("/reservations/")
        html_kb = round(len(response.content) / 1024, 1)
        session = client.cookies["sessionid"].value

        with gunicorn(workers=2) as port:
            timings = interleaved(
                port,
                HOST,
                {"grid": "/reservations/", "bare": "/__bench/nu/"},
                f"sessionid={session}",
                REQUESTS,
            )
        grid, bare = summary(timings["grid"]), summary(timings["bare"])
        return {
            "queries_grid_1_child_1_week": counts["1_week"],
            "queries_grid_1_child_8_weeks": counts["8_weeks"],
            "queries_page_4_children_4_weeks": len(page.captured_queries),
            "html_kb": html_kb,
            "requests": REQUESTS,
            "p50_ms": grid["p50_ms"],
            "p95_ms": grid["p95_ms"],
            "bare_p50_ms": bare["p50_ms"],
            "bare_p95_ms": bare["p95_ms"],
            "p95_over_bare": round(grid["p95_ms"] / bare["p95_ms"], 2),
        }
    finally:
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)
        user.delete()
