"""What the mairie's staff do to bookings: accept, refuse, book and cancel, never delete.

Every decision needs the capability reservations.decide (tenants.rules) and goes through
services.lifecycle; each family is told by e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from families.models import Child
from reservations import lifecycle, policy
from reservations.exceptions import (
    FULL,
    NOT_ALLOWED,
    OVERRIDE_MOTIVE_REQUIRED,
    OVERRIDE_NEEDED,
    ReservationsError,
)
from reservations.lifecycle import ACTIVE_STATES, STAFF_MOVES, Action, Reason, State
from reservations.models import Booking, Prestation, WaitingListEntry
from reservations.services import emails
from reservations.services.lifecycle import bookings_transition
from reservations.services.places import days_lock, places_count
from reservations.services.records import booking_insert, route_of

DECIDE = "reservations.decide"


def _check_allowed(user) -> None:
    if user is None or not user.has_perm(DECIDE):
        raise ReservationsError(NOT_ALLOWED)


def bookings_decide(
    *, bookings: Iterable[Booking], accept: bool, user, note: str = "", now=None
) -> int:
    """Accept or refuse the requests awaiting approval among ``bookings``; return how many.

    A refusal's motive is kept in ``note`` and told to the family. An accepted prépaiement
    request is held while the family, told by e-mail, pays (reservations.lifecycle). A
    refusal frees its place for the waiting list.
    """
    _check_allowed(user)
    pending = [b for b in bookings if b.state == State.PENDING_APPROVAL]
    action = Action.ACCEPT if accept else Action.REFUSE
    done = bookings_transition(
        bookings=pending,
        action=action,
        reason=STAFF_MOVES[action],
        user=user,
        by_staff=True,
        note=note,
        now=now,
    )
    if done.bookings:
        emails.staff_decided(
            bookings=done.bookings, accepted=accept, note=note, event_id=done.event_id
        )
    return len(done.bookings)


def bookings_staff_cancel(*, bookings: Iterable[Booking], user, note: str = "", now=None) -> int:
    """Cancel the active bookings among ``bookings``, deadlines overridden; return how many.

    Their places go to the waiting lists; each family is told, with the motive.
    """
    _check_allowed(user)
    active = [b for b in bookings if b.state in ACTIVE_STATES]
    done = bookings_transition(
        bookings=active,
        action=Action.CANCEL,
        reason=Reason.STAFF_CANCELLATION,
        user=user,
        by_staff=True,
        note=note,
        now=now,
    )
    if done.bookings:
        emails.staff_cancelled(bookings=done.bookings, note=note, event_id=done.event_id)
    return len(done.bookings)


def booking_staff_change(
    *, booking: Booking, state: str, user, note: str = "", now=None
) -> Booking:
    """Move ``booking`` to ``state`` as staff chose it in the admin (accept, refuse, cancel).

    Any other move is refused (TransitionRefused) with the lifecycle's message.
    """
    moves = lifecycle.staff_moves(State(booking.state), route_of(booking.prestation))
    action = moves.get(State(state))
    if action is None:
        old, new = State(booking.state), State(state)
        raise ReservationsError(
            lifecycle.STAFF_MOVE_REFUSED.format(old=old.label.lower(), new=new.label.lower())
        )
    if action == Action.CANCEL:
        bookings_staff_cancel(bookings=[booking], user=user, note=note, now=now)
    else:
        bookings_decide(
            bookings=[booking], accept=action == Action.ACCEPT, user=user, note=note, now=now
        )
    return Booking.objects.get(pk=booking.pk)


def booking_staff_create(
    *,
    child: Child,
    prestation: Prestation,
    day: date,
    user,
    note: str = "",
    override: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book ``prestation`` on ``day`` for ``child`` on the mairie's authority.

    Judged by the parents' rules (reservations.policy): a day without service (closure,
    holiday, a weekday the prestation does not run) is refused, always. A passed deadline
    or a full day is refused too unless staff ``override`` it, with a motive in ``note``:
    the event records what was overridden and why. The lifecycle still applies: a
    prépaiement booking is held until the family pays. The child leaves that day's waiting
    list if it was on it.
    """
    _check_allowed(user)
    now = now or timezone.now()
    check = policy.staff_check(prestation=prestation, day=day, now=now)
    if check.closed:  # before any lock: a day without service is never booked
        raise ReservationsError(check.closed)
    with transaction.atomic():
        key = (prestation.pk, day)
        days_lock([key])
        capacity, taken = places_count([key], now)
        note = staff_override_note(
            check=check, full=taken[key] >= capacity[key], override=override, note=note
        )
        booking = booking_insert(
            child=child,
            prestation=prestation,
            day=day,
            action=Action.STAFF_BOOK,
            reason=Reason.DEADLINE_OVERRIDE,
            user=user,
            by_staff=True,
            note=note,
            now=now,
        )
        WaitingListEntry.objects.waiting().filter(
            child=child, prestation=prestation, day=day
        ).update(promoted_to=booking)
    return booking


def staff_override_note(*, check: policy.StaffCheck, full: bool, override: bool, note: str) -> str:
    """Return the event's note of a booking typed by staff, or raise why it cannot be made.

    Pure: the service calls it under the day's lock, the admin form before (to show the
    checkbox's error beside it). Overridden rules are written in the note with the motive.
    """
    if check.closed:
        raise ReservationsError(check.closed)
    overridden = [reason.rstrip(".") for reason in (check.deadline,) if reason]
    if full:
        overridden.append(FULL.rstrip("."))
    if not overridden:
        return note
    if not override:
        raise ReservationsError(OVERRIDE_NEEDED.format(reasons=" ; ".join(overridden) + "."))
    if not note.strip():
        raise ReservationsError(OVERRIDE_MOTIVE_REQUIRED)
    return f"Hors règle ({' ; '.join(overridden)}) : {note.strip()}"
