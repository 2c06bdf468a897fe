"""The foyer's account: avoirs on paid invoices and payments with nothing left to pay, used
first by its next payment.

A balance is the sum of the foyer's entries. Reserving (an online payment starting) takes
the foyer row's lock before reading it, so two payments started at once never spend the
same avoir twice; adding needs no lock (a sum only grows).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Sum

from billing.models import AccountEntry, EntryKind, PaymentTransaction
from families.models import Foyer

ZERO = Decimal("0.00")


def account_balance(*, foyer_id: int) -> Decimal:
    """Return what the foyer's account holds (one query)."""
    total = AccountEntry.objects.filter(foyer_id=foyer_id).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def account_lock(*, foyer_id: int) -> Decimal:
    """Lock the foyer's row and return its balance. Caller is in a transaction."""
    Foyer.objects.select_for_update().filter(pk=foyer_id).values_list("pk", flat=True).get()
    return account_balance(foyer_id=foyer_id)


def account_credit(
    *, foyer_id: int, amount: Decimal, kind: str, label: str, now: datetime, **links
) -> AccountEntry:
    """Put ``amount`` on the foyer's account (an avoir, a payment with nothing to pay)."""
    return AccountEntry.objects.create(
        foyer_id=foyer_id, kind=kind, amount=amount, label=label[:255], at=now, **links
    )


def account_reserve(*, txn: PaymentTransaction, now: datetime) -> None:
    """Take the transaction's ``credit_used`` from the account while it is paid.

    Caller holds the foyer's lock (``account_lock``) and checked the balance.
    """
    if txn.credit_used > 0:
        AccountEntry.objects.create(
            foyer_id=txn.foyer_id,
            kind=EntryKind.RESERVED,
            amount=-txn.credit_used,
            transaction=txn,
            label=f"Avoir utilisé pour le paiement en ligne n° {txn.pk}",
            at=now,
        )


def account_release(*, txn: PaymentTransaction, now: datetime) -> bool:
    """Give back what ``txn`` reserved, once (the database refuses twice); return whether
    anything was given back now."""
    reserved = AccountEntry.objects.filter(transaction=txn, kind=EntryKind.RESERVED).first()
    if (
        reserved is None
        or AccountEntry.objects.filter(transaction=txn, kind=EntryKind.RELEASED).exists()
    ):
        return False
    AccountEntry.objects.create(
        foyer_id=txn.foyer_id,
        kind=EntryKind.RELEASED,
        amount=-reserved.amount,
        transaction=txn,
        label=f"Avoir rendu : paiement en ligne n° {txn.pk} non abouti",
        at=now,
    )
    return True


def account_reserved(*, txn: PaymentTransaction) -> bool:
    """Tell whether ``txn`` still holds its avoir (reserved and not given back)."""
    kinds = set(
        AccountEntry.objects.filter(transaction=txn).values_list("kind", flat=True).distinct()
    )
    return EntryKind.RESERVED in kinds and EntryKind.RELEASED not in kinds
