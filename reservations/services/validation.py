"""« Valider »: the cart validated all or nothing, under row locks, in a few statements.

This is the hot path of the Tuesday-noon rush (bench/bench_cart_race.py): four statements
for a cart of booking requests (its lines with the places of their days, the closures, the
new states with their events and the capacity rows' locks, the places again), the e-mail's
before the locks, and the waiting list served for cancellations. Raw SQL where the ORM
would compile each time; the new states come from reservations.lifecycle like every other
move, the places from services.places.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from families.models import Child, Foyer
from reservations import lifecycle, policy
from reservations.exceptions import CartEmpty, CartRefused, RefusedLine
from reservations.lifecycle import Action, Reason, State
from reservations.models import Booking, Prestation, Service
from reservations.places import holding_place_params
from reservations.services import emails
from reservations.services.places import LOCK_DAYS_CTE, places_columns_sql, places_count
from reservations.services.records import route_of
from reservations.services.waitlist import waitlist_serve

HOLD_MINUTES = int(lifecycle.HOLD_AT_SCREEN.total_seconds() // 60)

# The new states of a validated cart, their history lines and the capacity rows' locks
# (services.places), in one statement. The count under the locks comes next, in a
# statement of its own: in READ COMMITTED only a new statement sees what the lock waited for.
LINES_SAVE_SQL = (
    "WITH v AS ("  # noqa: S608 (a constant fragment)
    + """
        SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[])
            AS v(id, state, held_until)
    ), saved AS (
        UPDATE reservations_booking b
        SET state = v.state, state_reason = %s, held_until = v.held_until, updated_at = %s
        FROM v WHERE b.id = v.id
        RETURNING b.id, b.state
    ), """
    + LOCK_DAYS_CTE
    + """
    INSERT INTO reservations_bookingevent
        (booking_id, state, reason, by_user_id, by_staff, note, at)
    SELECT id, state, %s, %s, false, '', %s FROM saved
