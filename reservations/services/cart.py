"""The family's cart: lines in and out, cancellation requests, the Vue Agenda and forfaits.

Capacity is not taken here: it is checked, under lock, when the cart is validated
(services.validation). Cart lines are the only bookings that may be deleted, with their
events (the database refuses any other: migration 0002).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from families.models import Child, Foyer
from reservations import lifecycle, policy
from reservations.exceptions import HISTORY_KEPT, ReservationsError
from reservations.lifecycle import Action, Reason, State
from reservations.models import Booking, ForfaitPeriod, Prestation, PrestationKind
from reservations.services.lifecycle import bookings_transition
from reservations.services.records import booking_insert

NOT_IN_CART = "Seules les demandes encore dans le panier peuvent être retirées."
NOT_A_FORFAIT = "Cette prestation n'est pas un forfait."
PERIOD_GONE = "Cette période est passée : choisissez des jours à venir."


def cart_add(*, child: Child, prestation: Prestation, day: date, user=None, now=None) -> Booking:
    """Put one prestation-day of ``child`` in the family's cart, if it can be booked now.

    ``prestation`` comes with its service. Refused with its reason: the deadline, a closed
    day, the day already asked for, hours overlapping another prestation of the service.
    """
    now = now or timezone.now()
    refusal = policy.booking_refusal(prestation=prestation, day=day, now=now)
    if refusal:
        raise ReservationsError(refusal)
    return booking_insert(
        child=child,
        prestation=prestation,
        day=day,
        action=Action.ADD,
        reason=Reason.PARENT,
        user=user,
        now=now,
    )


def _lines_delete(lines: QuerySet[Booking]) -> int:
    """Delete the cart lines among ``lines`` and their events; return how many lines.

    The lines are locked in state « cart » first, so none leaves the cart meanwhile: the
    history trigger (migration 0002) then lets their events and them go.
    """
    with transaction.atomic():
        ids = list(
            lines.filter(state=State.CART)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM reservations_bookingevent WHERE booking_id = ANY(%s)", [ids]
                )
                cursor.execute(
                    "DELETE FROM reservations_booking WHERE id = ANY(%s) AND state = %s",
                    [ids, str(State.CART)],
                )
                return cursor.rowcount
        except IntegrityError as error:  # never a cart line: the trigger says why
            raise ReservationsError(HISTORY_KEPT) from error


def cart_remove(*, booking: Booking) -> None:
    """Take one line out of the cart (a click on an « in cart » cell)."""
    if not _lines_delete(Booking.objects.filter(pk=booking.pk)):
        raise ReservationsError(NOT_IN_CART)


def cart_clear(*, foyer: Foyer) -> int:
    """« Vider »: remove every line of the foyer's cart; return how many."""
    return _lines_delete(Booking.objects.filter(child__foyer=foyer))


def cart_refused_drop(*, foyer: Foyer, booking_ids: list[int], user=None, now=None) -> int:
    """Take the lines « Valider » refused out of the foyer's cart; return how many are left.

    A refused booking request leaves the cart (the grid shows its day as it now is: full,
    closed…); a refused cancellation request is withdrawn (the booking stays as it was). A
    parent then validates the rest again instead of clicking each refused line away.
    """
    lines = Booking.objects.filter(child__foyer=foyer, pk__in=booking_ids)
    with transaction.atomic():
        _lines_delete(lines)
        cancellations = list(
            lines.filter(state=State.CANCEL_REQUESTED)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        if cancellations:
            bookings_transition(
                bookings=cancellations,
                action=Action.WITHDRAW_CANCEL,
                reason=Reason.PARENT,
                user=user,
                now=now,
            )
    return Booking.objects.filter(
        child__foyer=foyer, state__in=(State.CART, State.CANCEL_REQUESTED)
    ).count()


def cancel_request(*, booking: Booking, user=None, now=None) -> Booking:
    """A click on a validated cell: ask for its cancellation (« Mes demandes d'annulation »).

    Refused at once when the booking cannot be cancelled, when the prestation's rule never
    allows it or its deadline has passed; otherwise the place stays taken until the cart is
    validated.
    """
    now = now or timezone.now()
    lifecycle.transition(booking.state, Action.ASK_CANCEL)  # the state first: its message
    reason = policy.cancellation_refusal(prestation=booking.prestation, day=booking.day, now=now)
    if reason:
        raise ReservationsError(reason)
    done = bookings_transition(
        bookings=[booking], action=Action.ASK_CANCEL, reason=Reason.PARENT, user=user, now=now
    )
    return done.bookings[0]


def cancel_request_withdraw(*, booking: Booking, user=None, now=None) -> Booking:
    """Take a cancellation request back out of the cart: the booking is as it was before."""
    done = bookings_transition(
        bookings=[booking],
        action=Action.WITHDRAW_CANCEL,
        reason=Reason.PARENT,
        user=user,
        now=now,
    )
    return done.bookings[0]


@dataclass
class AgendaResult:
    """What « Ajouter au panier » did in the Vue Agenda: lines added, days skipped and why."""

    added: list[Booking] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def agenda_add(
    *,
    child: Child,
    prestation: Prestation,
    start: date,
    end: date,
    weekdays: list[int],
    week_parity: str | None = None,
    user=None,
    now=None,
) -> AgendaResult:
    """Vue Agenda: put every open matching day of the period in the cart, say what was not.

    Closed days (holidays, school holidays, closures, days the prestation does not run) and
    days that cannot be booked any more are skipped with their reason; nothing is half-done
    for a day: each is added whole or skipped. A period that is over, or that ends past the
    booking horizon, is refused whole (ReservationsError): nothing is added.
    """
    now = now or timezone.now()
    horizon = policy.booking_horizon(now)
    if end < horizon.today:
        raise ReservationsError(PERIOD_GONE)
    if not horizon.allows(end):
        raise ReservationsError(horizon.refusal)
    closures = policy.closures_for([prestation], _days(start, end))[prestation.pk]
    calendar = policy.closure_calendar(prestation, closures)
    days = calendar.open_days(start, end, weekdays, week_parity)
    result = AgendaResult(skipped=[(s.day, s.reason) for s in days.skipped])
    for day in days.added:
        try:
            result.added.append(
                cart_add(child=child, prestation=prestation, day=day, user=user, now=now)
            )
        except ReservationsError as error:
            result.skipped.append((day, error.message))
    result.skipped.sort()
    return result


def forfait_add(
    *, child: Child, prestation: Prestation, day: date, user=None, now=None
) -> AgendaResult:
    """One click on a forfait books its whole period (the week or the month of ``day``)."""
    if prestation.kind != PrestationKind.FORFAIT:
        raise ReservationsError(NOT_A_FORFAIT)
    if prestation.forfait_period == ForfaitPeriod.WEEK:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=6)
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return agenda_add(
        child=child,
        prestation=prestation,
        start=start,
        end=end,
        weekdays=prestation.weekdays,
        user=user,
        now=now,
    )
