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

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Prefetch,
    Q,
)

from families.models import Child, Foyer
from reservations import policy
from reservations.calendar import WEEKDAY_NAMES
from reservations.exceptions import FULL, NOT_RUNNING
from reservations.models import (
    ACTIVE_STATES,
    TAKEN_STATES,
    BillingMode,
    Booking,
    BookingState,
    Prestation,
    Service,
)
from reservations.pricing import cart_total
from reservations.rules import local_day

# A bookable cell shows its places left when they run this low.
FEW_PLACES = 10
WEEKDAY_LETTERS = {1: "L", 2: "M", 3: "M", 4: "J", 5: "V"}
# The foyer's lines the cart panel shows: requests to validate, and places held for payment.
CART_STATES = (BookingState.CART, BookingState.CANCEL_REQUESTED, BookingState.HELD)


class CellState(StrEnum):
    BOOKABLE = "bookable"
    IN_CART = "cart"
    VALIDATED = "validated"
    PENDING = "pending"
    HELD = "held"
    CANCEL_REQUESTED = "cancel_requested"
    FULL = "full"
    LOCKED = "locked"
    CLOSED = "closed"


@dataclass(frozen=True)
class StateStyle:
    """How a state looks: words (never colour alone), an icon or a symbol, the legend's hint.

    The icon of each state is drawn by its CSS class (static/css/reservations.css); a closed
    day shows ``symbol`` instead (the seeds' « ... »).
    """

    state: CellState
    label: str
    hint: str
    symbol: str = ""


# In the legend's order. Icons after the seeds: ○ réservable, 🕒 en cours, ✓ validée.
STYLES = {
    style.state: style
    for style in (
        StateStyle(CellState.BOOKABLE, "réservable", "cliquez pour l'ajouter au panier"),
        StateStyle(CellState.IN_CART, "dans le panier", "demande en cours, à valider"),
        StateStyle(CellState.VALIDATED, "demande validée", "réservation enregistrée"),
        StateStyle(CellState.PENDING, "en attente de la mairie", "la mairie doit l'accepter"),
        StateStyle(CellState.HELD, "en attente de paiement", "place retenue le temps du paiement"),
        StateStyle(CellState.CANCEL_REQUESTED, "demande d'annulation", "annulation demandée"),
        StateStyle(
            CellState.FULL,
            "complet",
            "cliquez pour la liste d'attente (votre rang s'affiche), à nouveau pour la quitter",
        ),
        StateStyle(CellState.LOCKED, "réservation close", "délai de réservation dépassé"),
        StateStyle(CellState.CLOSED, "fermé", "pas de service ce jour-là", symbol="..."),
    )
}
LEGEND = tuple(STYLES.values())

# What a click on a cell that cannot change says (the cell's reason when it has none).
ALREADY_VALIDATED = "Cette demande est déjà validée."
AWAITING_APPROVAL = "Cette demande attend la validation de la mairie."
AWAITING_PAYMENT = "Cette réservation attend votre paiement."
CANCEL_ALREADY_REQUESTED = "Une demande d'annulation est déjà en cours pour ce jour."
CLOSED_THAT_DAY = "Pas de service ce jour-là."

_STATE_OF_BOOKING = {
    BookingState.CART: (CellState.IN_CART, ""),
    BookingState.VALIDATED: (CellState.VALIDATED, ALREADY_VALIDATED),
    BookingState.PENDING_APPROVAL: (CellState.PENDING, AWAITING_APPROVAL),
    BookingState.HELD: (CellState.HELD, AWAITING_PAYMENT),
    BookingState.CANCEL_REQUESTED: (CellState.CANCEL_REQUESTED, CANCEL_ALREADY_REQUESTED),
}


def monday_of(day: date) -> date:
    """Return the Monday of ``day``'s week."""
    return day - timedelta(days=day.isoweekday() - 1)


