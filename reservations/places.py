"""The place rule and the waiting line, each defined once, for the ORM and for raw SQL.

Every count of places (the cart's locks, the grid's figures, the day sheet, the kitchen's
meals, news audiences) and every waiting-list rank or promotion is built from here.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from reservations.lifecycle import ACTIVE_STATES, TAKEN_STATES, State

# A booking holds a place when its state is one of TAKEN_STATES, unless it is a held
# prépaiement line whose hold has expired (its place is free again before holds_release
# runs). This is the one definition: the queryset method, the SQL fragment and the test of
# one booking below are all built from HOLDING_STATES and EXPIRING_STATE, and every count
# uses one of them.
HOLDING_STATES = tuple(str(state) for state in TAKEN_STATES)
EXPIRING_STATE = str(State.HELD)


def holding_place_q(now: datetime) -> Q:
    """Bookings that hold a place at ``now`` (see above)."""
    return Q(state__in=HOLDING_STATES) & ~Q(state=EXPIRING_STATE, held_until__lte=now)


def holding_place_sql(alias: str) -> str:
    """Return the WHERE fragment « booking ``alias`` holds a place », three placeholders.

    Its parameters, in order, are ``holding_place_params(now)``.
    """
    return f"{alias}.state = ANY(%s) AND NOT ({alias}.state = %s AND {alias}.held_until <= %s)"


def holding_place_params(now: datetime) -> list:
    return [list(HOLDING_STATES), EXPIRING_STATE, now]


def holds_place(booking, now: datetime) -> bool:
    """Tell whether ``booking`` (its state and hold as loaded) holds a place at ``now``."""
    if booking.state not in HOLDING_STATES:
        return False
    return not (booking.state == EXPIRING_STATE and booking.held_until <= now)


class BookingQuerySet(models.QuerySet):
    def holding_place(self, now: datetime) -> BookingQuerySet:
        return self.filter(holding_place_q(now))

    def active(self) -> BookingQuerySet:
        """Bookings that block another of the same child, prestation and day."""
        return self.filter(state__in=[str(state) for state in ACTIVE_STATES])


# First come, first served: the rank on a waiting list and the order of promotion.
WAITING_ORDER = ("created_at", "id")


def waiting_ahead_sql(ahead: str, entry: str) -> str:
    """Return « ``ahead`` is in line no later than ``entry`` » over WAITING_ORDER, in SQL."""
    return "({}) <= ({})".format(
        ", ".join(f"{ahead}.{column}" for column in WAITING_ORDER),
        ", ".join(f"{entry}.{column}" for column in WAITING_ORDER),
    )


class WaitingListQuerySet(models.QuerySet):
    def waiting(self) -> WaitingListQuerySet:
        return self.filter(promoted_to__isnull=True)

    def in_line(self) -> WaitingListQuerySet:
        """Entries still waiting, per prestation and day in WAITING_ORDER."""
        return self.waiting().order_by("prestation_id", "day", *WAITING_ORDER)

    def ahead_of(self, entry) -> WaitingListQuerySet:
        """Entries waiting for ``entry``'s day no later than it in WAITING_ORDER (itself too)."""
        values = [getattr(entry, column) for column in WAITING_ORDER]
        *firsts, last = WAITING_ORDER
        ahead = Q(**{f"{last}__lte": values[-1]})
        for column, value in reversed(list(zip(firsts, values, strict=False))):
            ahead = Q(**{f"{column}__lt": value}) | (Q(**{column: value}) & ahead)
        return self.waiting().filter(ahead, prestation_id=entry.prestation_id, day=entry.day)
