"""Reads for mairie staff: the day sheet of a site and the meal counts for the kitchen."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count

from families.models import Regime
from reservations.models import Booking, BookingState, Service

# Children expected on the day: confirmed bookings, including those whose cancellation is
# only requested (not yet applied).
EXPECTED_STATES = (BookingState.VALIDATED, BookingState.CANCEL_REQUESTED)


@dataclass
class SheetRow:
    child: str
    classe: str
    regime: str
    prestations: list[str] = field(default_factory=list)


def day_sheet(*, service: Service, day: date) -> dict[str, list[SheetRow]]:
    """Return {classe: rows} of the children expected at ``service`` on ``day`` (one query)."""
    bookings = (
        Booking.objects.filter(prestation__service=service, day=day, state__in=EXPECTED_STATES)
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
        row.prestations.append(booking.prestation.name)
    by_class: dict[str, list[SheetRow]] = defaultdict(list)
    for row in rows.values():
        by_class[row.classe].append(row)
    return dict(by_class)


def meal_counts(
    *, service: Service, start: date, end: date
) -> list[tuple[date, dict[str, int], int]]:
    """Return [(day, {régime label: count}, total)] of meals to order, one query."""
    counts = (
        Booking.objects.filter(
            prestation__service=service,
            prestation__is_meal=True,
            day__range=(start, end),
            state__in=EXPECTED_STATES,
        )
        .values_list("day", "child__regime")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    labels = dict(Regime.choices)
    per_day: dict[date, dict[str, int]] = defaultdict(
        lambda: {label: 0 for label in labels.values()}
    )
    for day, regime, n in counts:
        per_day[day][labels[regime]] += n
    return [(day, regimes, sum(regimes.values())) for day, regimes in sorted(per_day.items())]
