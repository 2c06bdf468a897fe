"""Stripe Checkout: the payer pays on Stripe's page; the outcome comes only from Stripe's
signed webhook (``stripe.Webhook.construct_event``), never from the browser's return.

Events used: ``checkout.session.completed`` (paid, or still processing for a delayed
method), ``checkout.session.async_payment_succeeded`` / ``…_failed``,
``checkout.session.expired`` (abandoned). The session's ``metadata`` carries the
collectivité's schema, so one webhook endpoint on the root domain serves every collectivité.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import connection
from django.utils import timezone

from billing.models import Provider
from billing.payments.base import (
    Checkout,
    InvalidNotification,
    Notification,
    Outcome,
    PaymentRequest,
    ProviderUnavailable,
)

HEADER = "Stripe-Signature"
# Stripe keeps a Checkout Session open 30 minutes at least.
SESSION_LIFETIME = timedelta(minutes=30)
EVENTS = {
    "checkout.session.async_payment_succeeded": Outcome.PAID,
    "checkout.session.async_payment_failed": Outcome.FAILED,
    "checkout.session.expired": Outcome.CANCELLED,
}


def _session_outcome(session) -> Outcome:
    if session.get("payment_status") in ("paid", "no_payment_required"):
        return Outcome.PAID
    if session.get("status") == "expired":
        return Outcome.CANCELLED
    return Outcome.PENDING


def event_schema(body: bytes, headers: Mapping[str, str]) -> str:
    """Return the collectivité schema a verified event is for ("" when it names none)."""
    event = StripeCheckout().event(body=body, headers=headers)
    session = event["data"]["object"].to_dict()
    return (session.get("metadata") or {}).get("schema", "")


class StripeCheckout:
    name = Provider.STRIPE

    def create(self, request: PaymentRequest) -> Checkout:
        try:
            session = stripe.checkout.Session.create(
                api_key=settings.STRIPE_SECRET_KEY,
                mode="payment",
                line_items=[
                    {
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": request.amount_cents,
                            "product_data": {"name": request.label[:250]},
                        },
                        "quantity": 1,
                    }
                ],
                customer_email=request.email or None,
                client_reference_id=request.reference,
                metadata={"schema": connection.schema_name, "reference": request.reference},
                success_url=request.return_url,
                cancel_url=request.return_url,
                expires_at=int((timezone.now() + SESSION_LIFETIME).timestamp()),
                idempotency_key=f"{connection.schema_name}-{request.reference}",
            )
        except stripe.StripeError as error:
            raise ProviderUnavailable(str(error)) from error
        return Checkout(provider_id=session["id"], redirect_url=session["url"])

    def event(self, *, body: bytes, headers: Mapping[str, str]):
        try:
            return stripe.Webhook.construct_event(
                body, headers.get(HEADER, ""), settings.STRIPE_WEBHOOK_SECRET
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidNotification(str(error)) from error

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        event = self.event(body=body, headers=headers)
        session = event["data"]["object"].to_dict()
        if event["type"] == "checkout.session.completed":
            outcome = _session_outcome(session)
        elif event["type"] in EVENTS:
            outcome = EVENTS[event["type"]]
        else:
            raise InvalidNotification(f"unexpected event {event['type']}")
        return Notification(
            provider_id=session["id"],
            outcome=outcome,
            amount_cents=session.get("amount_total"),
            message=f"Stripe {event['type']} ({event['id']})",
        )

    def status(self, *, provider_id: str, expected: Mapping[str, str]) -> Notification:
        try:
            session = stripe.checkout.Session.retrieve(
                provider_id, api_key=settings.STRIPE_SECRET_KEY
            ).to_dict()
        except stripe.StripeError as error:
            raise ProviderUnavailable(str(error)) from error
        return Notification(
            provider_id=provider_id,
            outcome=_session_outcome(session),
            amount_cents=session.get("amount_total"),
            message="Stripe : état de la session",
        )
