"""Capacity rows locked in one order, and the places they count.

Lock order, for every writer of bookings: the booking rows (by prestation, day, child),
then the capacity rows (by prestation, day), then the waiting-list entries. Raw SQL: these
two statements run in every cart validation, the hot path of the Tuesday-noon rush
(bench/bench_cart_race.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from django.db import connection

from reservations.places import holding_place_params, holding_place_sql

Key = tuple[int, date]  # (prestation id, day)

LOCK_DAYS_SQL = """
    INSERT INTO reservations_prestationday (prestation_id, day)
    SELECT k.p, k.d FROM unnest(%s::bigint[], %s::date[]) AS k(p, d) ORDER BY k.p, k.d
    ON CONFLICT (prestation_id, day)
    DO UPDATE SET capacity = reservations_prestationday.capacity WHERE false
"""
# The same lock as a data-modifying CTE (its parameters: the prestation ids, the days),
# for a writer that saves its lines in the same statement (services.validation): one round
# trip less on the hot path. The count must still come in a later statement.
LOCK_DAYS_CTE = "locked AS (" + LOCK_DAYS_SQL + "    RETURNING 1\n)"


def places_columns_sql(prestation: str, day: str, capacity: str) -> str:
    """Return two select columns: the capacity and the places held of a prestation-day.

    ``prestation`` and ``day`` are SQL expressions, ``capacity`` the prestation's own
    capacity column; the capacity row overrides it. The places-held count takes the three
    parameters of ``holding_place_params(now)``.
    """
    return (
        "COALESCE((SELECT d.capacity FROM reservations_prestationday d "  # noqa: S608
        f"WHERE d.prestation_id = {prestation} AND d.day = {day}), {capacity}), "
        "(SELECT count(*) FROM reservations_booking t "
        f"WHERE t.prestation_id = {prestation} AND t.day = {day} AND "
        + holding_place_sql("t")
        + ")"
    )


PLACES_SQL = (
    "SELECT k.p, k.d, "  # noqa: S608 (constant fragments)
    + places_columns_sql("k.p", "k.d", "p.capacity")
    + """
    FROM unnest(%s::bigint[], %s::date[]) AS k(p, d)
    JOIN reservations_prestation p ON p.id = k.p
"""
)


def days_lock(keys: list[Key]) -> None:
    """Lock the capacity rows of ``keys``, creating missing ones, in one statement.

    ``ON CONFLICT DO UPDATE … WHERE false`` locks an existing row without writing it; a new
    row is locked by its insertion. Rows are taken in (prestation, day) order, the same for
    every caller, so two writers sharing days never wait on each other in a cycle. Caller
    must be in a transaction and must have locked its booking rows first.
    """
    with connection.cursor() as cursor:
        cursor.execute(LOCK_DAYS_SQL, [[p for p, _ in keys], [d for _, d in keys]])


def places_count(keys, now: datetime) -> tuple[dict[Key, int], Counter]:
    """Return the capacity and the places held (reservations.places) of each of ``keys``.

    One statement. To be sure of the figures, hold the capacity rows' locks (``days_lock``)
    and run this after taking them: in READ COMMITTED a new statement sees every booking
    committed by whoever held the lock before. Without the locks it is a snapshot that may
    be stale at once.
    """
    keys = list(keys)
    with connection.cursor() as cursor:
        cursor.execute(
            PLACES_SQL,
            [*holding_place_params(now), [p for p, _ in keys], [d for _, d in keys]],
        )
        rows = cursor.fetchall()
    capacity = {(p, d): cap for p, d, cap, _ in rows}
    taken = Counter({(p, d): n for p, d, _, n in rows})
    return capacity, taken
