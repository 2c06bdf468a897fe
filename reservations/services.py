"""Writes about bookings: the cart, its validation under row locks, held places."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
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
    PrestationKind,
    Service,
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


# The statements of a cart's validation, on the tables of reservations.models: raw SQL
# because the validation is the hot path of the Tuesday-noon rush (bench/bench_cart_race.py).
LOCK_DAYS_SQL = """
    INSERT INTO reservations_prestationday (prestation_id, day)
    SELECT k.p, k.d FROM unnest(%s::bigint[], %s::date[]) AS k(p, d) ORDER BY k.p, k.d
    ON CONFLICT (prestation_id, day)
    DO UPDATE SET capacity = reservations_prestationday.capacity WHERE false
"""
PLACES_SQL = """
    SELECT k.p, k.d, COALESCE(d.capacity, p.capacity),
        (SELECT count(*) FROM reservations_booking b
         WHERE b.prestation_id = k.p AND b.day = k.d AND b.state = ANY(%s)
           AND NOT (b.state = %s AND b.held_until <= %s))
    FROM unnest(%s::bigint[], %s::date[]) AS k(p, d)
    JOIN reservations_prestation p ON p.id = k.p
    LEFT JOIN reservations_prestationday d ON d.prestation_id = k.p AND d.day = k.d
"""

# The new states of a validated cart and their history lines.
LINES_SAVE_SQL = """
    WITH v AS (
        SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[])
            AS v(id, state, held_until)
    ), saved AS (
        UPDATE reservations_booking b
        SET state = v.state, held_until = v.held_until, updated_at = %s
        FROM v WHERE b.id = v.id
        RETURNING b.id, b.state
    )
    INSERT INTO reservations_bookingevent (booking_id, state, by_user_id, by_staff, note, at)
    SELECT id, state, %s, false, '', %s FROM saved
    RETURNING id
"""


def _columns(model, alias: str) -> list[str]:
    return [f'{alias}."{f.column}"' for f in model._meta.concrete_fields]


# The foyer's cart lines with their prestation, service and child, the lines locked: what
# select_for_update(of=("self",)).select_related(...) sends, without compiling it each time
# (that compilation was a third of a validation). Columns come from the models' fields.
_LINE_MODELS = ((Booking, "b"), (Prestation, "p"), (Service, "s"), (Child, "c"))
CART_LINES_SQL = (
    "SELECT "  # noqa: S608 (identifiers from the models' own fields, values as parameters)
    + ", ".join(column for model, alias in _LINE_MODELS for column in _columns(model, alias))
    + """
    FROM reservations_booking b
    JOIN families_child c ON c.id = b.child_id
    JOIN reservations_prestation p ON p.id = b.prestation_id
    JOIN reservations_service s ON s.id = p.service_id
    WHERE c.foyer_id = %s AND b.state = ANY(%s)
    ORDER BY b.prestation_id, b.day, b.child_id
    FOR UPDATE OF b
"""
)


def _line_spans():
    """Yield (model, its attnames, first column, last column) of each model in a row."""
    first = 0
    for model, _ in _LINE_MODELS:
        names = [f.attname for f in model._meta.concrete_fields]
        yield model, names, first, first + len(names)
        first += len(names)


_LINE_SPANS = tuple(_line_spans())


def _cart_lines_locked(foyer: Foyer) -> list[Booking]:
    """Return the foyer's cart and cancellation lines, locked, related rows attached."""
    with connection.cursor() as cursor:
        cursor.execute(
            CART_LINES_SQL,
            [foyer.pk, [str(BookingState.CART), str(BookingState.CANCEL_REQUESTED)]],
        )
        rows = cursor.fetchall()
    lines, prestations = [], {}
    for row in rows:
        booking, prestation, service, child = (
            model.from_db(connection.alias, names, row[first:last])
            for model, names, first, last in _LINE_SPANS
        )
        if prestation.pk in prestations:
            prestation = prestations[prestation.pk]
        else:
            prestation.service = service
            prestations[prestation.pk] = prestation
        booking.prestation, booking.child = prestation, child
        lines.append(booking)
    return lines