"""
)


def _columns(model, alias: str) -> list[str]:
    return [f'{alias}."{f.column}"' for f in model._meta.concrete_fields]


# The foyer's cart lines with their prestation, service and child, the lines locked: what
# select_for_update(of=("self",)).select_related(...) sends, without compiling it each time
# (that compilation was a third of a validation). Columns come from the models' fields; the
# lines are locked in services.lifecycle.LOCK_ORDER.
_LINE_MODELS = ((Booking, "b"), (Prestation, "p"), (Service, "s"), (Child, "c"))
CART_LINES_SQL = (
    "SELECT "  # noqa: S608 (identifiers from the models' own fields, values as parameters)
    + ", ".join(column for model, alias in _LINE_MODELS for column in _columns(model, alias))
    # The places of each line's day, as they stand before any lock: full days are refused
    # without writing, and without one more round trip.
    + ", "
    + places_columns_sql("b.prestation_id", "b.day", "p.capacity")
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
_PLACES_AT = _LINE_SPANS[-1][3]  # the capacity, then the places held, after the models


def _cart_lines_locked(foyer: Foyer, now: datetime) -> tuple[list[Booking], dict, Counter]:
    """Return the foyer's cart and cancellation lines, locked, related rows attached, with
    the capacity and the places held of their days at ``now`` (unlocked: a first look)."""
    with connection.cursor() as cursor:
        cursor.execute(
            CART_LINES_SQL,
            [
                *holding_place_params(now),
                foyer.pk,
                [str(State.CART), str(State.CANCEL_REQUESTED)],
            ],
        )
        rows = cursor.fetchall()
    lines, prestations, capacity, taken = [], {}, {}, Counter()
    for row in rows:
        booking, prestation, service, child = (
            model.from_db(connection.alias, names, row[first:last])
            for model, names, first, last in _LINE_SPANS
        )
        key = (booking.prestation_id, booking.day)
        capacity[key], taken[key] = row[_PLACES_AT], row[_PLACES_AT + 1]
        if prestation.pk in prestations:
            prestation = prestations[prestation.pk]
        else:
            prestation.service = service
            prestations[prestation.pk] = prestation
        booking.prestation, booking.child = prestation, child
        lines.append(booking)
    return lines, capacity, taken


def _lines_save(lines: list[Booking], *, keys: list, now: datetime, user) -> None:
    """Save the new state of ``lines``, log it and lock the capacity rows of ``keys``
    (places.py), in one statement."""
    for line in lines:
        line.updated_at, line.state_reason = now, Reason.PARENT
    with connection.cursor() as cursor:
        cursor.execute(
            LINES_SAVE_SQL,
            [
                [line.pk for line in lines],
                [str(line.state) for line in lines],
                [line.held_until for line in lines],
                str(Reason.PARENT),
                now,
                [p for p, _ in keys],
                [d for _, d in keys],
                str(Reason.PARENT),
                user.pk if user else None,
                now,
            ],
        )


def _moved(line: Booking, hold_until: datetime) -> None:
    """Give ``line`` the state « Valider » leads it to (lifecycle): sent, or cancelled."""
    action = Action.CONFIRM_CANCEL if line.state == State.CANCEL_REQUESTED else Action.SUBMIT
    line.state = lifecycle.transition(line.state, action, route_of(line.prestation))
    line.held_until = hold_until if line.state == State.HELD else None


def cart_validate(*, foyer: Foyer, user=None, now: datetime | None = None) -> list[Booking]:
    """« Valider »: all the cart or nothing, each deadline and capacity checked at ``now``.

    The cart holds booking requests and cancellation requests. Raises CartRefused with every
    refused line and its reason; then nothing changes. Each line goes where
    reservations.lifecycle sends it: pending where the mairie approves (first, even for
    prépaiement), held for HOLD_MINUTES where the family prepays, validated otherwise;
    cancellations within their deadline are applied. The family gets one e-mail.

    Full days are first looked for without locks, with the lines (a refusal then costs no
    write). Then the e-mail is queued, the new states written and the capacity rows locked,
    and the places counted again, this cart's lines included: the locks are held for one
    count and the commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lines, capacity, taken = _cart_lines_locked(foyer, now)
        if not lines:
            raise CartEmpty()
        bookings = [line for line in lines if line.state == State.CART]
        cancellations = [line for line in lines if line.state == State.CANCEL_REQUESTED]
        refusals = policy.booking_refusals(lines=bookings, now=now) if bookings else {}
        for line in cancellations:
            reason = policy.cancellation_refusal(prestation=line.prestation, day=line.day, now=now)
            if reason:
                refusals[line.pk] = reason
        # Days already full when the lines were read: refused without writing or waiting
        # for locks.
        full = _full_lines(bookings, refusals=refusals, capacity=capacity, taken=taken)
        refusals.update(dict.fromkeys(full, policy.FULL))
        if refusals:
            raise _cart_refused(lines, refusals)
        hold_until = now + lifecycle.hold_for(Action.SUBMIT)
        for line in lines:
            _moved(line, hold_until)
        emails.cart_validated(foyer=foyer, lines=lines)
        # The places counted again under the locks, this cart's lines included. Cancelled
        # days too: their freed places go to the waiting list under the same locks.
        keys = sorted({(line.prestation_id, line.day) for line in lines})
        _lines_save(lines, keys=keys, now=now, user=user)
        capacity, taken = places_count(keys, now)
        full = _full_lines(bookings, refusals={}, capacity=capacity, taken=taken, written=True)
        if full:
            raise _cart_refused(lines, dict.fromkeys(full, policy.FULL))
        waitlist_serve(sorted({(line.prestation_id, line.day) for line in cancellations}), now=now)
        _prepaid_record(foyer=foyer, lines=lines, cancellations=cancellations, user=user, now=now)
    return lines


def _prepaid_record(*, foyer, lines, cancellations, user, now) -> None:
    """Hand the money side to billing: the held prépaiement lines become an order, priced
    now (the family pays that price whatever the tariffs do next); a paid line cancelled in
    time becomes an avoir on the foyer's account. No query for a cart with neither."""
    from billing.services.credits import paid_bookings_credit  # billing follows the money
    from billing.services.orders import orders_free_settle, prepaid_orders_open

    if any(line.state == State.HELD for line in lines):
        orders = prepaid_orders_open(foyer=foyer, lines=lines, user=user, now=now)
        orders_free_settle(orders=orders, now=now)
    if cancellations:
        paid_bookings_credit(booking_ids=[line.pk for line in cancellations], user=user)


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
