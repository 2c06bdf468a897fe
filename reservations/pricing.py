"""What a prépaiement cart asks for: each line priced by billing's tariff engine.

The cart shows the price the family will pay and the invoice will carry: the tariff valid
on the day and the foyer's quotient familial of that day (billing.tariffs), rounded once per
line. A line of a post-facturation service adds nothing here: it is billed after the month.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from reservations.models import BillingMode, Booking


def prepaid_total(*, foyer_id: int, bookings: Iterable[Booking]) -> Decimal:
    """Return what ``bookings`` of prépaiement services cost ``foyer_id``; no query when none.

    ``bookings`` carry their prestation and its service.
    """
    from billing.tariffs import day_prices  # billing prices what reservations books

    days = [
        (booking.prestation, booking.day)
        for booking in bookings
        if booking.prestation.service.billing_mode == BillingMode.PREPAIEMENT
    ]
    priced = day_prices(foyer_id=foyer_id, days=days)
    return sum((line.amount for line in priced if line is not None), Decimal("0.00"))
