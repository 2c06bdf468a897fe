"""Post-facturation: from a period's bookings and attendance to one invoice per foyer.

What a day bills is the tariff engine's to say (``billing.rules.price_day``); this module
gathers the days, prices them with the tariff valid on each day and the foyer's QF of that
day, and writes the invoices.

The run is idempotent: a booking, a presence without booking or a forfait period already on
an invoice line is never billed again (and the database's unique constraints make sure of
it), a foyer already invoiced for the same period is skipped and counted. It works by
batches of foyers, each batch in its own transaction with its block of numbers: a failure
keeps what earlier batches issued, and running again finishes the job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from billing import rules, tariffs
from billing.models import (
    Attendance,
    Invoice,
    InvoiceKind,
    InvoiceLine,
)
from families.models import Child, Foyer, Responsable
from reservations.models import BookingState, Prestation, PrestationKind, Service

# Booked days that stand: validated, or validated with a cancellation only asked for. A
# cancelled booking (in time, justified absence, closure, unpaid hold) is never billed.
BILLED_STATES = (BookingState.VALIDATED, BookingState.CANCEL_REQUESTED)
BATCH_FOYERS = 500


@dataclass(frozen=True)
class DraftLine:
    child_id: int
    child_name: str
    prestation_id: int
    label: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    day: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    booking_id: int | None = None
    attendance_id: int | None = None


@dataclass
class Bill:
    """What one foyer owes for the period, before it is issued."""

    foyer_id: int
    foyer_name: str
    payer_name: str
    payer_address: str
    lines: list[DraftLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Preview:
    """« Aperçu » of a run: totals per foyer, nothing written."""

    bills: tuple[Bill, ...]
    already_billed: int

    @property
    def total(self) -> Decimal:
        return sum((bill.total for bill in self.bills), Decimal("0.00"))

    @property
    def lines(self) -> int:
        return sum(len(bill.lines) for bill in self.bills)


def _period_q(service: Service, start: date, end: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}prestation__service": service, f"{prefix}day__range": (start, end)})


def _billed_bookings():
    return InvoiceLine.objects.filter(booking_id=OuterRef("pk"))


def _billed_presences():
    return InvoiceLine.objects.filter(attendance_id=OuterRef("pk"), booking__isnull=True)


def foyers_to_bill(*, service: Service, start: date, end: date) -> tuple[list[int], int]:
    """Return the foyers with something to bill in the period (by name), and how many
    invoices were already issued for exactly this period (those foyers are skipped).

    Four plain queries: foyers with unbilled bookings, with unbilled presences, the
    invoiced ones, then the names. (One query with ``IN (…) OR IN (…)`` over the anti-joins
    was planned as a subquery per foyer: 110 s for 600 000 bookings.)
    """
    from reservations.models import Booking

    booked = (
        Booking.objects.filter(_period_q(service, start, end), state__in=BILLED_STATES)
        .exclude(Exists(_billed_bookings()))
        .values_list("child__foyer_id", flat=True)
        .distinct()
    )
    present = (
        Attendance.objects.filter(_period_q(service, start, end), booking__isnull=True)
        .exclude(Exists(_billed_presences()))
        .values_list("child__foyer_id", flat=True)
        .distinct()
    )
    invoiced = invoiced_for(service, start, end)
    already = set(invoiced.values_list("foyer_id", flat=True))
    wanted = (set(booked) | set(present)) - already
    ids = list(
        Foyer.objects.filter(pk__in=wanted).order_by("name", "pk").values_list("pk", flat=True)
    )
    return ids, len(already)


def services_to_bill(*, start: date, end: date) -> list[Service]:
    """Return the post-facturation services with bookings of the period not yet on an
    invoice, in display order (one query)."""
    from reservations.models import BillingMode, Booking

    unbilled = Booking.objects.filter(
        prestation__service=OuterRef("pk"), day__range=(start, end), state__in=BILLED_STATES
    ).exclude(Exists(_billed_bookings()))
    return list(
        Service.objects.filter(billing_mode=BillingMode.POSTFACTURATION).filter(Exists(unbilled))
    )


def invoiced_for(service: Service, start: date, end: date):
    """The invoices already issued for exactly this service and period."""
    return Invoice.objects.filter(
        kind=InvoiceKind.INVOICE, service=service, period_start=start, period_end=end
    )


def _payers(foyer_ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """Return {foyer id: (foyer name, « M. BERNARD Paul », address)} from responsable 1."""
    names = dict(Foyer.objects.filter(pk__in=foyer_ids).values_list("pk", "name"))
    payers = {pk: (name, name, "") for pk, name in names.items()}
    rows = (
        Responsable.objects.filter(foyer_id__in=foyer_ids)
        .order_by("foyer_id", "-rank")  # rank 1 written last: it wins
        .values_list("foyer_id", "civilite", "last_name", "first_name", "address")
    )
    for foyer_id, civilite, last_name, first_name, address in rows:
        title = "M." if civilite == "M" else "Mme"
        payers[foyer_id] = (names[foyer_id], f"{title} {last_name} {first_name}", address)
    return payers


def draft_bills(
    *,
    service: Service,
    start: date,
    end: date,
    foyer_ids: Sequence[int],
    prestations: dict[int, Prestation] | None = None,
    tariff_rules: dict[int, list[rules.Tariff]] | None = None,
) -> list[Bill]:
    """Price the period for ``foyer_ids``: one Bill per foyer with something due.

    Six queries whatever the number of foyers, days and lines (prestations and tariffs are
    two of them, passed in by a run that prices many batches).
    """
    from reservations.models import Booking

    if prestations is None:
        prestations = {p.pk: p for p in Prestation.objects.filter(service=service)}
    if tariff_rules is None:
        tariff_rules = tariffs.tariffs_by_prestation(prestations.values())
    scope = Q(child__foyer_id__in=list(foyer_ids))
    booked = (
        Booking.objects.filter(scope, _period_q(service, start, end), state__in=BILLED_STATES)
        .exclude(Exists(_billed_bookings()))
        .values_list("pk", "child_id", "prestation_id", "day")
    )
    marks = (
        Attendance.objects.filter(scope, _period_q(service, start, end))
        .exclude(Exists(_billed_presences()))
        .values_list("pk", "child_id", "prestation_id", "day", "status", "booking_id")
    )
    billed_forfaits = set(
        InvoiceLine.objects.filter(
            child__foyer_id__in=list(foyer_ids),
            prestation__service=service,
            period_start__isnull=False,
        ).values_list("child_id", "prestation_id", "period_start")
    )
    children = {
        pk: (foyer_id, f"{first} {last}")
        for pk, foyer_id, first, last in Child.objects.filter(
            foyer_id__in=list(foyer_ids)
        ).values_list("pk", "foyer_id", "first_name", "last_name")
    }
    quotients = tariffs.quotients_by_foyer(foyer_ids, start, end)
    payers = _payers(foyer_ids)

    hours = {pk: tariffs.prestation_hours(p) for pk, p in prestations.items()}
    # (child, prestation, day) → [booking id or None, attendance (id, status) or None]
    days: dict[tuple[int, int, date], list] = defaultdict(lambda: [None, None])
    for pk, child_id, prestation_id, day in booked:
        days[(child_id, prestation_id, day)][0] = pk
    for pk, child_id, prestation_id, day, status, booking_id in marks:
        entry = days.get((child_id, prestation_id, day))
        if entry is not None or booking_id is None:
            # A mark of a booking no longer billed (cancelled, already invoiced) prices
            # nothing on its own: only a presence without booking does.
            days[(child_id, prestation_id, day)][1] = (pk, rules.Attendance(status))

    bills: dict[int, Bill] = {}
    forfaits: dict[tuple[int, int, date, date], int | None] = {}
    for (child_id, prestation_id, day), (booking_id, mark) in sorted(
        days.items(), key=lambda item: (item[0][2], item[0][1], item[0][0])
    ):
        prestation = prestations[prestation_id]
        tariff = rules.tariff_on(tariff_rules.get(prestation_id, ()), day)
        if tariff is None:
            continue  # no tariff that day: nothing to bill (staff see it in the preview)
        foyer_id, child_name = children[child_id]
        if prestation.kind == PrestationKind.FORFAIT:
            if booking_id is not None:
                period = rules.forfait_period(day, prestation.forfait_period)
                if start <= period[0] <= end and (child_id, prestation_id, period[0]) not in (
                    billed_forfaits
                ):
                    forfaits.setdefault((child_id, prestation_id, *period), booking_id)
            continue
        attendance_id, status = mark if mark else (None, None)
        priced = rules.price_day(
            tariff,
            qf=tariffs.qf_on(quotients.get(foyer_id, []), day),
            booked=booking_id is not None,
            attendance=status,
            hours=hours[prestation_id],
            name=tariff.label,
        )
        if priced is None:
            continue
        _bill(bills, payers, foyer_id).lines.append(
            DraftLine(
                child_id=child_id,
                child_name=child_name,
                prestation_id=prestation_id,
                label=priced.label,
                quantity=priced.quantity,
                unit_price=priced.unit_price,
                amount=priced.amount,
                day=day,
                booking_id=booking_id,
                attendance_id=attendance_id if booking_id is None else None,
            )
        )
    for (child_id, prestation_id, first, last), booking_id in forfaits.items():
        tariff = rules.tariff_on(tariff_rules.get(prestation_id, ()), first)
        tariff = tariff or rules.tariff_on(tariff_rules.get(prestation_id, ()), last)
        if tariff is None:
            continue
        foyer_id, child_name = children[child_id]
        priced = rules.price_forfait(
            tariff,
            qf=tariffs.qf_on(quotients.get(foyer_id, []), first),
            start=first,
            end=last,
            name=tariff.label,
        )
        _bill(bills, payers, foyer_id).lines.append(
            DraftLine(
                child_id=child_id,
                child_name=child_name,
                prestation_id=prestation_id,
                label=priced.label,
                quantity=priced.quantity,
                unit_price=priced.unit_price,
                amount=priced.amount,
                period_start=first,
                period_end=last,
                booking_id=booking_id,
            )
        )
    for bill in bills.values():
        bill.lines.sort(key=lambda line: (line.child_name, line.day or line.period_start))
    order = {pk: n for n, pk in enumerate(foyer_ids)}
    return sorted(bills.values(), key=lambda bill: order[bill.foyer_id])


def _bill(bills: dict[int, Bill], payers, foyer_id: int) -> Bill:
    bill = bills.get(foyer_id)
    if bill is None:
        foyer_name, payer_name, address = payers[foyer_id]
        bill = bills[foyer_id] = Bill(foyer_id, foyer_name, payer_name, address)
    return bill


def invoice_preview(*, service: Service, start: date, end: date) -> Preview:
    """Return what a run would bill now, per foyer, writing nothing."""
    foyer_ids, already = foyers_to_bill(service=service, start=start, end=end)
    bills: list[Bill] = []
    prestations = {p.pk: p for p in Prestation.objects.filter(service=service)}
    tariff_rules = tariffs.tariffs_by_prestation(prestations.values())
    for batch in batches(foyer_ids):
        bills.extend(
            draft_bills(
                service=service,
                start=start,
                end=end,
                foyer_ids=batch,
                prestations=prestations,
                tariff_rules=tariff_rules,
            )
        )
    return Preview(bills=tuple(bills), already_billed=already)


def batches(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    size = BATCH_FOYERS
    for first in range(0, len(ids), size):
        yield ids[first : first + size]
