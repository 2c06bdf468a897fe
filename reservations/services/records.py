"""The rows of a booking's life: a new booking with its first event, events, database refusals.

Every state a booking takes comes from reservations.lifecycle; every event carries its
reason. A refusal of the database (already booked, overlapping hours, history kept) becomes
the French sentence of reservations.exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import NumericRange

from families.models import Child
from reservations import lifecycle
from reservations.exceptions import (
    ALREADY_BOOKED,
    HISTORY_KEPT,
    SLOTS_OVERLAP,
    SLOTS_OVERLAP_NAMED,
    ReservationsError,
)
from reservations.lifecycle import Action, Reason, Route, State
from reservations.models import BillingMode, Booking, BookingEvent, Prestation

# Constraint names of reservations.models and of migration 0002's triggers.
ONCE_PER_DAY = "booking_once_per_child_day"
SLOTS_DISJOINT = "booking_slots_disjoint"
HISTORY = "booking_history_kept"


def route_of(prestation: Prestation) -> Route:
    """Return what ``prestation`` asks before a booking is validated (its service loaded)."""
    return Route(
        approval=prestation.requires_approval,
        prepaid=prestation.service.billing_mode == BillingMode.PREPAIEMENT,
    )


def slot_of(prestation: Prestation) -> NumericRange | None:
    """Return the hours of ``prestation`` in minutes from midnight, [start, end), as stored.

    The same figures as the database's trigger booking_slot_fill (migration 0002).
    """
    start, end = prestation.start_time, prestation.end_time
    if start is None or end is None or end <= start:
        return None
    return NumericRange(start.hour * 60 + start.minute, end.hour * 60 + end.minute, "[)")


def slot_clash(*, child_id: int, prestation: Prestation, day: date) -> Booking | None:
    """Return the child's other active booking of that service and day whose hours overlap.

    One query, none for a prestation without hours. The database refuses such a pair too
    (constraint booking_slots_disjoint); this finds it first, to name it.
    """
    slot = slot_of(prestation)
    if slot is None:
        return None
    return (
        Booking.objects.active()
        .filter(child_id=child_id, day=day, service_id=prestation.service_id, slot__overlap=slot)
        .exclude(prestation_id=prestation.pk)
        .select_related("prestation")
        .first()
    )


def overlap_error(prestation: Prestation, clash: Booking | None) -> ReservationsError:
    if clash is None:
        return ReservationsError(SLOTS_OVERLAP)
    return ReservationsError(
        SLOTS_OVERLAP_NAMED.format(name=prestation.name, other=clash.prestation.name)
    )


def constraint_of(error: Exception) -> str | None:
    """Return the name of the constraint (or trigger) the database error reports."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def conflict_error(
    error: IntegrityError, *, child_id: int, prestation: Prestation, day: date
) -> ReservationsError:
    """Turn the database's refusal of a new booking into its French message."""
    name = constraint_of(error)
    if name == ONCE_PER_DAY:
        return ReservationsError(ALREADY_BOOKED)
    if name == SLOTS_DISJOINT:
        return overlap_error(
            prestation, slot_clash(child_id=child_id, prestation=prestation, day=day)
        )
    if name == HISTORY:
        return ReservationsError(HISTORY_KEPT)
    raise error


def events_add(
    bookings: Iterable[Booking],
    *,
    reason: Reason,
    user=None,
    by_staff: bool = False,
    note: str = "",
    at: datetime,
) -> list[BookingEvent]:
    """Record the current state of ``bookings`` at ``at`` with ``reason``, in one statement."""
    return BookingEvent.objects.bulk_create(
        BookingEvent(
            booking=booking,
            state=booking.state,
            reason=reason,
            by_user_id=user.pk if user else None,
            by_staff=by_staff,
            note=note[:255],
            at=at,
        )
        for booking in bookings
    )


def booking_insert(
    *,
    child: Child,
    prestation: Prestation,
    day: date,
    action: Action,
    reason: Reason,
    now: datetime,
    user=None,
    by_staff: bool = False,
    note: str = "",
) -> Booking:
    """Create a booking in the state ``action`` gives it (lifecycle), with its first event.

    ``prestation`` comes with its service. Raises ReservationsError when the child already
    has that day or overlapping hours of the same service; then nothing is written. Places
    are the caller's: it holds the day's lock when the new booking takes one.
    """
    lifecycle.check_reason(action, reason)
    state = lifecycle.transition(None, action, route_of(prestation))
    clash = slot_clash(child_id=child.pk, prestation=prestation, day=day)
    if clash is not None:
        raise overlap_error(prestation, clash)
    booking = Booking(
        child=child,
        prestation=prestation,
        day=day,
        state=state,
        state_reason=reason,
        held_until=now + lifecycle.hold_for(action) if state == State.HELD else None,
    )
    try:
        with transaction.atomic():
            booking.save(force_insert=True)
    except IntegrityError as error:
        raise conflict_error(error, child_id=child.pk, prestation=prestation, day=day) from error
    events_add([booking], reason=reason, user=user, by_staff=by_staff, note=note, at=now)
    return booking
