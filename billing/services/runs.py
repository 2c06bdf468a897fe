"""« Générer les factures »: a run asked by staff, billed in the background."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from billing.exceptions import BillingError
from billing.models import InvoiceRun, RunStatus
from reservations.models import BillingMode, Service

PERIOD_NOT_OVER = "La période n'est pas terminée : on facture ce qui a été servi, jusqu'à hier."
PERIOD_UPSIDE_DOWN = "La fin de la période précède son début."
NOT_POSTFACTURATION = (
    "Ce service est en prépaiement : ses familles paient à la réservation, il n'y a pas de "
    "facture à générer."
)
ALREADY_RUNNING = "Une génération est déjà en cours pour ce service et cette période."


def invoice_run_start(*, service: Service, start: date, end: date, user) -> InvoiceRun:
    """Record a run for ``service`` over ``start`` … ``end`` and queue it after commit."""
    from billing.tasks import invoice_run_task

    if end < start:
        raise BillingError(PERIOD_UPSIDE_DOWN)
    if end >= timezone.localdate():
        raise BillingError(PERIOD_NOT_OVER)
    if service.billing_mode != BillingMode.POSTFACTURATION:
        raise BillingError(NOT_POSTFACTURATION)
    with transaction.atomic():
        Service.objects.select_for_update().get(pk=service.pk)
        running = InvoiceRun.objects.filter(
            service=service,
            period_start=start,
            period_end=end,
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
        )
        if running.exists():
            raise BillingError(ALREADY_RUNNING)
        run = InvoiceRun.objects.create(
            service=service, period_start=start, period_end=end, created_by=user
        )
        transaction.on_commit(lambda: invoice_run_task.delay(run_id=run.pk))
    return run
