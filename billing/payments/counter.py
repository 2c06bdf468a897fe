"""Payments at the régie's counter: espèces, chèque (number and bank), CESU, virement.

Recorded by the régisseur (``billing.collect``, or an explicit exception); each gets its
receipt number and the family its receipt by e-mail. Never more than what is due: a
partial payment leaves the rest due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from billing.exceptions import BillingError
from billing.models import COUNTER_MODES, Invoice, Payment, PaymentMode
from billing.services import mails
from billing.services.duties import may
from billing.services.settle import invoice_locked, payment_record

COLLECT = "billing.collect"
NOT_ALLOWED = "Seul le régisseur enregistre les paiements (séparation des tâches de la régie)."
NOT_A_COUNTER_MODE = "Choisissez espèces, chèque, CESU ou virement."
AMOUNT_POSITIVE = "Le montant doit être supérieur à zéro."
AMOUNT_CENTS = "Le montant s'exprime en euros et centimes (par exemple 12,50)."
MORE_THAN_DUE = "Le montant dépasse ce qui reste à payer ({balance} €)."
NOTHING_DUE = "Cette facture est déjà réglée : il n'y a plus rien à encaisser."
CHEQUE_DETAILS = "Pour un chèque, indiquez son numéro et la banque."
CESU_REFERENCE = "Pour des CESU, indiquez les numéros des titres."
NOT_A_DEBT = "Un ticket de prépaiement se règle en ligne, pas au guichet."


@dataclass(frozen=True)
class CounterEntry:
    mode: str
    amount: Decimal
    cheque_number: str = ""
    bank: str = ""
    reference: str = ""


def counter_entry_problems(entry: CounterEntry, *, balance: Decimal) -> list[str]:
    """Return why ``entry`` cannot be recorded against ``balance`` (empty: it can)."""
    problems = []
    if entry.mode not in COUNTER_MODES:
        problems.append(NOT_A_COUNTER_MODE)
    try:
        if entry.amount != entry.amount.quantize(Decimal("0.01")):
            problems.append(AMOUNT_CENTS)
    except InvalidOperation:
        problems.append(AMOUNT_CENTS)
    if entry.amount <= 0:
        problems.append(AMOUNT_POSITIVE)
    elif balance <= 0:
        problems.append(NOTHING_DUE)
    elif entry.amount > balance:
        problems.append(MORE_THAN_DUE.format(balance=balance))
    if entry.mode == PaymentMode.CHEQUE and not (
        entry.cheque_number.strip() and entry.bank.strip()
    ):
        problems.append(CHEQUE_DETAILS)
    if entry.mode == PaymentMode.CESU and not entry.reference.strip():
        problems.append(CESU_REFERENCE)
    return problems


def counter_payment_record(
    *, invoice: Invoice, entry: CounterEntry, user, received_at: datetime | None = None
) -> Payment:
    """Record ``entry`` at the counter for ``invoice``; raise BillingError (nothing written)
    with every problem."""
    if not may(user, COLLECT):
        raise BillingError(NOT_ALLOWED)
    now = timezone.now()
    with transaction.atomic():
        invoice = invoice_locked(invoice.pk)
        if invoice.kind != "invoice":
            raise BillingError(NOT_A_DEBT)
        problems = counter_entry_problems(entry, balance=invoice.balance)
        if problems:
            raise BillingError(" ".join(problems))
        payment = payment_record(
            service=invoice.service,
            foyer_id=invoice.foyer_id,
            mode=entry.mode,
            amount=entry.amount,
            invoice=invoice,
            received_at=received_at or now,
            user=user,
            now=now,
            cheque_number=entry.cheque_number.strip(),
            bank=entry.bank.strip(),
            reference=entry.reference.strip(),
        )
        mails.payment_receipt(
            invoice=invoice, payments=[payment], key=f"receipt:payment:{payment.pk}"
        )
    return payment
