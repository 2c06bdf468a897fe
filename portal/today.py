"""« Aujourd'hui »: what a collectivité's staff member has to do now, for the admin's home.

Each block is shown to the roles it concerns (tenants.rules) and costs one query whatever
the volume: bookings awaiting approval, requests this person has not read, absences to
decide, the children and meals of today and of the next working day per site and
prestation, last month's services not invoiced yet, the unpaid invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone

DECIDE_BOOKINGS = "reservations.decide"
DECIDE_ABSENCE = "requests_inbox.decide_absence"
VIEW_THREADS = "requests_inbox.view_thread"
VIEW_BOOKINGS = "reservations.view_booking"
VIEW_INVOICES = "billing.view_invoice"
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@dataclass(frozen=True)
class ToInvoice:
    service_id: int
    name: str


@dataclass
class Today:
    day: date
    pending_bookings: int | None = None
    unread_requests: int | None = None
    pending_absences: int | None = None
    days: list = field(default_factory=list)
    billing: bool = False
    chart: dict = field(default_factory=dict)
    month_start: date | None = None
    month_end: date | None = None
    to_invoice: list[ToInvoice] = field(default_factory=list)
    unpaid_count: int = 0
    unpaid_amount: Decimal = Decimal("0.00")

    @property
    def month_label(self) -> str:
        return f"{MONTHS[self.month_start.month - 1]} {self.month_start.year}"

    @property
    def to_do(self) -> bool:
        """Whether any count of the « À traiter » block is shown."""
        counts = (self.pending_bookings, self.unread_requests, self.pending_absences)
        return any(count is not None for count in counts)


def today_for(*, user, now: datetime | None = None) -> Today:
    """Return what ``user`` sees on « Aujourd'hui » in the current collectivité."""
    from billing.models import Invoice, InvoiceStatus
    from billing.reports import chart_context
    from billing.rules import last_month
    from billing.services.invoicing import services_to_bill
    from requests_inbox.models import Absence, AbsenceStatus
    from requests_inbox.selectors import unread_threads_count
    from reservations.lifecycle import State
    from reservations.models import Booking
    from reservations.selectors import reports

    now = now or timezone.now()
    today = timezone.localdate(now)
    result = Today(day=today)
    if user.has_perm(DECIDE_BOOKINGS):
        result.pending_bookings = Booking.objects.filter(state=State.PENDING_APPROVAL).count()
    if user.has_perm(VIEW_THREADS):
        result.unread_requests = unread_threads_count(user=user)
    if user.has_perm(DECIDE_ABSENCE):
        result.pending_absences = Absence.objects.filter(status=AbsenceStatus.PENDING).count()
    if user.has_perm(VIEW_BOOKINGS):
        result.days = reports.days_counts(days=[today, reports.next_working_day(today)], now=now)
    if user.has_perm(VIEW_INVOICES):
        result.billing = True
        first, last = last_month(today)
        result.month_start, result.month_end = first, last
        result.chart = chart_context(today=today)
        result.to_invoice = [
            ToInvoice(service.pk, service.name)
            for service in services_to_bill(start=first, end=last)
        ]
        unpaid = Invoice.objects.filter(
            status__in=[InvoiceStatus.DUE, InvoiceStatus.PARTIAL]
        ).aggregate(
            count=Count("pk"), due=Sum(F("total") - F("amount_paid") - F("amount_credited"))
        )
        result.unpaid_count = unpaid["count"]
        result.unpaid_amount = unpaid["due"] or Decimal("0.00")
    return result
