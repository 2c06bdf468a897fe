"""200 parents validate their cart for the last 85 places, over real concurrent connections."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context

from families.models import Child, Foyer
from portal.models import OutgoingEmail
from reservations.calendar import ClosureCalendar
from reservations.exceptions import FULL, CartRefused
from reservations.models import Booking, BookingState, Prestation, Service
from reservations.services.validation import cart_validate
from tenants.models import Collectivite
from tests.cleanup import bookings_purge

PARENTS = 200
CAPACITY = 85
WORKERS = 50


@pytest.fixture
def crowded_day(django_db_setup, django_db_blocker):
    """Committed data: a prestation of 85 places and 200 foyers with it in their cart."""
    day = dt.date.today() + dt.timedelta(days=60)
    while not ClosureCalendar(zone=None).is_open(day):  # a weekday, not a public holiday
        day += dt.timedelta(days=1)
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            service = Service.objects.create(
                name="RACE", billing_mode="postfacturation", closed_during_school_holidays=False
            )
            prestation = Prestation.objects.create(
                service=service,
                name="CANTINE RACE",
                weekdays=[1, 2, 3, 4, 5],
                capacity=CAPACITY,
                booking_rule="days_before",
                rule_days_before=1,
                rule_time=dt.time(17),
            )
            foyers = Foyer.objects.bulk_create(
                Foyer(name=f"RACE {i}", email=f"race.{i}@exemple.test") for i in range(PARENTS)
            )
            children = Child.objects.bulk_create(
                Child(foyer=f, last_name=f.name, first_name="E", birth_date="2017-01-01", sexe="F")
                for f in foyers
            )
            Booking.objects.bulk_create(
                Booking(child=c, prestation=prestation, day=day) for c in children
            )
        connection.set_schema_to_public()
        yield alpha, prestation, day, foyers
        OutgoingEmail.objects.filter(schema_name="alpha", recipient__startswith="race.").delete()
        with tenant_context(alpha):
            bookings_purge(Booking.objects.filter(prestation=prestation))
            Child.objects.filter(foyer__in=foyers).delete()
            Foyer.objects.filter(pk__in=[f.pk for f in foyers]).delete()
            prestation.delete()
            service.delete()
        connection.set_schema_to_public()


def test_exactly_capacity_carts_win_the_race(crowded_day, django_db_blocker):
    alpha, prestation, day, foyers = crowded_day
    start = threading.Barrier(WORKERS)

    def validate(foyer):
        # Each thread has its own connection: real concurrent transactions.
        try:
            connection.set_tenant(alpha)
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=30)
            cart_validate(foyer=foyer)
            return "validated"
        except CartRefused as refusal:
            return refusal.lines[0].reason
        except Exception as error:  # counted and shown by the assertion below
            return f"error: {error!r}"
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            outcomes = list(pool.map(validate, foyers))
        with tenant_context(alpha):
            states = Booking.objects.filter(prestation=prestation, day=day)
            validated = states.filter(state=BookingState.VALIDATED).count()
            in_cart = states.filter(state=BookingState.CART).count()
            per_child = states.values("child").distinct().count()
        # The confirmation is queued before the capacity locks: a cart refused under them
        # takes its e-mail back with it.
        confirmations = OutgoingEmail.objects.filter(
            schema_name="alpha", recipient__startswith="race.", key__startswith="cart-validated:"
        ).count()

    errors = [o for o in outcomes if o.startswith("error")]
    assert errors == []
    assert outcomes.count("validated") == CAPACITY
    assert outcomes.count(FULL) == PARENTS - CAPACITY
    assert validated == CAPACITY
    assert in_cart == PARENTS - CAPACITY  # refused carts are left untouched
    assert per_child == PARENTS  # no child booked twice
    assert confirmations == CAPACITY