# --- Rows of the page -------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceOption:
    """A service / site and its prestations, in display order."""

    service: Service
    prestations: tuple[Prestation, ...]

    @property
    def pk(self) -> int:
        return self.service.pk

    @property
    def name(self) -> str:
        return self.service.name


SERVICES_CACHE_SECONDS = 60


def services_cache_key() -> str:
    return f"reservations:services:{connection.schema_name}"


def service_options() -> list[ServiceOption]:
    """Return the services that have prestations, each with them, in display order.

    Cached per collectivité (reservations.signals drops it when a service or prestation
    changes; SERVICES_CACHE_SECONDS bounds what another process may still hold without a
    shared cache). Otherwise one query, prestations joined to their service. A service
    without prestations has nothing to book and is left out. Validation never relies on
    this: it reads the prestations again under its locks.
    """
    return cache.get_or_set(services_cache_key(), _service_options, SERVICES_CACHE_SECONDS)


def _service_options() -> list[ServiceOption]:
    prestations = Prestation.objects.select_related("service").order_by(
        "service__display_order", "service__name", "service_id", "display_order", "name", "pk"
    )
    grouped: dict[int, list[Prestation]] = {}
    services: dict[int, Service] = {}
    for prestation in prestations:
        services.setdefault(prestation.service_id, prestation.service)
        grouped.setdefault(prestation.service_id, []).append(prestation)
    return [ServiceOption(services[pk], tuple(rows)) for pk, rows in grouped.items()]


def foyer_with_children(*, user) -> Foyer | None:
    """Return the account's foyer in the current schema with its children, or None.

    Two queries: the foyer, then its children (what the grid and the cart show of it).
    """
    children = Child.objects.order_by("birth_date", "first_name", "pk")
    return (
        Foyer.objects.filter(user=user)
        .prefetch_related(Prefetch("children", queryset=children))
        .first()
    )


# --- The grid's structure ---------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One prestation on one day for the chosen child."""

    prestation: Prestation
    day: date
    state: CellState
    # Why the cell cannot be clicked into the cart (empty for bookable and in-cart cells).
    reason: str = ""
    # Places left, for cells that could still take the child (bookable, full).
    remaining: int | None = None
    # The child's rank on the day's waiting list (full cells only; 1 is next served).
    waiting_position: int | None = None
    booking: Booking | None = field(default=None, compare=False, repr=False)

    @property
    def style(self) -> StateStyle:
        return STYLES[self.state]

    @property
    def actionable(self) -> bool:
        """Tell whether a click may change something: the cart, a cancellation, the waiting list.

        Locked and held cells only explain themselves (aria-disabled, still focusable).
        """
        return self.state in (
            CellState.BOOKABLE,
            CellState.IN_CART,
            CellState.VALIDATED,
            CellState.PENDING,
            CellState.CANCEL_REQUESTED,
            CellState.FULL,
        )

    @property
    def dom_id(self) -> str:
        return f"cellule-{self.prestation.pk}-{self.day:%Y%m%d}"

    @property
    def key(self) -> str:
        """What the cell's button sends: « <prestation id>-<YYYYMMDD> »."""
        return f"{self.prestation.pk}-{self.day:%Y%m%d}"

    @property
    def button_id(self) -> str:
        return f"bouton-{self.prestation.pk}-{self.day:%Y%m%d}"

    @property
    def day_label(self) -> str:
        """« mardi 14/01 »."""
        return f"{WEEKDAY_NAMES[self.day.isoweekday()]} {self.day:%d/%m}"

    @property
    def aria_label(self) -> str:
        """« CANTINE, mardi 14/01 : réservable, 12 places restantes »."""
        text = f"{self.prestation.name}, {self.day_label} : {self.style.label}"
        if self.state == CellState.BOOKABLE and self.remaining is not None:
            plural = "s" if self.remaining > 1 else ""
            text += f", {self.remaining} place{plural} restante{plural}"
        elif self.state == CellState.FULL and self.waiting_position:
            text += f", {self.waiting_rank} sur la liste d'attente"
        elif self.state in (CellState.LOCKED, CellState.CLOSED) and self.reason:
            reason = self.reason[0].lower() + self.reason[1:]
            if reason.startswith(self.style.label):  # « réservation close depuis le … »
                return f"{self.prestation.name}, {self.day_label} : {reason}"
            text += f" ({self.reason})"
        return text

    @property
    def figure(self) -> str:
        """What the cell writes under its icon: places when few are left, or the child's rank."""
        if self.state == CellState.BOOKABLE and self.remaining <= FEW_PLACES:
            return str(self.remaining)
        if self.state == CellState.FULL and self.waiting_position:
            return self.waiting_rank
        return ""

    @property
    def waiting_rank(self) -> str:
        """« 1er », « 2e »: the child's rank on the waiting list."""
        return "1er" if self.waiting_position == 1 else f"{self.waiting_position}e"


