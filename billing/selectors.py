"""Reads of billing for the pages: a foyer's invoices, one invoice with its lines."""

from __future__ import annotations

from dataclasses import dataclass

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
    """Return one of the foyer's invoices with its lines and credit notes (three queries);
    None when it is not the foyer's."""
    lines = InvoiceLine.objects.order_by("child_name", "day", "period_start", "pk")
    return (
        Invoice.objects.filter(foyer=foyer, pk=pk)
        .prefetch_related(Prefetch("lines", queryset=lines), "credit_notes")
        .first()
    )
