"""What a closure would do, shown to staff before they confirm it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count

from reservations.models import Booking, Prestation, Service, WaitingListEntry
from reservations.services.closures import bookings_hit

# Bookings listed by name on the confirmation page; the counts cover them all.
LISTED = 60


@dataclass(frozen=True)
class DayCount:
    day: date
    prestation: str
    bookings: int


@dataclass
class ClosurePreview:
    bookings: int = 0
    foyers: int = 0
    waiting: int = 0
    by_day: list[DayCount] = field(default_factory=list)
    listed: list[Booking] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.bookings - len(self.listed)


def closure_preview(
    *, service: Service, prestation_ids: list[int], start: date, end: date
) -> ClosurePreview:
    """Return the bookings a closure would cancel and the waiting lists it would empty.

    Five queries whatever the volume: the service's prestations (when none is chosen), the
    counts per day and prestation, the families, the first LISTED bookings, the waiting
    entries.
    """
    ids = list(prestation_ids) or list(
        Prestation.objects.filter(service=service).values_list("pk", flat=True)
    )
    hits = bookings_hit(prestation_ids=ids, start=start, end=end)
    by_day = [
        DayCount(day, name, n)
        for day, name, n in hits.values_list("day", "prestation__name")
        .annotate(n=Count("id"))
        .order_by("day", "prestation__display_order", "prestation__name")
    ]
    waiting = (
        WaitingListEntry.objects.waiting()
        .filter(prestation_id__in=ids, day__range=(start, end))
        .count()
    )
    return ClosurePreview(
        bookings=sum(row.bookings for row in by_day),
        foyers=hits.values("child__foyer_id").distinct().count(),
        waiting=waiting,
        by_day=by_day,
        listed=list(
            hits.select_related("child__foyer", "prestation").order_by(
                "day", "prestation__display_order", "child__last_name", "child__first_name"
            )[:LISTED]
        ),
    )
