"""Reads for « Mes réservations »: the Vue Période grid, some of its cells, the cart panel.

A grid costs three queries whatever its number of weeks, prestations and children: the
child's bookings in the window together with the foyer's cart, the places taken (with the
capacity overrides and the child's rank on waiting lists) per prestation and day, and the
staff closures. The services and their
prestations are one more (``service_options``), the foyer with its children two
(``foyer_with_children``). Whether a day is closed or can be booked is ``policy``'s to say:
its closures are loaded once (``policy.closures_for``), then ``policy.closure_calendar`` and
``policy.refusal`` answer per cell without querying.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Q

from families.models import Child, Foyer
from reservations import policy
from reservations.exceptions import FULL, NOT_RUNNING
from reservations.horizon import BookingHorizon
from reservations.lifecycle import ACTIVE_STATES, State
from reservations.models import Booking, Prestation
from reservations.places import (
    holding_place_params,
    holding_place_sql,
    waiting_ahead_sql,
)
from reservations.rules import local_day
from reservations.selectors.cart import CART_STATES, Cart, cart_panel
from reservations.selectors.cells import (
    CELL_OF_BOOKING,
    Cell,
    CellState,
    Column,
    Row,
    Week,
)
from reservations.selectors.options import ServiceOption


@dataclass(frozen=True)
class ChildChoice:
    child: Child
    selected: bool

    @property
    def name(self) -> str:
        return f"{self.child.first_name} {self.child.last_name}"

    @property
    def details(self) -> str:
        """« 28/11/2017 - CE1 », « Sans classe » when the class is unknown."""
        return f"{self.child.birth_date:%d/%m/%Y} - {self.child.classe or 'Sans classe'}"


@dataclass(frozen=True)
class ServiceChoice:
    option: ServiceOption
    selected: bool


@dataclass(frozen=True)
class PeriodGrid:
    """The weeks shown, the choices around them, and where « Précédent » and « Suivant »
    lead (None at the ends of what a family may see: horizon.BookingHorizon)."""

    child: Child
    service: ServiceOption
    start: date
    weeks: tuple[Week, ...]
    children: tuple[ChildChoice, ...]
    services: tuple[ServiceChoice, ...]
    cart: Cart
    previous_start: date | None
    next_start: date | None
    today_start: date
    horizon: BookingHorizon


@dataclass(frozen=True)
class CellsView:
    """Some cells of one prestation, by day, and the cart, as a click leaves them."""

    cells: dict[date, Cell]
    cart: Cart


# --- Loading ----------------------------------------------------------------------------


@dataclass
class _Snapshot:
    """What the database says about a window, from three queries."""

    child_bookings: dict[tuple[int, date], Booking]
    taken: dict[tuple[int, date], int]
    overrides: dict[tuple[int, date], int]
    waiting: dict[tuple[int, date], int]
    closures: dict[int, dict[date, str]]
    cart: Cart


# Per (prestation, day) of a window: the places held (reservations.places, as cart
# validation counts them); the capacity when staff changed it; the child's rank on the
# waiting list (reservations.places.WAITING_ORDER, as promotion serves it).
FIGURES_SQL = (
    """
    SELECT 'taken', b.prestation_id, b.day, count(*)
    FROM reservations_booking b
    WHERE b.prestation_id = ANY(%s) AND b.day BETWEEN %s AND %s AND """  # noqa: S608 (constants)
    + holding_place_sql("b")
    + """
    GROUP BY b.prestation_id, b.day
    UNION ALL
    SELECT 'capacity', d.prestation_id, d.day, d.capacity
    FROM reservations_prestationday d
    WHERE d.prestation_id = ANY(%s) AND d.day BETWEEN %s AND %s AND d.capacity IS NOT NULL
    UNION ALL
    SELECT 'waiting', w.prestation_id, w.day,
        (SELECT count(*) FROM reservations_waitinglistentry a
         WHERE a.prestation_id = w.prestation_id AND a.day = w.day
           AND a.promoted_to_id IS NULL AND """
    + waiting_ahead_sql("a", "w")
    + """)
    FROM reservations_waitinglistentry w
    WHERE w.child_id = %s AND w.prestation_id = ANY(%s)
      AND w.day BETWEEN %s AND %s AND w.promoted_to_id IS NULL
