"""Celery tasks of billing: thin, take ids, safe to run twice (tenant-aware by the app)."""

from __future__ import annotations

from billing.documents import BATCH, invoices_render
from billing.models import Invoice, InvoiceRun
from billing.services.notify import invoices_notify
from billing.services.runs import invoice_run_execute
from portal.celery import app


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
