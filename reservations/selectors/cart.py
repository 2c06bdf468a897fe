"""The cart panel: the foyer's lines per child, what its prépaiement lines cost, places held."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from families.models import Child, Foyer
from reservations.lifecycle import State
from reservations.models import BillingMode, Booking, Prestation
from reservations.pricing import cart_total

# The foyer's lines the cart panel shows: requests to validate, and places held for payment.
CART_STATES = (State.CART, State.CANCEL_REQUESTED, State.HELD)


@dataclass(frozen=True)
class CartLine:
    """« 3 REPAS CLASSIQUE ENFANT », or as many cancellations asked of it."""

    prestation: Prestation
    count: int
    cancellation: bool = False


@dataclass(frozen=True)
class CartChild:
    child: Child
    lines: tuple[CartLine, ...]

    @property
    def name(self) -> str:
        return f"{self.child.first_name} {self.child.last_name}"


@dataclass(frozen=True)
class Cart:
    """The foyer's cart per child, what its prépaiement lines cost, and the places held."""

    children: tuple[CartChild, ...]
    total: Decimal = Decimal("0.00")
    held_count: int = 0
    held_until: datetime | None = None

    @property
    def count(self) -> int:
        return sum(line.count for entry in self.children for line in entry.lines)

    @property
    def is_empty(self) -> bool:
        return not self.children


def cart_panel(*, foyer: Foyer, rows: Iterable[Booking], now: datetime) -> Cart:
    # Every row is the foyer's: its cart, or its chosen child's bookings in the window.
    counts: dict[int, dict[tuple[int, bool], int]] = defaultdict(lambda: defaultdict(int))
    prestations: dict[int, Prestation] = {}
    prices = []
    held = []
    for booking in rows:
        if booking.state in (State.CART, State.CANCEL_REQUESTED):
            cancellation = booking.state == State.CANCEL_REQUESTED
            counts[booking.child_id][(booking.prestation_id, cancellation)] += 1
            prestations[booking.prestation_id] = booking.prestation
            service = booking.prestation.service
            if not cancellation and service.billing_mode == BillingMode.PREPAIEMENT:
                prices.append(booking.prestation.unit_price)
        elif booking.state == State.HELD and booking.held_until and booking.held_until > now:
            held.append(booking.held_until)

    def order(line: CartLine):
        prestation, service = line.prestation, line.prestation.service
        return (
            line.cancellation,
            service.display_order,
            service.name,
            prestation.display_order,
            prestation.name,
        )

    entries = []
    for child in foyer.children.all():
        if child.pk not in counts:
            continue
        lines = sorted(
            (
                CartLine(prestations[pk], n, cancellation)
                for (pk, cancellation), n in counts[child.pk].items()
            ),
            key=order,
        )
        entries.append(CartChild(child=child, lines=tuple(lines)))
    return Cart(
        children=tuple(entries),
        total=cart_total(prices),
        held_count=len(held),
        held_until=min(held, default=None),
    )