"""
)


def _child_ids(foyer: Foyer):
    """The foyer's children as a list of ids when they are loaded (foyer_with_children),
    else as a subquery: never a query of its own.

    A list, not a join on the foyer: with the booking table's partial and exclusion indexes,
    PostgreSQL took 1,2 ms to plan the join and 0,2 ms the list (bench/README.md).
    """
    loaded = getattr(foyer, "_prefetched_objects_cache", {}).get("children")
    if loaded is not None:
        return [c.pk for c in loaded]
    return Child.objects.filter(foyer=foyer).values("pk")


def _load(
    *,
    foyer: Foyer,
    child: Child,
    prestations: Sequence[Prestation],
    days: Sequence[date],
    now: datetime,
) -> _Snapshot:
    ids = [p.pk for p in prestations]
    window = (min(days), max(days))
    # 1. The child's bookings in the window and the foyer's cart (any child, service, day).
    rows = list(
        Booking.objects.filter(
            Q(child=child, prestation_id__in=ids, day__range=window, state__in=ACTIVE_STATES)
            | Q(child_id__in=_child_ids(foyer), state__in=CART_STATES)
        )
        .select_related("prestation__service")
        .order_by("day", "pk")
    )
    child_bookings = {
        (b.prestation_id, b.day): b
        for b in rows
        if b.child_id == child.pk and b.prestation_id in ids and window[0] <= b.day <= window[1]
    }
    taken: dict[tuple[int, date], int] = {}
    overrides: dict[tuple[int, date], int] = {}
    waiting: dict[tuple[int, date], int] = {}
    closures: dict[int, dict[date, str]] = {}
    if ids:
        # 2. Places taken per (prestation, day), as cart_validate counts them, the days whose
        # capacity staff changed, and the child's rank on waiting lists: one UNION ALL of
        # rows (kind, prestation, day, figure).
        with connection.cursor() as cursor:  # raw: the page's costliest query to compile
            in_window = [ids, window[0], window[1]]
            cursor.execute(
                FIGURES_SQL,
                [*in_window, *holding_place_params(now), *in_window, child.pk, *in_window],
            )
            figure_rows = cursor.fetchall()
        figures = {"taken": taken, "capacity": overrides, "waiting": waiting}
        for kind, prestation_id, day, figure in figure_rows:
            figures[kind][(prestation_id, day)] = figure
        # 3. Staff closures of the service or of one of its prestations.
        closures = policy.closures_for(prestations, days)
    return _Snapshot(
        child_bookings=child_bookings,
        taken=taken,
        overrides=overrides,
        waiting=waiting,
        closures=closures,
        cart=cart_panel(foyer=foyer, rows=rows, now=now),
    )


class _Judge:
    """Each prestation's rules and closure calendar, built once for all its cells."""

    def __init__(self, snapshot: _Snapshot, horizon: BookingHorizon):
        self.snapshot = snapshot
        self.horizon = horizon
        self.by_prestation: dict[int, tuple] = {}

    def of(self, prestation: Prestation):
        found = self.by_prestation.get(prestation.pk)
        if found is None:
            closures = self.snapshot.closures.get(prestation.pk, {})
            found = (
                closures,
                policy.closure_calendar(prestation, closures),
                policy.prestation_rules(prestation),
            )
            self.by_prestation[prestation.pk] = found
        return found


