"""Stripe's webhook signature scheme, shared by the demonstration provider and the tests.

``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``; a signature
older than ``TOLERANCE`` seconds is refused (replays). Verification is stripe's own
(``stripe.WebhookSignature.verify_header``); signing is the same HMAC, computed here because
stripe only ever verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import stripe

from billing.payments.base import InvalidNotification

TOLERANCE = 300


def signature_header(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """Return the signature header of ``payload`` as Stripe would send it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(payload: bytes, header: str, secret: str) -> None:
    """Raise InvalidNotification unless ``header`` signs ``payload`` recently with ``secret``."""
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), header or "", secret, tolerance=TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise InvalidNotification(str(error)) from error
