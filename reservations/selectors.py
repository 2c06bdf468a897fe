"""Reads for « Mes réservations »: the Vue Période grid, some of its cells, the cart panel.

A grid costs three queries whatever its number of weeks, prestations and children: the
child's bookings in the window together with the foyer's cart, the places taken (with the
capacity overrides) per prestation and day, and the staff closures. The services and their
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

from django.db.models import Count, F, IntegerField, Prefetch, Q, Value

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
    PrestationDay,
    Service,
)
from reservations.pricing import cart_total
from reservations.rules import local_day

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

    ``icon`` names an SVG symbol of reservations/partials/icons.html; without one the cell
    shows ``symbol`` (the seeds' « ... » of a closed day).
    """

    state: CellState
    label: str
    icon: str
    hint: str
    symbol: str = ""


# In the legend's order. Icons after the seeds: ○ réservable, 🕒 en cours, ✓ validée.
STYLES = {
    style.state: style
    for style in (
        StateStyle(CellState.BOOKABLE, "réservable", "circle", "cliquez pour l'ajouter au panier"),
        StateStyle(CellState.IN_CART, "dans le panier", "clock", "demande en cours, à valider"),
        StateStyle(CellState.VALIDATED, "demande validée", "check", "réservation enregistrée"),
        StateStyle(
            CellState.PENDING, "en attente de la mairie", "hourglass", "la mairie doit l'accepter"
        ),
        StateStyle(
            CellState.HELD, "en attente de paiement", "euro", "place retenue le temps du paiement"
        ),
        StateStyle(
            CellState.CANCEL_REQUESTED, "demande d'annulation", "cross", "annulation demandée"
        ),
        StateStyle(CellState.FULL, "complet", "full", "plus aucune place ce jour-là"),
        StateStyle(CellState.LOCKED, "réservation close", "lock", "délai de réservation dépassé"),
        StateStyle(CellState.CLOSED, "fermé", "", "pas de service ce jour-là", symbol="..."),
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


def service_options() -> list[ServiceOption]:
    """Return the services that have prestations, each with them, in display order.

    One query (prestations joined to their service). A service without prestations has
    nothing to book and is left out.
    """
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
        elif self.state in (CellState.LOCKED, CellState.CLOSED) and self.reason:
            text += f" ({self.reason})"
        return text


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
    closures: dict[int, dict[date, str]]
    cart: Cart


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
    closures: dict[int, dict[date, str]] = {}
    if ids:
        # 2. Places taken per (prestation, day), as cart_validate counts them, and the days
        # whose capacity staff changed: one UNION ALL, rows (prestation, day, taken, override).
        counted = (
            Booking.objects.filter(prestation_id__in=ids, day__range=window, state__in=TAKEN_STATES)
            .exclude(state=BookingState.HELD, held_until__lte=now)
            .values("prestation_id", "day")
            .annotate(taken=Count("id"), override=Value(None, output_field=IntegerField()))
            .values_list("prestation_id", "day", "taken", "override")
        )
        changed = (
            PrestationDay.objects.filter(
                prestation_id__in=ids, day__range=window, capacity__isnull=False
            )
            .annotate(taken=Value(0, output_field=IntegerField()), override=F("capacity"))
            .values_list("prestation_id", "day", "taken", "override")
        )
        for prestation_id, day, count, override in counted.union(changed, all=True):
            if override is None:
                taken[(prestation_id, day)] = count
            else:
                overrides[(prestation_id, day)] = override
        # 3. Staff closures of the service or of one of its prestations.
        closures = policy.closures_for(prestations, days)
    return _Snapshot(
        child_bookings=child_bookings,
        taken=taken,
        overrides=overrides,
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


def _cell(snapshot: _Snapshot, prestation: Prestation, day: date, now: datetime) -> Cell:
    key = (prestation.pk, day)
    booking = snapshot.child_bookings.get(key)
    if booking is not None:
        state, reason = _STATE_OF_BOOKING[BookingState(booking.state)]
        return Cell(prestation, day, state, reason, booking=booking)
    closures = snapshot.closures.get(prestation.pk, {})
    # Closed before gone by: a past Wednesday still reads « ... », not « réservation close ».
    closed = policy.closure_calendar(prestation, closures).closed_reason(day)
    if closed is not None:
        return Cell(prestation, day, CellState.CLOSED, closed)
    refusal = policy.refusal(prestation=prestation, day=day, now=now, closures=closures)
    if refusal == NOT_RUNNING:
        return Cell(prestation, day, CellState.CLOSED, refusal)
    if refusal:
        return Cell(prestation, day, CellState.LOCKED, refusal)
    capacity = snapshot.overrides.get(key, prestation.capacity)
    remaining = max(capacity - snapshot.taken.get(key, 0), 0)
    if remaining == 0:
        return Cell(prestation, day, CellState.FULL, FULL, remaining=0)
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
    grid_weeks = tuple(
        Week(
            days[0],
            tuple(Column(day) for day in days),
            tuple(
                Row(p, tuple(_cell(snapshot, p, day, now) for day in days))
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
    return CellsView(
        cells={day: _cell(snapshot, prestation, day, now) for day in days}, cart=snapshot.cart
    )
