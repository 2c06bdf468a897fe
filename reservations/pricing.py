"""The amount a prépaiement cart asks for. Pure: Decimal in, Decimal out, rounded once."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cart_total(unit_prices: Iterable[Decimal | None]) -> Decimal:
    """Return the sum of the lines' unit prices, rounded half-up to the cent once.

    A line without a price (a post-facturation prestation) adds nothing.
    """
    return sum((price for price in unit_prices if price is not None), Decimal("0")).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
