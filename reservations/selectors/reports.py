"""Reads for mairie staff: the day sheet of a site, the kitchen's meal counts, « Aujourd'hui ».

All count what holds a place (reservations.places) and show apart the lines still awaiting
the mairie's approval or the family's payment: they hold their place but may not come
(« dont 2 en attente »). A closed day's bookings are cancelled by its closure, so they
leave these counts; the closure itself is shown on the day.

Navigation between days skips the days without service: weekends, the weekdays no
prestation of the site runs, public and school holidays, whole-site closures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q

from families.models import Regime, Responsable
from reservations import policy
from reservations.calendar import WEEKDAY_NAMES, WorkingDays
from reservations.lifecycle import State
from reservations.models import Booking, Closure, Prestation, Service

AWAITING_STATES = (str(State.PENDING_APPROVAL), str(State.HELD))
AWAITING = "en attente"
REGIMES = [label for _, label in Regime.choices]
# How far navigation looks for a day with service (the summer holidays are shorter).
SEARCH_DAYS = 120
# The dates these pages accept (the school holidays' data starts in 1990).
FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2100, 12, 31)


def weekday_label(day: date) -> str:
    """« jeudi 12/03/2026 »."""
    return f"{WEEKDAY_NAMES[day.isoweekday()]} {day:%d/%m/%Y}"


def _regime_counts() -> dict[str, int]:
    return dict.fromkeys(REGIMES, 0)


# --- Day sheet ----------------------------------------------------------------------------


@dataclass
class SheetRow:
    child: str
    classe: str
    regime: str
    state: str
    awaiting: bool
    phones: list[str]
    allergies: str = ""
    pai: bool = False


@dataclass
class PrestationSheet:
    prestation: Prestation
    closed: str | None = None  # why it does not run that day (None: it runs)
    rows: list[SheetRow] = field(default_factory=list)
    by_regime: dict[str, int] = field(default_factory=_regime_counts)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def awaiting(self) -> int:
        return sum(row.awaiting for row in self.rows)

    @property
    def regimes(self) -> str:
        """« Classique : 2 · Végétarien : 1 », the régimes present only."""
        return " · ".join(f"{regime} : {n}" for regime, n in self.by_regime.items() if n)


@dataclass
class DaySheet:
    day: date
    with_health: bool
    prestations: list[PrestationSheet]
    closures: list[str]
    previous: date | None = None
    next: date | None = None

    @property
    def weekday(self) -> str:
        return weekday_label(self.day)

    @property
    def total(self) -> int:
        """Children expected, each once whatever its prestations."""
        return len({row.child for sheet in self.prestations for row in sheet.rows})

    @property
    def awaiting(self) -> int:
        return sum(sheet.awaiting for sheet in self.prestations)


def _phones(child) -> list[str]:
    phones = []
    for responsable in child.foyer.responsables.all():
        numbers = " / ".join(n for n in (responsable.phone, responsable.phone_secondary) if n)
        if numbers:
            phones.append(f"{responsable.first_name} {responsable.last_name} : {numbers}")
    return phones


def _calendars(prestations: list[Prestation], days):
    closures = policy.closures_for(prestations, days)
    return {p.pk: policy.closure_calendar(p, closures[p.pk]) for p in prestations}


def _service_days(service: Service, prestations: list[Prestation], day: date):
    """Return (the day's closure reasons, the previous and next days with service)."""
    window = [day + timedelta(days=n) for n in range(-SEARCH_DAYS, SEARCH_DAYS + 1)]
    window = [d for d in window if FIRST_DAY <= d <= LAST_DAY]
    calendars = _calendars(prestations, window)

    def runs(d: date) -> bool:
        return any(calendars[p.pk].is_open(d) for p in prestations)

    before = [d for d in window if d < day and runs(d)]
    after = [d for d in window if d > day and runs(d)]
    return calendars, (before[-1] if before else None), (after[0] if after else None)


def day_sheet(*, service: Service, day: date, now: datetime, with_health: bool) -> DaySheet:
    """Return who is expected at ``service`` on ``day``, one list per prestation.

    Four queries whatever the number of children: the prestations, the closures around the
    day (navigation skips the days without service), the bookings with their children and
    foyers, the responsables' phones. Allergies and PAI only ``with_health``
    (families.view_health).
    """
    prestations = list(Prestation.objects.filter(service=service).select_related("service"))
    calendars, previous, following = _service_days(service, prestations, day)
    bookings = (
        Booking.objects.holding_place(now)
        .filter(prestation__service=service, day=day)
        .select_related("child__foyer")
        .prefetch_related(
            Prefetch("child__foyer__responsables", queryset=Responsable.objects.order_by("rank"))
        )
        .order_by("child__classe", "child__last_name", "child__first_name", "child_id")
    )
    sheets = {
        p.pk: PrestationSheet(prestation=p, closed=calendars[p.pk].closed_reason(day))
        for p in sorted(prestations, key=lambda p: (p.display_order, p.name))
    }
    for booking in bookings:
        child = booking.child
        awaiting = booking.state in AWAITING_STATES
        row = SheetRow(
            child=f"{child.last_name} {child.first_name}",
            classe=child.classe or "Sans classe",
            regime=child.get_regime_display(),
            state=AWAITING if awaiting else "",
            awaiting=awaiting,
            phones=_phones(child),
            allergies=child.allergies if with_health else "",
            pai=child.pai if with_health else False,
        )
        sheet = sheets[booking.prestation_id]
        sheet.rows.append(row)
        sheet.by_regime[row.regime] += 1
    closures = sorted(
        {
            reason
            for calendar in calendars.values()
            for d, reason in calendar.closures.items()
            if d == day
        }
    )
    return DaySheet(
        day=day,
        with_health=with_health,
        prestations=[s for s in sheets.values() if s.rows or s.closed is None],
        closures=closures,
        previous=previous,
        next=following,
    )


# --- Meals ----------------------------------------------------------------------------------


@dataclass
class MealDay:
    day: date
    closed: str | None
    by_regime: dict[str, int] = field(default_factory=_regime_counts)
    awaiting: int = 0

    @property
    def weekday(self) -> str:
        return weekday_label(self.day)

    @property
    def total(self) -> int:
        return sum(self.by_regime.values())


@dataclass
class MealWeek:
    start: date
    days: list[MealDay]

    @property
    def end(self) -> date:
        return self.start + timedelta(days=4)

    @property
    def by_regime(self) -> dict[str, int]:
        return {regime: sum(day.by_regime[regime] for day in self.days) for regime in REGIMES}

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)

    @property
    def awaiting(self) -> int:
        return sum(day.awaiting for day in self.days)