def _lock_prestation_days(keys: list[tuple[int, date]]) -> None:
    """Lock the capacity rows of ``keys``, creating missing ones, in one statement.

    ``ON CONFLICT DO UPDATE … WHERE false`` locks an existing row without writing it; a new
    row is locked by its insertion. Rows are taken in (prestation, day) order, the same for
    every caller, so two carts sharing days never wait on each other in a cycle. Caller must
    be in a transaction and must have locked its booking rows first.
    """
    with connection.cursor() as cursor:
        cursor.execute(LOCK_DAYS_SQL, [[p for p, _ in keys], [d for _, d in keys]])


def _places(keys, now: datetime) -> tuple[dict[tuple[int, date], int], Counter]:
    """Return the capacity and the places taken of each of ``keys``, in one statement.

    To be sure of the figures, hold the capacity rows' locks (``_lock_prestation_days``) and
    run this after taking them: in READ COMMITTED a new statement sees every booking
    committed by whoever held the lock before. Without the locks it is a snapshot that may
    be stale at once. A held prépaiement line counts until its hold expires.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            PLACES_SQL,
            [
                [str(state) for state in TAKEN_STATES],
                str(BookingState.HELD),
                now,
                [p for p, _ in keys],
                [d for _, d in keys],
            ],
        )
        rows = cursor.fetchall()
    capacity = {(p, d): cap for p, d, cap, _ in rows}
    taken = Counter({(p, d): n for p, d, _, n in rows})
    return capacity, taken


def _lines_save(lines: list[Booking], *, now: datetime, user) -> int:
    """Save the new state of ``lines`` and log it, in one statement; return an event's id."""
    for line in lines:
        line.updated_at = now
    with connection.cursor() as cursor:
        cursor.execute(
            LINES_SAVE_SQL,
            [
                [line.pk for line in lines],
                [str(line.state) for line in lines],
                [line.held_until for line in lines],
                now,
                user.pk if user else None,
                now,
            ],
        )
        return min(event_id for (event_id,) in cursor.fetchall())


