"""Writes about bookings: the cart, its validation under row locks, held places."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from families.models import Child, Foyer
from portal.services import email_queue
from reservations import policy
from reservations.exceptions import CartEmpty, CartRefused, RefusedLine, ReservationsError
from reservations.models import (
    ACTIVE_STATES,
    TAKEN_STATES,
    BillingMode,
    Booking,
    BookingEvent,
    BookingState,
    ForfaitPeriod,
    Prestation,
    PrestationDay,
    PrestationKind,
    WaitingListEntry,
)

HOLD_MINUTES = 15
ALREADY_BOOKED = "Cette prestation est déjà dans votre panier ou réservée ce jour-là."
NOT_CANCELLABLE_STATE = "Seules les demandes validées peuvent être annulées."


def cart_add(*, child: Child, prestation: Prestation, day: date, user=None, now=None) -> Booking:
    """Put one prestation-day of ``child`` in the family's cart, if it can be booked now.

    Capacity is not taken here: it is checked, under lock, when the cart is validated.
    """
    now = now or timezone.now()
    refusal = policy.booking_refusal(prestation=prestation, day=day, now=now)
    if refusal:
        raise ReservationsError(refusal)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(child=child, prestation=prestation, day=day)
    except IntegrityError as error:
        raise ReservationsError(ALREADY_BOOKED) from error
    BookingEvent.objects.create(booking=booking, state=BookingState.CART, by_user=user)
    return booking


def cancel_request(*, booking: Booking, user=None, now=None) -> Booking:
    """A click on a validated cell: ask for its cancellation (« Mes demandes d'annulation »).

    Refused at once when the prestation's rule never allows it or its deadline has passed;
    otherwise the place stays taken until the cart is validated.
    """
    now = now or timezone.now()
    if booking.state not in (BookingState.VALIDATED, BookingState.PENDING_APPROVAL):
        raise ReservationsError(NOT_CANCELLABLE_STATE)
    reason = policy.cancellation_refusal(prestation=booking.prestation, day=booking.day, now=now)
    if reason:
        raise ReservationsError(reason)
    booking.state = BookingState.CANCEL_REQUESTED
    booking.save(update_fields=["state", "updated_at"])
    BookingEvent.objects.create(booking=booking, state=booking.state, by_user=user)
    return booking


def cancel_request_withdraw(*, booking: Booking, user=None) -> Booking:
    """Take a cancellation request back out of the cart: the booking stays validated."""
    if booking.state != BookingState.CANCEL_REQUESTED:
        raise ReservationsError("Aucune demande d'annulation en cours pour ce jour.")
    booking.state = BookingState.VALIDATED
    booking.save(update_fields=["state", "updated_at"])
    BookingEvent.objects.create(booking=booking, state=booking.state, by_user=user)
    return booking


def cart_remove(*, booking: Booking) -> None:
    """Take one line out of the cart (a click on an « in cart » cell)."""
    if booking.state != BookingState.CART:
        raise ReservationsError("Seules les demandes encore dans le panier peuvent être retirées.")
    booking.delete()


@dataclass
class AgendaResult:
    """What « Ajouter au panier » did in the Vue Agenda: lines added, days skipped and why."""

    added: list[Booking] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)


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
    for a day: each is added whole or skipped.
    """
    now = now or timezone.now()
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


def forfait_add(*, child: Child, prestation: Prestation, day: date, user=None, now=None):
    """One click on a forfait books its whole period (the week or the month of ``day``)."""
    if prestation.kind != PrestationKind.FORFAIT:
        raise ReservationsError("Cette prestation n'est pas un forfait.")
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


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def cart_clear(*, foyer: Foyer) -> int:
    """« Vider »: remove every line of the foyer's cart; return how many."""
    _, per_model = Booking.objects.filter(child__foyer=foyer, state=BookingState.CART).delete()
    return per_model.get(Booking._meta.label, 0)  # not counting their cascaded history


def _day_keys_q(keys) -> Q:
    return reduce(or_, (Q(prestation_id=p, day=d) for p, d in keys))


def _lock_prestation_days(keys: list[tuple[int, date]]) -> dict[tuple[int, date], int]:
    """Lock the capacity rows of ``keys`` (creating missing ones); return their capacity.

    Rows are locked in (prestation, day) order, the same for every caller, so two carts
    sharing days never wait on each other in a cycle. Caller must be in a transaction.
    """
    PrestationDay.objects.bulk_create(
        [PrestationDay(prestation_id=p, day=d) for p, d in keys], ignore_conflicts=True
    )
    rows = (
        PrestationDay.objects.select_for_update(of=("self",))
        .filter(_day_keys_q(keys))
        .select_related("prestation")
        .order_by("prestation_id", "day")
    )
    return {
        (row.prestation_id, row.day): (
            row.capacity if row.capacity is not None else row.prestation.capacity
        )
        for row in rows
    }


def _places_taken(keys, now: datetime) -> Counter:
    """Count the places taken on ``keys``. Caller must hold the capacity rows' locks."""
    rows = (
        Booking.objects.filter(_day_keys_q(keys), state__in=TAKEN_STATES)
        .exclude(state=BookingState.HELD, held_until__lte=now)
        .values_list("prestation_id", "day")
        .annotate(n=Count("id"))
    )
    return Counter({(p, d): n for p, d, n in rows})


def cart_validate(*, foyer: Foyer, user=None, now: datetime | None = None) -> list[Booking]:
    """« Valider »: all the cart or nothing, each deadline and capacity checked at ``now``.

    The cart holds booking requests and cancellation requests. Raises CartRefused with every
    refused line and its reason; then nothing changes. A prépaiement line is held (places
    kept) for HOLD_MINUTES while the family pays; a line needing the mairie's approval waits
    for it; the others become « Demande validée »; cancellations within their deadline are
    applied. The family gets one confirmation e-mail.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lines = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(
                child__foyer=foyer, state__in=[BookingState.CART, BookingState.CANCEL_REQUESTED]
            )
            .select_related("prestation__service", "child")
            .order_by("prestation_id", "day", "child_id")
        )
        if not lines:
            raise CartEmpty()
        bookings = [line for line in lines if line.state == BookingState.CART]
        cancellations = [line for line in lines if line.state == BookingState.CANCEL_REQUESTED]
        refusals = policy.booking_refusals(lines=bookings, now=now) if bookings else {}
        for line in cancellations:
            reason = policy.cancellation_refusal(prestation=line.prestation, day=line.day, now=now)
            if reason:
                refusals[line.pk] = reason
        # Cancelled days too: their freed places go to the waiting list under the same locks.
        keys = sorted({(line.prestation_id, line.day) for line in lines})
        capacity = _lock_prestation_days(keys)
        taken = _places_taken(keys, now)
        refused: list[RefusedLine] = []
        for line in lines:
            reason = refusals.get(line.pk)
            if reason is None and line in bookings:
                key = (line.prestation_id, line.day)
                if taken[key] >= capacity[key]:
                    reason = policy.FULL
                else:
                    taken[key] += 1
            if reason:
                label = f"{line.child.first_name} : {line.prestation.name} le {line.day:%d/%m/%Y}"
                refused.append(RefusedLine(booking_id=line.pk, label=label, reason=reason))
        if refused:
            raise CartRefused(refused)
        hold_until = now + timedelta(minutes=HOLD_MINUTES)
        events = []
        for line in lines:
            if line.state == BookingState.CANCEL_REQUESTED:
                line.state = BookingState.CANCELLED
            elif line.prestation.service.billing_mode == BillingMode.PREPAIEMENT:
                line.state, line.held_until = BookingState.HELD, hold_until
            elif line.prestation.requires_approval:
                line.state = BookingState.PENDING_APPROVAL
            else:
                line.state = BookingState.VALIDATED
            events.append(BookingEvent(booking=line, state=line.state, by_user=user))
        Booking.objects.bulk_update(lines, ["state", "held_until", "updated_at"])
        BookingEvent.objects.bulk_create(events)
        _confirmation_email(foyer=foyer, lines=lines, event_id=events[0].pk)
        freed = sorted({(line.prestation_id, line.day) for line in cancellations})
        if freed:
            _waitlist_promote(freed, capacity=capacity, now=now)
    return lines


WAITLIST_NOT_FULL = "Il reste des places ce jour-là : réservez-la directement."
ALREADY_WAITING = "Cet enfant est déjà sur la liste d'attente de ce jour."


def waitlist_join(*, child: Child, prestation: Prestation, day: date, now=None):
    """Put ``child`` on the waiting list of a full prestation-day; return its position."""
    now = now or timezone.now()
    refusal = policy.booking_refusal(prestation=prestation, day=day, now=now)
    if refusal:
        raise ReservationsError(refusal)
    with transaction.atomic():
        key = (prestation.pk, day)
        capacity = _lock_prestation_days([key])
        if _places_taken([key], now)[key] < capacity[key]:
            raise ReservationsError(WAITLIST_NOT_FULL)
        if (
            Booking.objects.filter(child=child, prestation=prestation, day=day)
            .filter(state__in=[s.value for s in ACTIVE_STATES])
            .exists()
        ):
            raise ReservationsError(ALREADY_BOOKED)
        try:
            with transaction.atomic():
                entry = WaitingListEntry.objects.create(child=child, prestation=prestation, day=day)
        except IntegrityError as error:
            raise ReservationsError(ALREADY_WAITING) from error
    return waitlist_position(entry=entry)


def waitlist_position(*, entry) -> int:
    """Return the 1-based rank of ``entry`` among those still waiting for its day."""
    return WaitingListEntry.objects.filter(
        prestation_id=entry.prestation_id,
        day=entry.day,
        promoted_to__isnull=True,
        pk__lte=entry.pk,
    ).count()


def _waitlist_promote(keys, *, capacity: dict, now: datetime) -> list[Booking]:
    """Give freed places to the first children in line, and e-mail their families.

    Caller must hold the capacity rows' locks of ``keys``: the places counted here cannot be
    taken by anyone else before this transaction commits.
    """
    taken = _places_taken(keys, now)
    promoted = []
    entries = (
        WaitingListEntry.objects.select_for_update(of=("self",))
        .filter(_day_keys_q(keys), promoted_to__isnull=True)
        .select_related("child__foyer", "prestation")
        .order_by("prestation_id", "day", "created_at", "pk")
    )
    for entry in entries:
        key = (entry.prestation_id, entry.day)
        if taken[key] >= capacity[key]:
            continue
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    child=entry.child,
                    prestation=entry.prestation,
                    day=entry.day,
                    state=BookingState.VALIDATED,
                )
        except IntegrityError:  # booked meanwhile by other means: leave the place to the next
            continue
        entry.promoted_to = booking
        entry.save(update_fields=["promoted_to"])
        event = BookingEvent.objects.create(
            booking=booking, state=booking.state, note="Place libérée : liste d'attente"
        )
        taken[key] += 1
        promoted.append(booking)
        foyer = entry.child.foyer
        if foyer.email:
            email_queue(
                to=foyer.email,
                subject="Une place s'est libérée : votre réservation est validée",
                body=render_to_string(
                    "reservations/emails/waitlist_promoted.txt",
                    {"foyer": foyer, "booking": booking, "collectivite": connection.tenant},
                ),
                key=f"waitlist-promoted:{event.pk}",
            )
    return promoted


def capacity_raised(*, prestation: Prestation, days=None, now=None) -> list[Booking]:
    """After staff raised a capacity, give the new places to the waiting lists at once."""
    now = now or timezone.now()
    waiting = WaitingListEntry.objects.filter(prestation=prestation, promoted_to__isnull=True)
    if days is not None:
        waiting = waiting.filter(day__in=days)
    with transaction.atomic():
        keys = sorted({(prestation.pk, day) for day in waiting.values_list("day", flat=True)})
        if not keys:
            return []
        capacity = _lock_prestation_days(keys)
        return _waitlist_promote(keys, capacity=capacity, now=now)


def _confirmation_email(*, foyer: Foyer, lines: list[Booking], event_id: int) -> None:
    """Queue the one e-mail that confirms a validated cart (sent after commit)."""
    if not foyer.email:
        return
    body = render_to_string(
        "reservations/emails/cart_validated.txt",
        {"foyer": foyer, "lines": lines, "collectivite": connection.tenant},
    )
    email_queue(
        to=foyer.email,
        subject="Vos demandes de réservation ont été enregistrées",
        body=body,
        key=f"cart-validated:{foyer.pk}:{event_id}",
    )


def bookings_decide(*, bookings, accept: bool, user) -> int:
    """Staff accept or refuse bookings awaiting approval; each family is told by e-mail."""
    state = BookingState.VALIDATED if accept else BookingState.REFUSED
    with transaction.atomic():
        pending = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(pk__in=[b.pk for b in bookings], state=BookingState.PENDING_APPROVAL)
            .select_related("child__foyer", "prestation")
        )
        for booking in pending:
            booking.state = state
        Booking.objects.bulk_update(pending, ["state", "updated_at"])
        events = BookingEvent.objects.bulk_create(
            BookingEvent(booking=b, state=state, by_user_id=user.pk, by_staff=True) for b in pending
        )
        by_foyer: dict[int, list[Booking]] = {}
        for booking in pending:
            by_foyer.setdefault(booking.child.foyer_id, []).append(booking)
        for foyer_lines in by_foyer.values():
            foyer = foyer_lines[0].child.foyer
            if foyer.email:
                email_queue(
                    to=foyer.email,
                    subject="Réponse de la mairie à vos demandes de réservation",
                    body=render_to_string(
                        "reservations/emails/decision.txt",
                        {"foyer": foyer, "lines": foyer_lines, "accepted": accept},
                    ),
                    key=f"booking-decision:{events[0].pk}:{foyer.pk}",
                )
    return len(pending)


def holds_release(*, now: datetime | None = None) -> int:
    """Put expired held lines back in their cart: their places are free again."""
    now = now or timezone.now()
    expired = Booking.objects.filter(state=BookingState.HELD, held_until__lte=now)
    with transaction.atomic():
        ids = list(expired.select_for_update().values_list("pk", flat=True))
        Booking.objects.filter(pk__in=ids).update(
            state=BookingState.CART, held_until=None, updated_at=now
        )
        BookingEvent.objects.bulk_create(
            BookingEvent(booking_id=pk, state=BookingState.CART, note="Paiement non reçu à temps")
            for pk in ids
        )
    return len(ids)


def booking_staff_record(*, booking: Booking, user, note: str = "") -> BookingEvent:
    """Log a booking that mairie staff created or changed (deadlines and capacity overridden)."""
    return BookingEvent.objects.create(
        booking=booking,
        state=booking.state,
        by_user_id=user.pk,
        by_staff=True,
        note=note or "Saisie par la mairie",
    )


JUSTIFIED_ABSENCE = "Absence justifiée acceptée par la mairie"


def bookings_cancel_for_absence(
    *, child: Child, start: date, end: date, user, note: str = "", now=None
) -> list[Booking]:
    """Cancel ``child``'s bookings from ``start`` to ``end`` for an accepted justified absence.

    Deadlines do not apply: the mairie accepted the justificatif. Cart lines of those days
    are cancelled too. Freed places go to the waiting lists under the same locks, and each
    change is logged with the staff user.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lines = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(child=child, day__range=(start, end), state__in=ACTIVE_STATES)
            .order_by("prestation_id", "day")
        )
        if not lines:
            return []
        keys = sorted({(line.prestation_id, line.day) for line in lines})
        capacity = _lock_prestation_days(keys)
        for line in lines:
            line.state, line.held_until = BookingState.CANCELLED, None
        Booking.objects.bulk_update(lines, ["state", "held_until", "updated_at"])
        BookingEvent.objects.bulk_create(
            BookingEvent(
                booking=line,
                state=BookingState.CANCELLED,
                by_user_id=user.pk if user else None,
                by_staff=True,
                note=(note or JUSTIFIED_ABSENCE)[:255],
            )
            for line in lines
        )
        _waitlist_promote(keys, capacity=capacity, now=now)
    return lines
