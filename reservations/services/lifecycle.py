"""Every move of an existing booking goes through ``bookings_transition``.

It locks the booking rows, then the capacity rows of their days (services.places, the lock
order written there), applies reservations.lifecycle's table to each booking (all or
nothing: one refused move and nothing changes), records the events with their reason, and
gives every place that frees to the waiting list under the same locks.

Callers: the parent's cancellation requests (services.cart), staff decisions, edits and
cancellations (services.staff), justified absences (services.absences), expired holds
(``holds_release``), and later payments (Action.PAY, Action.RELEASE with
Reason.PAYMENT_FAILED) and closures (Action.CANCEL with Reason.CLOSURE). Cart validation
(services.validation) applies the same table on its hot path with its own statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from reservations import lifecycle
from reservations.exceptions import FULL, ReservationsError
from reservations.lifecycle import (
    STAFF_ACTIONS,
    Action,
    Reason,
    State,
    TransitionRefused,
)
from reservations.models import Booking, BookingEvent
from reservations.places import HOLDING_STATES as TAKEN
from reservations.places import holds_place
from reservations.services.places import days_lock, places_count
from reservations.services.records import events_add, route_of
from reservations.services.waitlist import waitlist_serve

# The order booking rows are locked in, by every writer (cart validation too).
LOCK_ORDER = ("prestation_id", "day", "child_id")


@dataclass(frozen=True)
class Transition:
    """What ``bookings_transition`` did: the bookings in their new state, the children of
    the waiting lists booked in the places freed, and the first event written."""

    bookings: list[Booking] = field(default_factory=list)
    promoted: list[Booking] = field(default_factory=list)
    event_id: int | None = None


def _states_before_request(bookings: list[Booking]) -> dict[int, str]:
    """Return, per booking, its state before its cancellation request (one query)."""
    rows = (
        BookingEvent.objects.filter(booking__in=bookings)
        .exclude(state=State.CANCEL_REQUESTED)
        .order_by("booking_id", "-pk")  # written in order: the last one before the request
        .distinct("booking_id")
        .values_list("booking_id", "state")
    )
    return dict(rows)


def bookings_transition(
    *,
    bookings: Iterable[Booking],
    action: Action,
    reason: Reason,
    user=None,
    by_staff: bool = False,
    note: str = "",
    now: datetime | None = None,
) -> Transition:
    """Move ``bookings`` by ``action`` (reservations.lifecycle), recorded with ``reason``.

    Raises TransitionRefused (a forged or stale move: « Cette réservation est déjà
    annulée. ») or ReservationsError (FULL, when a family's move would take a place that is
    not free; staff may overbook); then nothing changed. Places freed go to the waiting
    lists under the same locks. Staff actions need ``by_staff``; the caller checks the
    user's capability (tenants.rules).
    """
    now = now or timezone.now()
    lifecycle.check_reason(action, reason)
    if action in STAFF_ACTIONS and not by_staff:
        raise ValueError(f"{action} est une décision de la mairie")
    ids = {booking.pk for booking in bookings}
    if not ids:
        return Transition()
    with transaction.atomic():
        locked = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("prestation__service", "child__foyer")
            .order_by(*LOCK_ORDER)
        )
        if len(locked) != len(ids):  # gone meanwhile (a cart line removed)
            raise TransitionRefused(None, action)
        previous = _states_before_request(locked) if action == Action.WITHDRAW_CANCEL else {}
        # (booking, whether it held a place, its state before, its state after)
        moves = [
            (
                booking,
                holds_place(booking, now),
                booking.state,
                lifecycle.transition(
                    booking.state,
                    action,
                    route_of(booking.prestation),
                    previous=previous.get(booking.pk),
                ),
            )
            for booking in locked
        ]
        days_lock(sorted({(b.prestation_id, b.day) for b in locked}))
        hold_until = now + lifecycle.hold_for(action)
        for booking, _, old, new in moves:
            booking.state, booking.state_reason, booking.updated_at = new, reason, now
            if new != State.HELD:
                booking.held_until = None
            elif old != State.HELD:
                booking.held_until = hold_until
        Booking.objects.bulk_update(locked, ["state", "state_reason", "held_until", "updated_at"])
        events = events_add(locked, reason=reason, user=user, by_staff=by_staff, note=note, at=now)
        taking = sorted(
            {(b.prestation_id, b.day) for b, held, _, new in moves if not held and new in TAKEN}
        )
        if taking and not by_staff:
            capacity, taken = places_count(taking, now)
            if any(taken[key] > capacity[key] for key in taking):
                raise ReservationsError(FULL)
        # A hold that expired already counts as free; its day is served now all the same.
        freed = sorted({(b.prestation_id, b.day) for b, _, old, new in moves if _frees(old, new)})
        promoted = waitlist_serve(freed, now=now)
    return Transition(bookings=locked, promoted=promoted, event_id=events[0].pk)


def _frees(old: str, new: str) -> bool:
    return old in TAKEN and new not in TAKEN


def holds_release(*, now: datetime | None = None) -> int:
    """Cancel the held lines whose hold expired unpaid; their places go to the waiting list.

    Lines being handled elsewhere (a payment arriving) are left for the next run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Booking.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(state=State.HELD, held_until__lte=now)
            .order_by(*LOCK_ORDER)
        )
        bookings_transition(
            bookings=expired, action=Action.RELEASE, reason=Reason.HOLD_EXPIRED, now=now
        )
    return len(expired)