def cart_validate(*, foyer: Foyer, user=None, now: datetime | None = None) -> list[Booking]:
    """« Valider »: all the cart or nothing, each deadline and capacity checked at ``now``.

    The cart holds booking requests and cancellation requests. Raises CartRefused with every
    refused line and its reason; then nothing changes. A prépaiement line is held (places
    kept) for HOLD_MINUTES while the family pays; a line needing the mairie's approval waits
    for it; the others become « Demande validée »; cancellations within their deadline are
    applied. The family gets one confirmation e-mail.

    Full days are first looked for without locks (a refusal then costs no write). Then the
    new states are written, the capacity rows locked and the places counted again, this
    cart's lines included: the locks are held for one count and the commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lines = _cart_lines_locked(foyer)
        if not lines:
            raise CartEmpty()
        bookings = [line for line in lines if line.state == BookingState.CART]
        cancellations = [line for line in lines if line.state == BookingState.CANCEL_REQUESTED]
        refusals = policy.booking_refusals(lines=bookings, now=now) if bookings else {}
        for line in cancellations:
            reason = policy.cancellation_refusal(prestation=line.prestation, day=line.day, now=now)
            if reason:
                refusals[line.pk] = reason
        booked = sorted({(line.prestation_id, line.day) for line in bookings})
        if booked:
            # Days already full at this instant: refused without writing or waiting for locks.
            capacity, taken = _places(booked, now)
            full = _full_lines(bookings, refusals=refusals, capacity=capacity, taken=taken)
            refusals.update(dict.fromkeys(full, policy.FULL))
        if refusals:
            raise _cart_refused(lines, refusals)
        hold_until = now + timedelta(minutes=HOLD_MINUTES)
        for line in lines:
            if line.state == BookingState.CANCEL_REQUESTED:
                line.state = BookingState.CANCELLED
            elif line.prestation.service.billing_mode == BillingMode.PREPAIEMENT:
                line.state, line.held_until = BookingState.HELD, hold_until
            elif line.prestation.requires_approval:
                line.state = BookingState.PENDING_APPROVAL
            else:
                line.state = BookingState.VALIDATED
        event_id = _lines_save(lines, now=now, user=user)
        _confirmation_email(foyer=foyer, lines=lines, event_id=event_id)
        # The places counted again under the locks, this cart's lines included. Cancelled
        # days too: their freed places go to the waiting list under the same locks.
        keys = sorted({(line.prestation_id, line.day) for line in lines})
        _lock_prestation_days(keys)
        capacity, taken = _places(keys, now)
        full = _full_lines(bookings, refusals={}, capacity=capacity, taken=taken, written=True)
        if full:
            raise _cart_refused(lines, dict.fromkeys(full, policy.FULL))
        freed = sorted({(line.prestation_id, line.day) for line in cancellations})
        if freed:
            _waitlist_promote(freed, now=now)
    return lines


def _cart_refused(lines: list[Booking], refusals: dict[int, str]) -> CartRefused:
    return CartRefused(
        [
            RefusedLine(
                booking_id=line.pk,
                label=f"{line.child.first_name} : {line.prestation.name} le {line.day:%d/%m/%Y}",
                reason=refusals[line.pk],
            )
            for line in lines
            if line.pk in refusals
        ]
    )


def _full_lines(
    bookings, *, refusals: dict, capacity: dict, taken: Counter, written: bool = False
) -> list[int]:
    """Return the ids of the booking lines that find their day full.

    ``written``: ``taken`` counts the cart's own lines, and the last ones over capacity are
    refused. Otherwise they are judged one by one against the places left.
    """
    by_key: dict[tuple[int, date], list[Booking]] = {}
    for line in bookings:
        if line.pk not in refusals:
            by_key.setdefault((line.prestation_id, line.day), []).append(line)
    full = []
    for key, key_lines in by_key.items():
        free = capacity[key] - taken[key] + (len(key_lines) if written else 0)
        full.extend(line.pk for line in key_lines[max(free, 0) :])
    return full


WAITLIST_NOT_FULL = "Il reste des places ce jour-là : réservez-la directement."
ALREADY_WAITING = "Cet enfant est déjà sur la liste d'attente de ce jour."
NOT_WAITING = "Cet enfant n'est pas sur la liste d'attente de ce jour."


def waitlist_join(*, child: Child, prestation: Prestation, day: date, now=None):
    """Put ``child`` on the waiting list of a full prestation-day; return its position."""
    now = now or timezone.now()
    refusal = policy.booking_refusal(prestation=prestation, day=day, now=now)
    if refusal:
        raise ReservationsError(refusal)
    with transaction.atomic():
        key = (prestation.pk, day)
        _lock_prestation_days([key])
        capacity, taken = _places([key], now)
        if taken[key] < capacity[key]:
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


def waitlist_leave(*, child: Child, prestation: Prestation, day: date) -> None:
    """Take ``child`` off the waiting list of a prestation-day (the next ones move up)."""
    deleted, _ = WaitingListEntry.objects.filter(
        child=child, prestation=prestation, day=day, promoted_to__isnull=True
    ).delete()
    if not deleted:
        raise ReservationsError(NOT_WAITING)


def waitlist_position(*, entry) -> int:
    """Return the 1-based rank of ``entry`` among those still waiting for its day."""
    return WaitingListEntry.objects.filter(
        prestation_id=entry.prestation_id,
        day=entry.day,
        promoted_to__isnull=True,
        pk__lte=entry.pk,
    ).count()


def _waitlist_promote(keys, *, now: datetime) -> list[Booking]:
    """Give freed places to the first children in line, and e-mail their families.

    Caller must hold the capacity rows' locks of ``keys``: the places counted here cannot be
    taken by anyone else before this transaction commits.
    """
    capacity, taken = _places(keys, now)
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
        _lock_prestation_days(keys)
        return _waitlist_promote(keys, now=now)


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
        _lock_prestation_days(keys)
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
        _waitlist_promote(keys, now=now)
    return lines
