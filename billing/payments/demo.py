"""« Paiement de démonstration »: a payment page of our own, for `make run` and the demo.

No money moves. The page (billing.views_payments.demo_page) shows the amount and three
buttons; each answer is posted as a notification signed like Stripe's, to the same handler
as the real providers' webhooks (billing.services.transactions.notification_receive), so
the demo goes through the very states and checks a card payment does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.urls import reverse

from billing.models import Provider
from billing.payments.base import (
    Checkout,
    InvalidNotification,
    Notification,
    Outcome,
    PaymentRequest,
)
from billing.payments.signing import signature_header, signature_verify

HEADER = "Demo-Signature"
ANSWERS = {"payer": Outcome.PAID, "refuser": Outcome.FAILED, "abandonner": Outcome.CANCELLED}


def demo_secret() -> str:
    """The key demo notifications are signed with, derived from SECRET_KEY."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"espace-famille demo payments", hashlib.sha256
    ).hexdigest()


def demo_notification(*, provider_id: str, answer: str, amount_cents: int) -> tuple[bytes, str]:
    """Return the signed notification of ``answer`` (payer, refuser, abandonner)."""
    payload = json.dumps(
        {"transaction": provider_id, "outcome": str(ANSWERS[answer]), "amount": amount_cents},
        sort_keys=True,
    ).encode()
    return payload, signature_header(payload, demo_secret())


class DemoProvider:
    name = Provider.DEMO

    def create(self, request: PaymentRequest) -> Checkout:
        token = secrets.token_urlsafe(18)
        return Checkout(
            provider_id=f"demo_{token}",
            redirect_url=reverse("billing:demo_page", args=[f"demo_{token}"]),
        )

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        signature_verify(body, headers.get(HEADER, ""), demo_secret())
        try:
            data = json.loads(body)
            return Notification(
                provider_id=str(data["transaction"]),
                outcome=Outcome(data["outcome"]),
                amount_cents=int(data["amount"]),
                message="Paiement de démonstration",
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidNotification("malformed demo notification") from error

    def status(self, *, provider_id: str, expected: Mapping[str, str]) -> Notification:
        # Nothing to ask: the demo page is the only place its payments end.
        return Notification(provider_id=provider_id, outcome=Outcome.PENDING)
