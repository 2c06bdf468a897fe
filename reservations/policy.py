"""Whether a line can be booked now: the pure rules (reservations.rules) fed from the models."""

from __future__ import annotations

from datetime import date, datetime

from reservations.exceptions import FULL, NOT_RUNNING

__all__ = ["FULL", "booking_refusal", "booking_refusals"]


def booking_refusal(*, prestation, day: date, now: datetime) -> str | None:
    """Return why ``prestation`` cannot be booked on ``day`` at ``now`` (None: it can)."""
    if day.isoweekday() not in prestation.weekdays:
        return NOT_RUNNING
    return None


def booking_refusals(*, lines, now: datetime) -> dict[int, str]:
    """Return {booking id: reason} for the cart lines that cannot be booked at ``now``."""
    refusals = {}
    for line in lines:
        reason = booking_refusal(prestation=line.prestation, day=line.day, now=now)
        if reason:
            refusals[line.pk] = reason
    return refusals
