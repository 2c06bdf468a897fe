"""Reads of billing for the pages: a foyer's invoices, one invoice with its lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from billing.models import Invoice, InvoiceLine, InvoiceStatus
from families.models import Foyer

OPEN_STATUSES = (InvoiceStatus.DUE, InvoiceStatus.PARTIAL)


def foyer_of_user(*, user) -> Foyer | None:
    """Return the account's foyer in the current collectivité, or None (one query)."""
    return Foyer.objects.filter(user=user).first()


@dataclass(frozen=True)
class FoyerInvoices:
    """« Factures en cours » and « Factures payées » (settled: paid or cancelled by a credit)."""

    open: tuple[Invoice, ...]
    settled: tuple[Invoice, ...]


def foyer_invoices(*, foyer: Foyer) -> FoyerInvoices:
    """Return the foyer's invoices in this collectivité, newest first (one query)."""
    invoices = list(Invoice.objects.filter(foyer=foyer).order_by("-issued_on", "-number"))
    return FoyerInvoices(
        open=tuple(i for i in invoices if i.status in OPEN_STATUSES),
        settled=tuple(i for i in invoices if i.status not in OPEN_STATUSES),
    )


def foyer_invoice(*, foyer: Foyer, pk: int) -> Invoice | None:
    """Return one of the foyer's invoices with its lines, credit notes and payments (four
    queries); None when it is not the foyer's."""
    from billing.models import Payment

    lines = InvoiceLine.objects.order_by("child_name", "day", "period_start", "pk")
    payments = Payment.objects.order_by("received_at", "pk")
    return (
        Invoice.objects.filter(foyer=foyer, pk=pk)
        .prefetch_related(
            Prefetch("lines", queryset=lines),
            "credit_notes",
            Prefetch("payments", queryset=payments),
        )
        .first()
    )


@dataclass(frozen=True)
class PointageRow:
    child_id: int
    name: str
    classe: str
    booked: bool
    status: str  # "" when nobody marked it yet


@dataclass(frozen=True)
class PointageSheet:
    rows: tuple[PointageRow, ...]
    others: tuple[tuple[int, str], ...]  # enrolled children not on the list: (id, name)
    locked: bool

    @property
    def counts(self) -> dict[str, int]:
        counts = {"present": 0, "absent_justified": 0, "absent_unjustified": 0, "": 0}
        for row in self.rows:
            counts[row.status] += 1
        return counts


def pointage_sheet(*, prestation, day) -> PointageSheet:
    """The children expected at ``prestation`` on ``day`` with their marks, and those who may
    be added as present without booking (four queries, whatever the number of children)."""
    from billing.models import Attendance
    from billing.services.attendance import attendance_locked
    from billing.services.invoicing import BILLED_STATES
    from families.models import Child
    from reservations.models import Booking, BookingState

    booked = {
        b.child_id: b.child
        for b in Booking.objects.filter(
            prestation=prestation, day=day, state__in=BILLED_STATES
        ).select_related("child")
    }
    marks = {
        a.child_id: a
        for a in Attendance.objects.filter(prestation=prestation, day=day).select_related("child")
    }
    children = {**{pk: a.child for pk, a in marks.items()}, **booked}
    rows = sorted(
        (
            PointageRow(
                child_id=pk,
                name=f"{child.last_name} {child.first_name}",
                classe=child.classe,
                booked=pk in booked,
                status=marks[pk].status if pk in marks else "",
            )
            for pk, child in children.items()
        ),
        key=lambda row: (not row.booked, row.name.lower()),
    )
    past_cart = [str(state) for state in BookingState if state != BookingState.CART]
    enrolled = (
        Child.objects.filter(
            bookings__prestation__service_id=prestation.service_id,
            bookings__state__in=past_cart,
        )
        .exclude(pk__in=list(children))
        .distinct()
        .order_by("last_name", "first_name")
        .values_list("pk", "last_name", "first_name")
    )
    return PointageSheet(
        rows=tuple(rows),
        others=tuple((pk, f"{last} {first}") for pk, last, first in enrolled),
        locked=attendance_locked(service=prestation.service, day=day),
    )


@dataclass(frozen=True)
class PaymentContext:
    """What « Mes factures » says about paying: online or not, the avoir, direct debit,
    reservations waiting for their payment."""

    provider: str | None
    on_direct_debit: bool
    credit: object
    held_waiting: int

    @property
    def can_pay_online(self) -> bool:
        return self.provider is not None and not self.on_direct_debit


def payment_context(*, foyer: Foyer) -> PaymentContext:
    """Two queries: the settings; then the mandate, the account and the held lines without
    an order, as three subqueries of one."""
    from django.db.models import Count, Exists, OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from billing.models import AccountEntry, SepaMandate
    from billing.payments import online_provider_name, settings_get
    from billing.services.orders import held_without_order_q

    held = (
        held_without_order_q(foyer=foyer, now=timezone.now())
        .order_by()
        .values("child__foyer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    credit = (
        AccountEntry.objects.filter(foyer=OuterRef("pk"))
        .order_by()
        .values("foyer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    row = (
        Foyer.objects.filter(pk=foyer.pk)
        .annotate(
            debit=Exists(SepaMandate.objects.filter(foyer=OuterRef("pk"), revoked_on=None)),
            credit=Coalesce(Subquery(credit), Decimal("0.00")),
            held=Coalesce(Subquery(held), 0),
        )
        .values("debit", "credit", "held")
        .get()
    )
    return PaymentContext(
        provider=online_provider_name(settings_get()),
        on_direct_debit=row["debit"],
        credit=row["credit"],
        held_waiting=row["held"],
    )


def foyer_order(*, foyer: Foyer, pk: int):
    """One of the foyer's prépaiement orders with its lines (two queries); None if not its."""
    from billing.models import PrepaidOrder

    return (
        PrepaidOrder.objects.filter(foyer=foyer, pk=pk)
        .select_related("service", "ticket")
        .prefetch_related("lines")
        .first()
    )


def foyer_transaction(*, foyer: Foyer, pk: int):
    """One of the foyer's online payments with what it pays (one query)."""
    from billing.models import PaymentTransaction

    return (
        PaymentTransaction.objects.filter(foyer=foyer, pk=pk)
        .select_related("invoice", "order__ticket")
        .first()
    )


def orders_of_bookings(*, booking_ids) -> list:
    """The open orders holding ``booking_ids`` (one query)."""
    from billing.models import OrderStatus, PrepaidOrder

    return list(
        PrepaidOrder.objects.filter(
            status=OrderStatus.OPEN, lines__booking_id__in=list(booking_ids)
        )
        .distinct()
        .order_by("pk")
    )