def meal_counts(*, service: Service, start: date, end: date, now: datetime) -> MealWeek:
    """Return the meals to order per day and régime from ``start`` to ``end``, and the totals.

    Three queries: the meal prestations, the closures, the counts. A day no meal is served
    (a Wednesday, a holiday, a closure) says why.
    """
    prestations = list(
        Prestation.objects.filter(service=service, is_meal=True).select_related("service")
    )
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    calendars = _calendars(prestations, days)
    rows = {}
    for day in days:
        reasons = [calendars[p.pk].closed_reason(day) for p in prestations]
        closed = None if not prestations or None in reasons else reasons[0]
        rows[day] = MealDay(day=day, closed=closed if prestations else "Aucun repas")
    counts = (
        Booking.objects.holding_place(now)
        .filter(prestation__in=prestations, day__range=(start, end))
        .values_list("day", "child__regime")
        .annotate(n=Count("id"), awaiting=Count("id", filter=Q(state__in=AWAITING_STATES)))
        .order_by("day")
    )
    labels = dict(Regime.choices)
    for day, regime, n, waiting in counts:
        rows[day].by_regime[labels[regime]] += n
        rows[day].awaiting += waiting
    return MealWeek(start=start, days=list(rows.values()))


# --- « Aujourd'hui » ----------------------------------------------------------------------


@dataclass
class PrestationCount:
    name: str
    order: tuple = ()
    children: int = 0
    awaiting: int = 0


@dataclass
class SiteDay:
    service_id: int
    name: str
    prestations: list[PrestationCount] = field(default_factory=list)
    meals: dict[str, int] = field(default_factory=_regime_counts)

    @property
    def meals_total(self) -> int:
        return sum(self.meals.values())


@dataclass
class DayCounts:
    day: date
    sites: list[SiteDay]

    @property
    def weekday(self) -> str:
        return weekday_label(self.day)


def next_working_day(day: date) -> date:
    """The mairie's next working day: Friday leads to Monday, a public holiday is skipped."""
    working = WorkingDays()
    following = day + timedelta(days=1)
    while not working.is_working_day(following):
        following += timedelta(days=1)
    return following


def days_counts(*, days: list[date], now: datetime) -> list[DayCounts]:
    """Return, per day, site and prestation, the children expected and the meals by régime.

    One query whatever the volume (grouped by the database).
    """
    rows = (
        Booking.objects.holding_place(now)
        .filter(day__in=days)
        .values_list(
            "day",
            "prestation__service_id",
            "prestation__service__name",
            "prestation__service__display_order",
            "prestation_id",
            "prestation__name",
            "prestation__display_order",
            "prestation__is_meal",
            "child__regime",
        )
        .annotate(n=Count("id"), awaiting=Count("id", filter=Q(state__in=AWAITING_STATES)))
    )
    labels = dict(Regime.choices)
    sites: dict[date, dict[int, SiteDay]] = {day: {} for day in days}
    site_order: dict[int, tuple] = {}
    prestations: dict[tuple[date, int], PrestationCount] = {}
    for day, service_id, site, s_order, pk, name, p_order, meal, regime, n, waiting in rows:
        site_day = sites[day].setdefault(service_id, SiteDay(service_id, site))
        site_order[service_id] = (s_order, site)
        count = prestations.get((day, pk))
        if count is None:
            count = prestations[(day, pk)] = PrestationCount(name, (p_order, name))
            site_day.prestations.append(count)
        count.children += n
        count.awaiting += waiting
        if meal:
            site_day.meals[labels[regime]] += n
    result = []
    for day in days:
        day_sites = sorted(sites[day].values(), key=lambda s: site_order[s.service_id])
        for site in day_sites:
            site.prestations.sort(key=lambda count: count.order)
        result.append(DayCounts(day=day, sites=day_sites))
    return result


def closures_on(*, days: list[date]) -> dict[date, list[Closure]]:
    """Return the closures covering each of ``days`` (one query)."""
    found: dict[date, list[Closure]] = defaultdict(list)
    for closure in Closure.objects.filter(start__lte=max(days), end__gte=min(days)).select_related(
        "service"
    ):
        for day in days:
            if closure.start <= day <= closure.end:
                found[day].append(closure)
    return found
