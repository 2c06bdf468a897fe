"""Credit notes (avoirs): an issued invoice is corrected, in whole or per line, never edited."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing import rules
from billing.exceptions import BillingError
from billing.models import CounterKind, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services.numbers import numbers_take

REASON_NEEDED = "Indiquez le motif de l'avoir : il figure sur le document."
NOTHING_TO_CREDIT = "Ces lignes sont déjà couvertes par un avoir : rien à créditer."
NOT_THIS_INVOICE = "Ces lignes n'appartiennent pas à cette facture."
ALREADY_PAID = (
    "Cette facture est déjà réglée pour une part : l'avoir ne peut dépasser ce qui reste à "
    "payer ({balance} €). Le remboursement passe par la régie."
)


def credit_note_issue(
    *,
    invoice: Invoice,
    reason: str,
    user,
    line_ids: Sequence[int] | None = None,
    today=None,
) -> CreditNote:
    """Issue an avoir for ``line_ids`` of ``invoice`` (None: every line not yet credited).

    The invoice row is locked first, then the number counter: two avoirs on one invoice are
    issued one after the other, and a line is credited once (the database refuses twice).
    """
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(REASON_NEEDED)
    today = today or timezone.localdate()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        lines = InvoiceLine.objects.filter(invoice=invoice, credit_lines__isnull=True)
        if line_ids is not None:
            wanted = set(line_ids)
            if not wanted <= set(
                InvoiceLine.objects.filter(invoice=invoice).values_list("pk", flat=True)
            ):
                raise BillingError(NOT_THIS_INVOICE)
            lines = lines.filter(pk__in=wanted)
        lines = list(lines.order_by("pk"))
        total = sum((line.amount for line in lines), Decimal("0.00"))
        if not lines or total <= 0:
            raise BillingError(NOTHING_TO_CREDIT)
        balance = invoice.total - invoice.amount_paid - invoice.amount_credited
        if total > balance:
            raise BillingError(ALREADY_PAID.format(balance=balance))
        (number,) = numbers_take(
            service=invoice.service, year=today.year, count=1, kind=CounterKind.CREDIT
        )
        credit = CreditNote.objects.create(
            number=number,
            invoice=invoice,
            issued_on=today,
            reason=reason[:255],
            total=total,
            by_user_id=user.pk if user else None,
        )
        CreditNoteLine.objects.bulk_create(
            CreditNoteLine(
                credit_note=credit,
                invoice_line=line,
                label=f"{line.child_name} — {line.label}"
                + (f" du {line.day:%d/%m/%Y}" if line.day else ""),
                amount=line.amount,
            )
            for line in lines
        )
        credited = invoice.amount_credited + total
        Invoice.objects.filter(pk=invoice.pk).update(
            amount_credited=credited,
            status=rules.invoice_status(
                total=invoice.total, paid=invoice.amount_paid, credited=credited
            ),
        )
    return credit
