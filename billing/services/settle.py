"""The one place where an invoice's money moves, and where a payment is written.

Every writer (online notifications, the régie's counter, direct debits and their rejections,
credit notes, prépaiement tickets) goes through ``invoice_money_update`` with the invoice row
locked, so ``total >= paid + credited`` holds (the database checks it too:
``invoice_not_overpaid``) and the state is always ``billing.rules.invoice_status``'s.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing import rules
from billing.exceptions import BillingError
from billing.models import CounterKind, Invoice, InvoiceStatus, Payment
from billing.services.numbers import numbers_take

ZERO = Decimal("0.00")
OVERPAID = "Ce montant dépasse ce qui reste à payer sur la facture {number} ({balance} €)."


def invoice_locked(invoice_id: int) -> Invoice:
    """Return the invoice, its row locked until the caller's transaction ends."""
    return (
        Invoice.objects.select_for_update(of=("self",)).select_related("service").get(pk=invoice_id)
    )


def invoice_money_update(
    *, invoice: Invoice, paid: Decimal = ZERO, credited: Decimal = ZERO, now: datetime
) -> Invoice:
    """Add ``paid`` and ``credited`` (either may be negative) to ``invoice`` and set its state.

    Caller holds the invoice's row lock (``invoice_locked``). ``paid_at`` is the instant the
    invoice became settled by payment, cleared if a rejected debit makes it due again.
    """
    new_paid = invoice.amount_paid + paid
    new_credited = invoice.amount_credited + credited
    if new_paid < 0 or new_credited < 0 or new_paid + new_credited > invoice.total:
        raise BillingError(OVERPAID.format(number=invoice.number, balance=invoice.balance))
    status = rules.invoice_status(total=invoice.total, paid=new_paid, credited=new_credited)
    paid_at = (invoice.paid_at or now) if status == InvoiceStatus.PAID else None
    Invoice.objects.filter(pk=invoice.pk).update(
        amount_paid=new_paid, amount_credited=new_credited, status=status, paid_at=paid_at
    )
    invoice.amount_paid, invoice.amount_credited = new_paid, new_credited
    invoice.status, invoice.paid_at = status, paid_at
    return invoice


def payment_record(
    *,
    service,
    foyer_id: int,
    mode: str,
    amount: Decimal,
    now: datetime,
    invoice: Invoice | None = None,
    received_at: datetime | None = None,
    payment_transaction=None,
    user=None,
    reverses: Payment | None = None,
    **details,
) -> Payment:
    """Write a payment with the next receipt number of its service and year; settle
    ``invoice`` with it (caller holds its row lock). ``details``: cheque number, bank,
    reference, note."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A payment is recorded inside the transaction that settles it.")
    received_at = received_at or now
    (number,) = numbers_take(
        service=service,
        year=timezone.localtime(received_at).year,
        count=1,
        kind=CounterKind.RECEIPT,
    )
    payment = Payment.objects.create(
        receipt_number=number,
        service=service,
        foyer_id=foyer_id,
        invoice=invoice,
        transaction=payment_transaction,
        mode=mode,
        amount=amount,
        received_at=received_at,
        reverses=reverses,
        by_user_id=user.pk if user else None,
        **details,
    )
    if invoice is not None:
        invoice_money_update(invoice=invoice, paid=amount, now=now)
    return payment
