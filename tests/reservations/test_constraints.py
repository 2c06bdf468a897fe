"""What the database itself refuses about bookings, and the French sentence users get first.

Garderie soir T1 (16:30–17:30) and T2 (16:30–18:30) of one service cannot both be a
child's on one day; a held line has a hold, nothing else has one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import NumericRange

from reservations.exceptions import SLOTS_OVERLAP_NAMED, ReservationsError
from reservations.lifecycle import State
from reservations.models import Booking
from reservations.services.cart import cart_add
from reservations.services.records import SLOTS_DISJOINT, constraint_of
from tests.factories import BookingFactory, ChildFactory, PrestationFactory
from tests.reservations.conftest import DAY, paris

pytestmark = pytest.mark.django_db
NOW = paris(2026, 1, 13, 9)
HELD_CHECK = "booking_held_until_when_held"


@pytest.fixture
def soir(tenant_a, in_tenant):
    """T1 and T2 of one service, and the cantine of another whose hours never meet them."""
    with in_tenant(tenant_a):
        t1 = PrestationFactory(soir_t1=True)
        t2 = PrestationFactory(service=t1.service, soir_t2=True)
        return t1, t2


def test_the_database_copies_the_hours_and_the_service_onto_each_booking(soir, tenant_a, in_tenant):
    t1, _ = soir
    with in_tenant(tenant_a):
        booking = Booking.objects.get(pk=BookingFactory(prestation=t1, day=DAY).pk)
        assert booking.service_id == t1.service_id
        assert booking.slot == NumericRange(16 * 60 + 30, 17 * 60 + 30, "[)")
        untimed = Booking.objects.get(pk=BookingFactory(day=DAY).pk)
        assert untimed.slot is None


def test_t1_and_t2_on_one_day_are_refused_by_the_service_with_why(soir, tenant_a, in_tenant):
    t1, t2 = soir
    with in_tenant(tenant_a):
        child = ChildFactory()
        cart_add(child=child, prestation=t1, day=DAY, now=NOW)
        with pytest.raises(ReservationsError) as refused:
            cart_add(child=child, prestation=t2, day=DAY, now=NOW)
        assert refused.value.message == SLOTS_OVERLAP_NAMED.format(name=t2.name, other=t1.name)
        assert "chevauche" in refused.value.message
        # Another day, or another child, is fine.
        cart_add(child=child, prestation=t2, day=DAY + dt.timedelta(days=1), now=NOW)
        cart_add(child=ChildFactory(), prestation=t2, day=DAY, now=NOW)
        assert Booking.objects.filter(child=child).count() == 2


@pytest.mark.parametrize("state", [State.CART, State.VALIDATED, State.CANCEL_REQUESTED])
def test_t1_and_t2_on_one_day_are_refused_by_the_database(state, soir, tenant_a, in_tenant):
    t1, t2 = soir
    with in_tenant(tenant_a):
        held = BookingFactory(prestation=t1, day=DAY, state=state)
        child = held.child
        # The ORM, past every service check …
        with pytest.raises(IntegrityError) as refused, transaction.atomic():
            Booking.objects.create(child=child, prestation=t2, day=DAY, state=State.VALIDATED)
        assert constraint_of(refused.value) == SLOTS_DISJOINT
        # … and raw SQL, which fills no hours: the database copies them from the prestation.
        with (
            pytest.raises(IntegrityError, match=SLOTS_DISJOINT),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "INSERT INTO reservations_booking (child_id, prestation_id, day, state,"
                " state_reason, created_at, updated_at)"
                " VALUES (%s, %s, %s, 'validated', 'parent', now(), now())",
                [child.pk, t2.pk, DAY],
            )
        assert list(Booking.objects.filter(child=child).values_list("prestation", flat=True)) == [
            t1.pk
        ]


def test_a_cancelled_t1_leaves_t2_free(soir, tenant_a, in_tenant):
    t1, t2 = soir
    with in_tenant(tenant_a):
        cancelled = BookingFactory(prestation=t1, day=DAY, state=State.CANCELLED)
        cart_add(child=cancelled.child, prestation=t2, day=DAY, now=NOW)


def test_held_until_is_set_exactly_when_held(garderie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        for state, held_until in (
            (State.HELD, None),
            (State.VALIDATED, NOW),
            (State.CANCELLED, NOW),
        ):
            with pytest.raises(IntegrityError, match=HELD_CHECK), transaction.atomic():
                Booking.objects.create(
                    child=ChildFactory(),
                    prestation=garderie,
                    day=DAY,
                    state=state,
                    held_until=held_until,
                )
        held = BookingFactory(prestation=garderie, day=DAY, state=State.HELD)
        with pytest.raises(IntegrityError, match=HELD_CHECK), transaction.atomic():
            Booking.objects.filter(pk=held.pk).update(state=State.VALIDATED)
