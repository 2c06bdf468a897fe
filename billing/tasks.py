"""Celery tasks of billing: thin, take ids, safe to run twice (tenant-aware by the app)."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from billing.documents import BATCH, invoices_render
from billing.models import Invoice, InvoiceRun
from billing.services.notify import invoices_notify
from billing.services.runs import invoice_run_execute
from portal.celery import app
from tenants.models import Collectivite


@app.task
def invoice_run_task(*, run_id: int) -> int:
    """Bill a run, then hand its PDFs to the workers by batch; return the invoices issued."""
    run = invoice_run_execute(run=InvoiceRun.objects.select_related("service").get(pk=run_id))
    ids = list(Invoice.objects.filter(run=run, pdf="").order_by("pk").values_list("pk", flat=True))
    for first in range(0, len(ids), BATCH):
        invoices_render_task.delay(invoice_ids=ids[first : first + BATCH])
    return run.invoices_created


@app.task
def invoices_render_task(*, invoice_ids: list[int]) -> int:
    """Render the PDFs of some invoices, then e-mail each family its link once."""
    rendered = invoices_render(invoice_ids=invoice_ids)
    invoices_notify(invoice_ids=invoice_ids)
    return rendered


def _each_collectivite(work) -> int:
    done = 0
    for collectivite in Collectivite.objects.collectivites():
        with tenant_context(collectivite):
            done += work()
    return done


@app.task
def orders_expire_task() -> int:
    """Close, in every collectivité, the prépaiement orders whose hold ran out unpaid."""
    from billing.services.orders import orders_expire

    return _each_collectivite(orders_expire)


@app.task
def payments_poll_task() -> int:
    """Ask PayFiP and Stripe about payments still pending everywhere; return how many."""
    from billing.services.reconcile import payments_poll

    return _each_collectivite(lambda: sum(payments_poll().values()))


@app.task
def reminders_send_task() -> int:
    """Send the day's reminders of unpaid invoices in every collectivité."""
    from billing.services.reminders import reminders_send

    return _each_collectivite(reminders_send)
