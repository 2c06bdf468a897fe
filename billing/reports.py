"""For the comptable public and the régisseur: the « état d'encaissement récapitulatif des
prestations », the payments journal for the deposit to the Trésorerie, and collections and
arrears by month (the chart of the staff home).

Reconciliation, per invoice and in total: invoiced = paid + credited + unpaid, where « paid »
is what stays on the invoice (``amount_paid``). The payments by mode add up to « paid » plus
what a credit note moved from a paid invoice to the foyer's account (« reporté au compte »).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.models import Invoice, Payment, PaymentMode

ZERO = Decimal("0.00")
MODES = [(str(value), label) for value, label in PaymentMode.choices]


@dataclass
class StatementRow:
    invoice: Invoice
    by_mode: dict[str, Decimal]
    last_paid_on: date | None

    @property
    def to_account(self) -> Decimal:
        return sum(self.by_mode.values(), ZERO) - self.invoice.amount_paid


@dataclass
class Statement:
    """The état d'encaissement of one service over a period (invoices issued in it)."""

    service_name: str
    start: date
    end: date
    rows: list[StatementRow] = field(default_factory=list)

    def total(self, attribute: str) -> Decimal:
        return sum((getattr(row.invoice, attribute) for row in self.rows), ZERO)

    @property
    def invoiced(self) -> Decimal:
        return self.total("total")

    @property
    def paid(self) -> Decimal:
        return self.total("amount_paid")

    @property
    def credited(self) -> Decimal:
        return self.total("amount_credited")

    @property
    def unpaid(self) -> Decimal:
        return self.total("balance")

    @property
    def by_mode(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for row in self.rows:
            for mode, amount in row.by_mode.items():
                totals[mode] += amount
        return dict(totals)

    @property
    def to_account(self) -> Decimal:
        return sum((row.to_account for row in self.rows), ZERO)

    @property
    def modes(self) -> list[tuple[str, str]]:
        """The modes with an amount in this statement, in the choices' order."""
        used = self.by_mode
        return [(value, label) for value, label in MODES if value in used]


def encaissement_statement(*, service, start: date, end: date) -> Statement:
    """Return the statement of ``service``'s invoices and tickets issued from ``start`` to
    ``end``, with their payments by mode (two queries)."""
    invoices = list(
        Invoice.objects.filter(service=service, issued_on__range=(start, end)).order_by("number")
    )
    payments: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    last: dict[int, datetime] = {}
    for invoice_id, mode, amount, received_at in Payment.objects.filter(
        invoice__in=invoices
    ).values_list("invoice_id", "mode", "amount", "received_at"):
        payments[invoice_id][mode] += amount
        last[invoice_id] = max(last.get(invoice_id, received_at), received_at)
    return Statement(
        service_name=service.name,
        start=start,
        end=end,
        rows=[
            StatementRow(
                invoice=invoice,
                by_mode=dict(payments.get(invoice.pk, {})),
                last_paid_on=timezone.localtime(last[invoice.pk]).date()
                if invoice.pk in last
                else None,
            )
            for invoice in invoices
        ],
    )


def statement_table(statement: Statement) -> tuple[list[str], list[list]]:
    """The statement as a header and rows (CSV, XLSX, PDF), its totals as the last row."""
    modes = statement.modes
    header = [
        "Numéro",
        "Foyer",
        "Émise le",
        "Montant",
        *[f"Réglé : {label}" for _, label in modes],
        "Dernier règlement",
        "Reporté au compte",
        "Réglé",
        "Avoirs",
        "Reste dû",
    ]
    rows = [
        [
            row.invoice.number,
            row.invoice.foyer_name,
            row.invoice.issued_on,
            row.invoice.total,
            *[row.by_mode.get(mode, ZERO) for mode, _ in modes],
            row.last_paid_on or "",
            row.to_account,
            row.invoice.amount_paid,
            row.invoice.amount_credited,
            row.invoice.balance,
        ]
        for row in statement.rows
    ]
    by_mode = statement.by_mode
    rows.append(
        [
            "TOTAL",
            f"{len(statement.rows)} factures",
            "",
            statement.invoiced,
            *[by_mode.get(mode, ZERO) for mode, _ in modes],
            "",
            statement.to_account,
            statement.paid,
            statement.credited,
            statement.unpaid,
        ]
    )
    return header, rows


@dataclass(frozen=True)
class JournalDay:
    day: date
    mode: str
    label: str
    count: int
    total: Decimal


def payments_journal(*, start: date, end: date, service=None) -> list[JournalDay]:
    """Payments received per day and mode (what the régisseur deposits), one query."""
    payments = Payment.objects.filter(received_at__date__range=(start, end))
    if service is not None:
        payments = payments.filter(service=service)
    labels = dict(MODES)
    rows = (
        payments.annotate(day=TruncDate("received_at"))
        .values("day", "mode")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("day", "mode")
    )
    return [
        JournalDay(r["day"], r["mode"], labels.get(r["mode"], r["mode"]), r["count"], r["total"])
        for r in rows
    ]


@dataclass(frozen=True)
class Month:
    first: date
    collected: Decimal
    arrears: Decimal

    @property
    def label(self) -> str:
        return f"{self.first:%m/%Y}"


def collections_by_month(*, months: int = 12, today: date | None = None) -> list[Month]:
    """Money received per month, and what is still unpaid of the invoices due each month
    (arrears), over the last ``months`` months (two queries)."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    collected: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for received_at, amount in Payment.objects.filter(
        received_at__date__gte=first, mode__in=[m for m in PaymentMode.values if m != "credit"]
    ).values_list("received_at", "amount"):
        collected[timezone.localtime(received_at).date().replace(day=1)] += amount
    arrears: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for due_on, total, paid, credited in Invoice.objects.filter(
        due_on__gte=first, due_on__lt=today, status__in=["due", "partial"]
    ).values_list("due_on", "total", "amount_paid", "amount_credited"):
        arrears[due_on.replace(day=1)] += total - paid - credited
    result = []
    month = first
    while month <= today:
        result.append(Month(month, collected[month], arrears[month]))
        month = (month + timedelta(days=32)).replace(day=1)
    return result


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    value: Decimal


def chart_bars(months: list[Month], *, height: int = 160) -> tuple[list, Decimal]:
    """Place each month's two bars (collected, arrears) in an SVG of ``height`` pixels."""
    top = max([m.collected for m in months] + [m.arrears for m in months] + [Decimal(1)])
    bars = []
    for index, month in enumerate(months):
        pair = []
        for offset, value in ((0, month.collected), (14, month.arrears)):
            size = int(value * height / top)
            pair.append(
                Bar(x=40 + index * 40 + offset, y=10 + height - size, height=size, value=value)
            )
        bars.append((month, pair))
    return bars, top


def chart_context(*, months: int = 12, today: date | None = None) -> dict:
    """The context ``billing/_collections_chart.html`` expects (two queries); the staff
    home includes that partial with this context."""
    data = collections_by_month(months=months, today=today)
    bars, top = chart_bars(data)
    return {
        "chart_months": data,
        "chart_bars": bars,
        "chart_top": top,
        "chart_width": 60 + 40 * len(data),
    }
