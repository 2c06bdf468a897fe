"""Asking the providers about payments still pending: a notification may be lost (a
PayFiP « go and ask » that never came, a Stripe webhook down), so a periodic task and the
régisseur's « rapprochement » ask for the authoritative status, through the same
``notification_apply`` as a notification."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from billing.models import PaymentTransaction, TransactionStatus
from billing.payments.base import Notification, Outcome
from billing.services.transactions import notification_apply


def payments_poll(*, now: datetime | None = None, ids=None) -> dict[str, int]:
    """Ask the providers about pending transactions (a notification may never come);
    return how many ended in each outcome. ``ids`` limits it to some transactions."""
    now = now or timezone.now()
    pending = PaymentTransaction.objects.filter(status=TransactionStatus.PENDING).exclude(
        provider_id=""
    )
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    else:
        pending = pending.filter(
            provider__in=["payfip", "stripe"],
            created_at__lte=now - timedelta(minutes=2),
            created_at__gte=now - timedelta(days=2),
        )
    counts: dict[str, int] = {}
    for provider_name, provider_id in pending.values_list("provider", "provider_id"):
        outcome = notification_apply(
            provider_name=provider_name,
            notification=Notification(provider_id=provider_id, outcome=Outcome.ASK),
        )
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
