"""cart_race: 200 parents validate carts for one service-day of 85 places, 50 at a time.

Runs on the development database (embedded PostgreSQL, or DATABASE_URL) in a throw-away
collectivité whose schema is dropped afterwards. The 50 workers are processes, as the web
workers of a deployment are, each with its own database connection.

The floor: the same 50 processes and 200 carts on another day, each validation the same
database work written by hand with raw psycopg (lock the cart's lines and count the places,
write the state, its history row and the capacity row's lock, count again, commit), with no
Django in between: ``floor_per_s / validations_per_s`` is what our code adds.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time

PARENTS = 200
CAPACITY = 85
WORKERS = 50
SCHEMA = "bench_cart_race"


def _worker_init(tenant, ready) -> None:
    from django.db import connection

    import portal.wsgi  # noqa: F401  (a worker as gunicorn starts one: warmed by its wsgi)

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


# One validation, as reservations.services.validation does it, by hand: the lines locked
# with the places of their day, the new state with its history row and the capacity row's
# lock, the places again (the closures' statement left out).
_COUNT = """coalesce((SELECT d.capacity FROM reservations_prestationday d
        WHERE d.prestation_id = {p} AND d.day = {d}), {capacity}), (SELECT count(*)
        FROM reservations_booking t WHERE t.prestation_id = {p} AND t.day = {d}
        AND t.state IN ('held', 'pending', 'validated', 'cancel_requested'))"""
FLOOR_SQL = {
    "lines": "SELECT b.id, b.prestation_id, b.day, "
    + _COUNT.format(p="b.prestation_id", d="b.day", capacity="p.capacity")
    + """ FROM reservations_booking b
        JOIN families_child c ON c.id = b.child_id
        JOIN reservations_prestation p ON p.id = b.prestation_id
        WHERE c.foyer_id = %s AND b.state = 'cart' AND b.day = %s
        ORDER BY b.id FOR UPDATE OF b""",
    "write": """WITH saved AS (UPDATE reservations_booking SET state = 'validated',
        state_reason = 'parent', updated_at = now() WHERE id = %(b)s RETURNING id),
        locked AS (INSERT INTO reservations_prestationday (prestation_id, day)
        VALUES (%(p)s, %(d)s) ON CONFLICT (prestation_id, day) DO UPDATE
        SET capacity = reservations_prestationday.capacity WHERE false RETURNING 1)
        INSERT INTO reservations_bookingevent (booking_id, state, reason, by_staff, note, at)
        SELECT id, 'validated', 'parent', false, '', now() FROM saved""",
    "count": "SELECT "
    + _COUNT.format(p="p.id", d="%(d)s", capacity="p.capacity")
    + " FROM reservations_prestation p WHERE p.id = %(p)s",
}

_raw = None
_day = None


def _floor_init(dsn: str, schema: str, day, ready) -> None:
    import psycopg

    global _raw, _day
    _raw = psycopg.connect(dsn, options=f"-c search_path={schema}")
    _day = day
    ready.wait(timeout=120)


def _floor_validate(foyer_id: int) -> str:
    with _raw.transaction(), _raw.cursor() as cursor:
        lines = cursor.execute(FLOOR_SQL["lines"], [foyer_id, _day]).fetchall()
        pk, prestation, day, capacity, taken = lines[0]
        if taken >= capacity:
            return "refused"
        cursor.execute(FLOOR_SQL["write"], {"b": pk, "p": prestation, "d": day})
        capacity, taken = cursor.execute(FLOOR_SQL["count"], {"p": prestation, "d": day}).fetchone()
        if taken > capacity:
            raise _Full
    return "validated"


class _Full(Exception):
    """Raised to roll the floor's transaction back, as a refused cart is."""


def _floor(foyer_id: int) -> str:
    try:
        return _floor_validate(foyer_id)
    except _Full:
        return "refused"


def _pool_map(context, initializer, initargs, function, items) -> tuple[list, float]:
    ready = context.Barrier(WORKERS + 1)
    with context.Pool(WORKERS, initializer=initializer, initargs=(*initargs, ready)) as pool:
        ready.wait(timeout=120)  # every worker connected
        started = time.perf_counter()
        outcomes = pool.map(function, items, chunksize=1)
        return outcomes, time.perf_counter() - started


def run() -> dict:
    from common import django_setup, psycopg_dsn

    django_setup()
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
        ids = [f.pk for f in foyers]
        outcomes, elapsed = _pool_map(context, _worker_init, (tenant,), _validate, ids)
        with tenant_context(tenant):
            booked = Booking.objects.filter(state=BookingState.VALIDATED).count()
            # The floor's carts: the same foyers, one week later.
            later = day + dt.timedelta(days=7)
            Booking.objects.bulk_create(
                Booking(child=c, prestation=prestation, day=later) for c in children
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        connection.set_schema_to_public()
        connections.close_all()
        settings = connection.settings_dict
        dsn = psycopg_dsn(settings)
        floor, floor_elapsed = _pool_map(context, _floor_init, (dsn, SCHEMA, later), _floor, ids)
        with tenant_context(tenant):
            floor_booked = Booking.objects.filter(state=BookingState.VALIDATED, day=later).count()
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
            "floor_validated": floor.count("validated"),
            "floor_validated_in_database": floor_booked,
            "floor_seconds": round(floor_elapsed, 3),
            "floor_per_s": round(PARENTS / floor_elapsed, 1),
            "floor_over_figure": round(elapsed / floor_elapsed, 2),
        }
    finally:
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)
