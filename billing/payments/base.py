"""What every online payment provider does, and what it answers.

A provider creates a payment for an amount and a reference (the payer is sent to
``Checkout.redirect_url``), reads a notification it sent (verifying it: a forged one raises
``InvalidNotification``), and asks its service for the authoritative status of a payment.
Amounts cross this edge in integer cents, as providers count them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PENDING = "pending"
    ASK = "ask"  # the notification says only « something happened »: ask the service


class InvalidNotification(Exception):
    """A notification that cannot be trusted (bad signature, stale, malformed)."""


class ProviderUnavailable(Exception):
    """The provider's service did not answer or refused the request."""


@dataclass(frozen=True)
class PaymentRequest:
    reference: str  # our transaction's reference, letters and digits
    amount_cents: int
    label: str
    email: str
    return_url: str
    notify_url: str
    debt_reference: str  # the invoice number or the order reference (PayFiP's refdet)
    year: int


@dataclass(frozen=True)
class Checkout:
    provider_id: str
    redirect_url: str


@dataclass(frozen=True)
class Notification:
    """What a provider says of one payment."""

    provider_id: str
    outcome: Outcome
    amount_cents: int | None = None
    message: str = ""
    # Fields the provider echoes back that must match what was asked (PayFiP: numcli, refdet).
    echoed: Mapping[str, str] = field(default_factory=dict)


def cents(amount: Decimal) -> int:
    """Return ``amount`` (euros, to the cent) as integer cents."""
    return int((amount * 100).to_integral_value())


class PaymentProvider(Protocol):
    name: str

    def create(self, request: PaymentRequest) -> Checkout: ...

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> Notification: ...

    def status(self, *, provider_id: str, expected: Mapping[str, str]) -> Notification: ...
