"""cart_race: 200 parents validate carts for one service-day of 85 places, 50 at a time.

Runs on the development database (embedded PostgreSQL, or DATABASE_URL) in a throw-away
collectivité whose schema is dropped afterwards. The 50 workers are processes, as the web
workers of a deployment are, each with its own database connection.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time

PARENTS = 200
CAPACITY = 85
WORKERS = 50
SCHEMA = "bench_cart_race"


def _worker_init(tenant, ready) -> None:
    from django.db import connection

    connection.set_tenant(tenant)
    connection.ensure_connection()
    ready.wait(timeout=120)


def _validate(foyer_id: int) -> str:
    from families.models import Foyer
    from reservations.exceptions import FULL, CartRefused
    from reservations.services.validation import cart_validate

    try:
        cart_validate(foyer=Foyer(pk=foyer_id))
        return "validated"
    except CartRefused as refusal:
        return "refused" if refusal.lines[0].reason == FULL else "other"
    except Exception:
        return "error"


def run() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import connection, connections
    from django_tenants.utils import tenant_context

    from families.models import Child, Foyer
    from reservations.calendar import ClosureCalendar
    from reservations.models import Booking, BookingState, Prestation, Service
    from tenants.models import Collectivite
    from tenants.services import collectivite_create

    Collectivite.objects.filter(schema_name=SCHEMA).first() and Collectivite.objects.get(
        schema_name=SCHEMA
    ).delete(force_drop=True)
    tenant = collectivite_create(schema_name=SCHEMA, name="BENCH", domain=f"{SCHEMA}.invalid")
    try:
        day = dt.date.today() + dt.timedelta(days=60)
        while not ClosureCalendar(zone=None).is_open(day):  # a weekday, not a public holiday
            day += dt.timedelta(days=1)
        with tenant_context(tenant):
            service = Service.objects.create(
                name="BENCH", billing_mode="postfacturation", closed_during_school_holidays=False
            )
            prestation = Prestation.objects.create(
                service=service,
                name="CANTINE",
                weekdays=[1, 2, 3, 4, 5],
                capacity=CAPACITY,
                booking_rule="days_before",
                rule_time=dt.time(17),
            )
            foyers = Foyer.objects.bulk_create(Foyer(name=f"F{i}") for i in range(PARENTS))
            children = Child.objects.bulk_create(
                Child(foyer=f, last_name=f.name, first_name="E", birth_date="2017-01-01", sexe="F")
                for f in foyers
            )
            Booking.objects.bulk_create(
                Booking(child=c, prestation=prestation, day=day) for c in children
            )
            # A live database has planner statistics; tables filled a second ago do not.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        connection.set_schema_to_public()
        connections.close_all()  # children must not share the parent's socket
        context = multiprocessing.get_context("fork")
        ready = context.Barrier(WORKERS + 1)
        with context.Pool(WORKERS, initializer=_worker_init, initargs=(tenant, ready)) as pool:
            ready.wait(timeout=120)  # every worker connected
            started = time.perf_counter()
            outcomes = pool.map(_validate, [f.pk for f in foyers], chunksize=1)
            elapsed = time.perf_counter() - started
        with tenant_context(tenant):
            booked = Booking.objects.filter(state=BookingState.VALIDATED).count()
        return {
            "capacity": CAPACITY,
            "parents": PARENTS,
            "workers": WORKERS,
            "validated": outcomes.count("validated"),
            "refused": outcomes.count("refused"),
            "errors": outcomes.count("error") + outcomes.count("other"),
            "validated_in_database": booked,
            "seconds": round(elapsed, 3),
            "validations_per_s": round(PARENTS / elapsed, 1),
        }
    finally:
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)
