"""Continuous numbers per service, year and kind (invoices, credit notes, receipts).

The counter row is taken by ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: one statement that
creates the row or increments it, and keeps it locked until the caller's transaction ends.
A run that fails rolls its numbers back with its invoices, so there is never a gap; two
runs at once wait on the row, so there is never a duplicate.
"""

from __future__ import annotations

from django.db import connection, transaction

from billing.models import BillingProfile, CounterKind
from reservations.models import Service

TAKE_SQL = """
    INSERT INTO billing_numbercounter (service_id, year, kind, last)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (service_id, year, kind)
    DO UPDATE SET last = billing_numbercounter.last + EXCLUDED.last
    RETURNING last
"""
DEFAULT_CODE_LENGTH = 3


def default_code(service: Service) -> str:
    """« CAN » for « CANTINE … », from the service's name: letters only, upper case."""
    letters = "".join(ch for ch in service.name.upper() if "A" <= ch <= "Z")
    return (letters[:DEFAULT_CODE_LENGTH] or "FAC").ljust(DEFAULT_CODE_LENGTH, "X")


def billing_profile(service: Service) -> BillingProfile:
    """Return the service's billing profile, created with default settings on first use."""
    profile, _ = BillingProfile.objects.get_or_create(
        service=service, defaults={"code": default_code(service)}
    )
    return profile


def numbers_take(
    *, service: Service, year: int, count: int, kind: str = CounterKind.INVOICE
) -> list[str]:
    """Return the next ``count`` numbers of ``kind`` for ``service`` and ``year``, formatted.

    One statement whatever ``count``. Caller must be in the transaction that writes the
    numbered documents: the counter row stays locked until it commits or rolls back.
    """
    if count < 1:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Numbers must be taken inside the transaction that uses them.")
    profile = billing_profile(service)
    with connection.cursor() as cursor:
        cursor.execute(TAKE_SQL, [service.pk, year, str(kind), count])
        (last,) = cursor.fetchone()
    pattern = {
        CounterKind.CREDIT: profile.credit_pattern,
        CounterKind.RECEIPT: profile.receipt_pattern,
    }.get(kind, profile.invoice_pattern)
    return [
        pattern.format(year=year, code=profile.code, number=number)
        for number in range(last - count + 1, last + 1)
    ]


def number_next(*, service: Service, year: int, kind: str = CounterKind.INVOICE) -> str:
    """Return the next number of ``kind`` (see ``numbers_take``)."""
    return numbers_take(service=service, year=year, count=1, kind=kind)[0]