def _cell(judge: _Judge, prestation: Prestation, day: date, now: datetime) -> Cell:
    snapshot = judge.snapshot
    key = (prestation.pk, day)
    booking = snapshot.child_bookings.get(key)
    if booking is not None:
        state, reason = CELL_OF_BOOKING[State(booking.state)]
        return Cell(prestation, day, state, reason, booking=booking)
    closures, calendar, prestation_rules = judge.of(prestation)
    # Closed before gone by: a past Wednesday still reads « ... », not « réservation close ».
    closed = calendar.closed_reason(day)
    if closed is not None:
        return Cell(prestation, day, CellState.CLOSED, closed)
    refusal = policy.refusal(
        prestation=prestation,
        day=day,
        now=now,
        closures=closures,
        calendar=calendar,
        prestation_rules_=prestation_rules,
        horizon=judge.horizon,
    )
    if refusal == NOT_RUNNING:
        return Cell(prestation, day, CellState.CLOSED, refusal)
    if refusal:
        return Cell(prestation, day, CellState.LOCKED, refusal)
    capacity = snapshot.overrides.get(key, prestation.capacity)
    remaining = max(capacity - snapshot.taken.get(key, 0), 0)
    if remaining == 0:
        position = snapshot.waiting.get(key)
        return Cell(prestation, day, CellState.FULL, FULL, remaining=0, waiting_position=position)
    return Cell(prestation, day, CellState.BOOKABLE, remaining=remaining)


# --- Selectors --------------------------------------------------------------------------


def period_grid(
    *,
    foyer: Foyer,
    child: Child,
    service: ServiceOption,
    start: date,
    weeks: int,
    now: datetime,
    services: Sequence[ServiceOption] = (),
) -> PeriodGrid:
    """Return the Vue Période of ``child`` for ``service``: ``weeks`` weeks from ``start``'s.

    ``foyer`` comes from ``foyer_with_children`` and ``service`` (and the ``services`` of the
    selector) from ``service_options``; three queries then, whatever the weeks, prestations
    and children (see the module docstring). Navigation moves by ``weeks`` weeks, within
    the booking horizon's weeks: a ``start`` outside them is brought to the nearest end.
    """
    horizon = policy.booking_horizon(now)
    start = horizon.grid_start(start, weeks)
    first, last = horizon.first_shown, horizon.last_start(weeks)
    week_days = [[start + timedelta(weeks=week, days=n) for n in range(5)] for week in range(weeks)]
    snapshot = _load(
        foyer=foyer,
        child=child,
        prestations=service.prestations,
        days=[day for days in week_days for day in days],
        now=now,
    )
    judge = _Judge(snapshot, horizon)
    grid_weeks = tuple(
        Week(
            days[0],
            tuple(Column(day) for day in days),
            tuple(
                Row(p, tuple(_cell(judge, p, day, now) for day in days))
                for p in service.prestations
            ),
        )
        for days in week_days
    )
    return PeriodGrid(
        child=child,
        service=service,
        start=start,
        weeks=grid_weeks,
        children=tuple(ChildChoice(c, c.pk == child.pk) for c in foyer.children.all()),
        services=tuple(ServiceChoice(s, s.pk == service.pk) for s in services),
        cart=snapshot.cart,
        previous_start=max(start - timedelta(weeks=weeks), first) if start > first else None,
        next_start=min(start + timedelta(weeks=weeks), last) if start < last else None,
        today_start=horizon.grid_start(local_day(now), weeks),
        horizon=horizon,
    )


def period_cells(
    *, foyer: Foyer, child: Child, prestation: Prestation, days: Iterable[date], now: datetime
) -> CellsView:
    """Return some cells of one prestation and the foyer's cart (three queries, as the grid).

    ``prestation`` comes from ``service_options`` (its service loaded).
    """
    days = sorted(set(days))
    snapshot = _load(foyer=foyer, child=child, prestations=[prestation], days=days, now=now)
    judge = _Judge(snapshot, policy.booking_horizon(now))
    return CellsView(
        cells={day: _cell(judge, prestation, day, now) for day in days}, cart=snapshot.cart
    )
