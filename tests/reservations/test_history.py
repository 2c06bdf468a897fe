"""A booking past the cart and its history stay: refused by the admin, the ORM and the database.

Staff cancel, they never delete; only cart lines leave, with their events.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from reservations.exceptions import ReservationsError
from reservations.lifecycle import Reason, State
from reservations.models import Booking, BookingEvent
from reservations.services.cart import NOT_IN_CART, cart_remove
from reservations.services.records import HISTORY, constraint_of
from tenants.models import Role
from tests.factories import BookingFactory, MembershipFactory
from tests.reservations.conftest import DAY

pytestmark = pytest.mark.django_db

BOOKINGS = "/admin/reservations/booking/"
SENT = [State.HELD, State.PENDING_APPROVAL, State.VALIDATED, State.CANCELLED, State.REFUSED]


def refused_by_database(statement) -> IntegrityError:
    """Run ``statement`` in a savepoint; return the database's refusal."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        statement()
    assert constraint_of(refused.value) == HISTORY
    return refused.value


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("state", SENT)
def test_the_database_refuses_to_delete_a_sent_booking_whoever_asks(
    state, garderie, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        booking = BookingFactory(prestation=garderie, day=DAY, state=state)
        # The ORM: its history protects it (on_delete=PROTECT) …
        with pytest.raises(ProtectedError):
            booking.delete()
        # … and deleting that history first is refused by the database.
        refused_by_database(lambda: BookingEvent.objects.filter(booking=booking).delete())
        # Raw SQL, as a shell or a script would.
        error = refused_by_database(
            lambda: raw("DELETE FROM reservations_booking WHERE id = %s", [booking.pk])
        )
        assert "ne peut pas être supprimée" in str(error)
        refused_by_database(
            lambda: raw("DELETE FROM reservations_bookingevent WHERE booking_id = %s", [booking.pk])
        )
        assert Booking.objects.filter(pk=booking.pk).exists()
        assert booking.events.count() == 1


def test_an_event_is_never_changed(garderie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        cart_line = BookingFactory(prestation=garderie, day=DAY, state=State.CART)
        for booking in (cart_line, BookingFactory(prestation=garderie, day=DAY)):
            refused_by_database(
                lambda b=booking: BookingEvent.objects.filter(booking=b).update(
                    reason=Reason.STAFF_CANCELLATION
                )
            )
            refused_by_database(
                lambda b=booking: raw(
                    "UPDATE reservations_bookingevent SET note = 'effacé' WHERE booking_id = %s",
                    [b.pk],
                )
            )
        assert not BookingEvent.objects.filter(note="effacé").exists()


def test_a_cart_line_still_leaves_the_cart_with_its_events(garderie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        line = BookingFactory(prestation=garderie, day=DAY, state=State.CART)
        cart_remove(booking=line)
        assert not Booking.objects.filter(pk=line.pk).exists()
        assert not BookingEvent.objects.filter(booking_id=line.pk).exists()


def test_a_click_on_a_line_sent_meanwhile_removes_nothing(garderie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        sent = BookingFactory(prestation=garderie, day=DAY)
        # A click that arrives after the line left the cart removes nothing and says why.
        with pytest.raises(ReservationsError, match=NOT_IN_CART):
            cart_remove(booking=sent)
        assert Booking.objects.filter(pk=sent.pk).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMINISTRATEUR])
def test_the_admin_has_no_delete_for_anyone(role, garderie, tenant_a, in_tenant, client_a):
    with in_tenant(tenant_a):
        booking = BookingFactory(prestation=garderie, day=DAY)
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=role).user)
    changelist = client_a.get(BOOKINGS)
    actions = [value for value, _ in changelist.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert {"accept", "refuse", "cancel"} <= set(actions)
    change = client_a.get(f"{BOOKINGS}{booking.pk}/change/").content.decode()
    assert f"{BOOKINGS}{booking.pk}/delete/" not in change
    assert client_a.get(f"{BOOKINGS}{booking.pk}/delete/").status_code == 403
    assert client_a.post(f"{BOOKINGS}{booking.pk}/delete/", {"post": "yes"}).status_code == 403
    # The bulk delete, posted anyway, is not an action here.
    client_a.post(BOOKINGS, {"action": "delete_selected", "_selected_action": [booking.pk]})
    with in_tenant(tenant_a):
        assert Booking.objects.filter(pk=booking.pk).exists()