@dataclass(frozen=True)
class Row:
    prestation: Prestation
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    day: date

    @property
    def letter(self) -> str:
        return WEEKDAY_LETTERS[self.day.isoweekday()]

    @property
    def weekday(self) -> str:
        return WEEKDAY_NAMES[self.day.isoweekday()]


@dataclass(frozen=True)
class Week:
    monday: date
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def number(self) -> int:
        return self.monday.isocalendar().week

    @property
    def friday(self) -> date:
        return self.monday + timedelta(days=4)

    @property
    def title(self) -> str:
        """« Semaine 3 du 14/01/2019 au 18/01/2019 »."""
        return f"Semaine {self.number} du {self.monday:%d/%m/%Y} au {self.friday:%d/%m/%Y}"


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
class CartLine:
    """« 3 REPAS CLASSIQUE ENFANT », or as many cancellations asked of it."""

    prestation: Prestation
    count: int
    cancellation: bool = False


@dataclass(frozen=True)
class CartChild:
    child: Child
    lines: tuple[CartLine, ...]

    @property
    def name(self) -> str:
        return f"{self.child.first_name} {self.child.last_name}"


@dataclass(frozen=True)
class Cart:
    """The foyer's cart per child, what its prépaiement lines cost, and the places held."""

    children: tuple[CartChild, ...]
    total: Decimal = Decimal("0.00")
    held_count: int = 0
    held_until: datetime | None = None

    @property
    def count(self) -> int:
        return sum(line.count for entry in self.children for line in entry.lines)

    @property
    def is_empty(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class PeriodGrid:
    child: Child
    service: ServiceOption
    start: date
    weeks: tuple[Week, ...]
    children: tuple[ChildChoice, ...]
    services: tuple[ServiceChoice, ...]
    cart: Cart
    previous_start: date
    next_start: date
    today_start: date


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


# Per (prestation, day) of a window: the places taken, as cart_validate counts them; the
# capacity when staff changed it; the child's rank on the waiting list.
FIGURES_SQL = """
    SELECT 'taken', b.prestation_id, b.day, count(*)
    FROM reservations_booking b
    WHERE b.prestation_id = ANY(%(ids)s) AND b.day BETWEEN %(first)s AND %(last)s
      AND b.state = ANY(%(taken_states)s) AND NOT (b.state = %(held)s AND b.held_until <= %(now)s)
    GROUP BY b.prestation_id, b.day
    UNION ALL
    SELECT 'capacity', d.prestation_id, d.day, d.capacity
    FROM reservations_prestationday d
    WHERE d.prestation_id = ANY(%(ids)s) AND d.day BETWEEN %(first)s AND %(last)s
      AND d.capacity IS NOT NULL
    UNION ALL
    SELECT 'waiting', w.prestation_id, w.day,
        (SELECT count(*) FROM reservations_waitinglistentry a
         WHERE a.prestation_id = w.prestation_id AND a.day = w.day
           AND a.promoted_to_id IS NULL AND a.id <= w.id)
    FROM reservations_waitinglistentry w
    WHERE w.child_id = %(child)s AND w.prestation_id = ANY(%(ids)s)
      AND w.day BETWEEN %(first)s AND %(last)s AND w.promoted_to_id IS NULL
"""


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
            | Q(child__foyer=foyer, state__in=CART_STATES)
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
            cursor.execute(
                FIGURES_SQL,
                {
                    "ids": ids,
                    "first": window[0],
                    "last": window[1],
                    "taken_states": [str(state) for state in TAKEN_STATES],
                    "held": str(BookingState.HELD),
                    "now": now,
                    "child": child.pk,
                },
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
        cart=_cart(foyer=foyer, rows=rows, now=now),
    )


def _cart(*, foyer: Foyer, rows: Iterable[Booking], now: datetime) -> Cart:
    # Every row is the foyer's: its cart, or its chosen child's bookings in the window.
    counts: dict[int, dict[tuple[int, bool], int]] = defaultdict(lambda: defaultdict(int))
    prestations: dict[int, Prestation] = {}
    prices = []
    held = []
    for booking in rows:
        if booking.state in (BookingState.CART, BookingState.CANCEL_REQUESTED):
            cancellation = booking.state == BookingState.CANCEL_REQUESTED
            counts[booking.child_id][(booking.prestation_id, cancellation)] += 1
            prestations[booking.prestation_id] = booking.prestation
            service = booking.prestation.service
            if not cancellation and service.billing_mode == BillingMode.PREPAIEMENT:
                prices.append(booking.prestation.unit_price)
        elif booking.state == BookingState.HELD and booking.held_until and booking.held_until > now:
            held.append(booking.held_until)

    def order(line: CartLine):
        prestation, service = line.prestation, line.prestation.service
        return (
            line.cancellation,
            service.display_order,
            service.name,
            prestation.display_order,
            prestation.name,
        )

    entries = []
    for child in foyer.children.all():
        if child.pk not in counts:
            continue
        lines = sorted(
            (
                CartLine(prestations[pk], n, cancellation)
                for (pk, cancellation), n in counts[child.pk].items()
            ),
            key=order,
        )
        entries.append(CartChild(child=child, lines=tuple(lines)))
    return Cart(
        children=tuple(entries),
        total=cart_total(prices),
        held_count=len(held),
        held_until=min(held, default=None),
    )


class _Judge:
    """Each prestation's rules and closure calendar, built once for all its cells."""

    def __init__(self, snapshot: _Snapshot):
        self.snapshot = snapshot
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
        state, reason = _STATE_OF_BOOKING[BookingState(booking.state)]
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
    and children (see the module docstring). Navigation moves by ``weeks`` weeks.
    """
    start = monday_of(start)
    week_days = [[start + timedelta(weeks=week, days=n) for n in range(5)] for week in range(weeks)]
    snapshot = _load(
        foyer=foyer,
        child=child,
        prestations=service.prestations,
        days=[day for days in week_days for day in days],
        now=now,
    )
    judge = _Judge(snapshot)
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
        previous_start=start - timedelta(weeks=weeks),
        next_start=start + timedelta(weeks=weeks),
        today_start=monday_of(local_day(now)),
    )


def period_cells(
    *, foyer: Foyer, child: Child, prestation: Prestation, days: Iterable[date], now: datetime
) -> CellsView:
    """Return some cells of one prestation and the foyer's cart (three queries, as the grid).

    ``prestation`` comes from ``service_options`` (its service loaded).
    """
    days = sorted(set(days))
    snapshot = _load(foyer=foyer, child=child, prestations=[prestation], days=days, now=now)
    judge = _Judge(snapshot)
    return CellsView(
        cells={day: _cell(judge, prestation, day, now) for day in days}, cart=snapshot.cart
    )
