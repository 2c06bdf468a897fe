"""« Valider » refused some lines: they leave the cart, the rest waits (issue 12, browser run)."""

from __future__ import annotations

import pytest

from reservations.lifecycle import State
from reservations.models import Booking
from reservations.services.cart import cart_refused_drop
from tests.factories import BookingFactory, ChildFactory

pytestmark = pytest.mark.django_db


def test_only_the_foyers_refused_cart_lines_go(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        child, stranger = ChildFactory(), ChildFactory()
        refused = BookingFactory(child=child, state=State.CART)
        kept = BookingFactory(child=child, state=State.CART)
        booked = BookingFactory(child=child, state=State.VALIDATED)
        theirs = BookingFactory(child=stranger, state=State.CART)
        left = cart_refused_drop(foyer=child.foyer, booking_ids=[refused.pk, booked.pk, theirs.pk])
        assert left == 1
        assert set(Booking.objects.values_list("pk", "state")) == {
            (kept.pk, State.CART),
            (booked.pk, State.VALIDATED),
            (theirs.pk, State.CART),
        }
