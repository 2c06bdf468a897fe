"""Reads for mairie staff: the day sheet of a site and the meal counts for the kitchen.

Both count what holds a place (reservations.places) and show apart the lines still
awaiting the mairie's approval or the family's payment: they hold their place but may not
come (« dont 2 en attente »).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q

from families.models import Regime
from reservations.lifecycle import State
from reservations.models import Booking, Service

AWAITING_STATES = (str(State.PENDING_APPROVAL), str(State.HELD))
AWAITING = "en attente"


@dataclass
class SheetRow:
    child: str
    classe: str
    regime: str
    prestations: list[str] = field(default_factory=list)
    # Every line of the child that day awaits approval or payment.
    awaiting: bool = True


@dataclass
class DaySheet:
    classes: dict[str, list[SheetRow]]

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.classes.values())

    @property
    def awaiting(self) -> int:
        return sum(row.awaiting for rows in self.classes.values() for row in rows)


def day_sheet(*, service: Service, day: date, now: datetime) -> DaySheet:
    """Return the children expected at ``service`` on ``day``, by class (one query)."""
    bookings = (
        Booking.objects.holding_place(now)
        .filter(prestation__service=service, day=day)
        .select_related("child", "prestation")
        .order_by(
            "child__classe", "child__last_name", "child__first_name", "prestation__display_order"
        )
    )
    rows: dict[int, SheetRow] = {}
    for booking in bookings:
        child = booking.child
        row = rows.setdefault(
            child.pk,
            SheetRow(
                child=f"{child.last_name} {child.first_name}",
                classe=child.classe or "Sans classe",
                regime=child.get_regime_display(),
            ),
        )
        awaiting = booking.state in AWAITING_STATES
        name = booking.prestation.name
        row.prestations.append(f"{name} ({AWAITING})" if awaiting else name)
        row.awaiting = row.awaiting and awaiting
    by_class: dict[str, list[SheetRow]] = defaultdict(list)
    for row in rows.values():
        by_class[row.classe].append(row)
    return DaySheet(dict(by_class))


@dataclass(frozen=True)
class MealDay:
    day: date
    by_regime: dict[str, int]
    awaiting: int

    @property
    def total(self) -> int:
        return sum(self.by_regime.values())


def meal_counts(*, service: Service, start: date, end: date, now: datetime) -> list[MealDay]:
    """Return the meals to order per day and régime label, and how many await (one query)."""
    counts = (
        Booking.objects.holding_place(now)
        .filter(prestation__service=service, prestation__is_meal=True, day__range=(start, end))
        .values_list("day", "child__regime")
        .annotate(n=Count("id"), awaiting=Count("id", filter=Q(state__in=AWAITING_STATES)))
        .order_by("day")
    )
    labels = dict(Regime.choices)
    per_day: dict[date, dict[str, int]] = defaultdict(
        lambda: {label: 0 for label in labels.values()}
    )
    awaiting: dict[date, int] = defaultdict(int)
    for day, regime, n, waiting in counts:
        per_day[day][labels[regime]] += n
        awaiting[day] += waiting
    return [MealDay(day, regimes, awaiting[day]) for day, regimes in sorted(per_day.items())]
