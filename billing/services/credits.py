"""Credit notes (avoirs): an issued invoice is corrected, in whole or per line, never edited.

Crediting what was already paid (a prepaid booking cancelled in time, a closure) moves that
money to the foyer's account (billing.services.accounts), used first by its next payment:
the invoice keeps ``total >= paid + credited``, its paid part shrinking by what went to the
account.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.exceptions import BillingError
from billing.models import CounterKind, CreditNote, CreditNoteLine, EntryKind, Invoice, InvoiceLine
from billing.services.accounts import account_credit
from billing.services.numbers import numbers_take
from billing.services.settle import invoice_money_update

REASON_NEEDED = "Indiquez le motif de l'avoir : il figure sur le document."
NOTHING_TO_CREDIT = "Ces lignes sont déjà couvertes par un avoir : rien à créditer."
NOT_THIS_INVOICE = "Ces lignes n'appartiennent pas à cette facture."


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
    What the avoir covers beyond the invoice's balance was paid: it goes to the foyer's
    account.
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
        to_account = max(total - invoice.balance, Decimal("0.00"))
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
        now = timezone.now()
        invoice_money_update(invoice=invoice, paid=-to_account, credited=total, now=now)
        if to_account:
            account_credit(
                foyer_id=invoice.foyer_id,
                amount=to_account,
                kind=EntryKind.CREDIT_NOTE,
                label=f"Avoir {number} sur {invoice.number} (déjà réglée)",
                now=now,
                credit_note=credit,
            )
    return credit


PREPAID_CANCELLED = "Réservation payée annulée dans les délais"


def paid_bookings_credit(*, booking_ids, reason: str = PREPAID_CANCELLED, user=None) -> list:
    """Issue an avoir for each paid ticket line of ``booking_ids`` not yet credited (a
    prepaid booking cancelled in time, a closure): the money goes to the foyer's account.
    One query when none was paid."""
    from billing.models import InvoiceKind

    lines = (
        InvoiceLine.objects.filter(
            booking_id__in=list(booking_ids),
            invoice__kind=InvoiceKind.PREPAID,
            credit_lines__isnull=True,
        )
        .select_related("invoice")
        .order_by("invoice_id", "pk")
    )
    by_invoice: dict[int, tuple[Invoice, list[int]]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, (line.invoice, []))[1].append(line.pk)
    return [
        credit_note_issue(invoice=invoice, reason=reason, user=user, line_ids=line_ids)
        for invoice, line_ids in by_invoice.values()
    ]
