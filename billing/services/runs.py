"""« Générer les factures »: a run asked by staff, issued in the background by batches.

Each batch of foyers is one transaction with its block of numbers: a failure keeps what
earlier batches issued, and running again finishes the job (billing.services.invoicing
never drafts what an invoice already holds).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from billing import tariffs
from billing.exceptions import BillingError
from billing.models import BillingProfile, Invoice, InvoiceKind, InvoiceRun, RunStatus
from billing.services.invoicing import Bill, batches, draft_bills, foyers_to_bill, invoiced_for
from billing.services.numbers import billing_profile, numbers_take
from portal.dispatch import task_dispatch_on_commit
from reservations.models import BillingMode, Prestation, Service

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
        task_dispatch_on_commit(invoice_run_task, run_id=run.pk)
    return run


def _issuer(service: Service) -> dict:
    """The collectivité's header as printed on the invoice, copied at issue."""
    from django.db import connection

    tenant = connection.tenant
    return {
        "name": tenant.name,
        "address": tenant.address,
        "phone": tenant.phone,
        "email": tenant.email,
        "contact": tenant.contact_person,
        "payfip": tenant.payfip_identifier,
        "payment_instructions": billing_profile(service).payment_instructions,
    }


def bills_issue(
    *, service: Service, start: date, end: date, bills: Sequence[Bill], run=None, today=None
) -> list[Invoice]:
    """Issue ``bills`` as invoices with continuous numbers. Caller owns the transaction."""
    bills = [bill for bill in bills if bill.lines]
    if not bills:
        return []
    today = today or timezone.localdate()
    profile = billing_profile(service)
    numbers = numbers_take(service=service, year=today.year, count=len(bills))
    issuer = _issuer(service)
    invoices = Invoice.objects.bulk_create(
        Invoice(
            kind=InvoiceKind.INVOICE,
            number=number,
            service=service,
            foyer_id=bill.foyer_id,
            run=run,
            period_start=start,
            period_end=end,
            issued_on=today,
            due_on=today + timedelta(days=profile.due_days),
            total=bill.total,
            payer_name=bill.payer_name,
            payer_address=bill.payer_address,
            foyer_name=bill.foyer_name,
            service_name=service.name,
            issuer=issuer,
        )
        for bill, number in zip(bills, numbers, strict=True)
    )
    rows = (
        (
            invoice.pk,
            line.child_id,
            line.child_name,
            line.prestation_id,
            line.label,
            line.day,
            line.period_start,
            line.period_end,
            line.quantity,
            line.unit_price,
            line.amount,
            line.booking_id,
            line.attendance_id,
        )
        for invoice, bill in zip(invoices, bills, strict=True)
        for line in bill.lines
    )
    _lines_copy(rows)
    return invoices


LINE_COLUMNS = (
    "invoice_id",
    "child_id",
    "child_name",
    "prestation_id",
    "label",
    "day",
    "period_start",
    "period_end",
    "quantity",
    "unit_price",
    "amount",
    "booking_id",
    "attendance_id",
)
COPY_LINES_SQL = f"COPY billing_invoiceline ({', '.join(LINE_COLUMNS)}) FROM STDIN"


def _lines_copy(rows) -> None:
    """Write invoice lines by COPY: a month of 10 000 children is 600 000 lines, which
    ``bulk_create`` builds and sends ten times slower. The table's constraints and triggers
    still apply (COPY fires row triggers and checks every constraint)."""
    with connection.cursor() as cursor, cursor.cursor.copy(COPY_LINES_SQL) as copy:
        for row in rows:
            copy.write_row(row)


RUN_FAILED = (
    "La génération s'est arrêtée : les factures déjà émises sont conservées, relancez-la "
    "pour terminer."
)


def _run_batch(run: InvoiceRun, batch, prestations, tariff_rules, today) -> None:
    with transaction.atomic():
        # Runs of one service take turns per batch (the profile row is their lock), and each
        # batch looks again, under the lock, at what another run may have issued meanwhile.
        BillingProfile.objects.select_for_update().get(service=run.service)
        size = len(batch)
        invoiced = set(
            invoiced_for(run.service, run.period_start, run.period_end)
            .filter(foyer_id__in=list(batch))
            .values_list("foyer_id", flat=True)
        )
        batch = [pk for pk in batch if pk not in invoiced]
        bills = draft_bills(
            service=run.service,
            start=run.period_start,
            end=run.period_end,
            foyer_ids=batch,
            prestations=prestations,
            tariff_rules=tariff_rules,
        )
        invoices = bills_issue(
            service=run.service,
            start=run.period_start,
            end=run.period_end,
            bills=bills,
            run=run,
            today=today,
        )
        # Progress is committed with the batch: the staff member's bar follows it.
        InvoiceRun.objects.filter(pk=run.pk).update(
            foyers_done=F("foyers_done") + size,
            invoices_created=F("invoices_created") + len(invoices),
            total=F("total") + sum((i.total for i in invoices), Decimal("0.00")),
        )


def invoice_run_execute(*, run: InvoiceRun, today: date | None = None) -> InvoiceRun:
    """Bill ``run``'s service and period, batch by batch, counting progress on the run row.

    Safe to call again on a failed run: what was issued stays, the rest is billed.
    """
    service = run.service
    billing_profile(service)  # created before the batches lock it
    foyer_ids, already = foyers_to_bill(service=service, start=run.period_start, end=run.period_end)
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        foyers_total=len(foyer_ids),
        foyers_done=0,
        foyers_already_billed=already,
        error="",
    )
    prestations = {p.pk: p for p in Prestation.objects.filter(service=service)}
    tariff_rules = tariffs.tariffs_by_prestation(prestations.values())
    try:
        for batch in batches(foyer_ids):
            _run_batch(run, batch, prestations, tariff_rules, today)
    except Exception as error:
        InvoiceRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{RUN_FAILED} ({type(error).__name__})",
        )
        raise
    InvoiceRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run
