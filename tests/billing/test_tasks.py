"""« Générer les factures » end to end through Celery (eager here): run, PDFs, one e-mail each."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from billing.exceptions import BillingError
from billing.models import Invoice, RunStatus
from billing.services import runs
from billing.services.runs import invoice_run_start
from tests.billing.conftest import NOV

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def test_a_run_bills_renders_and_emails_each_family_once(
    month, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), time_machine.travel(dt.datetime(2026, 12, 1, 9), tick=False):
        month["bernard"].email = "bernard@exemple.test"
        month["bernard"].save()
        with django_capture_on_commit_callbacks(execute=True):
            run = invoice_run_start(service=month["service"], start=NOV[0], end=NOV[1], user=None)
        run.refresh_from_db()
        assert (run.status, run.invoices_created, run.percent) == (RunStatus.DONE, 2, 100)
        assert all(Invoice.objects.values_list("pdf", flat=True))
        bernard = Invoice.objects.get(foyer=month["bernard"])
        assert bernard.emailed_at is not None
    sent = [m for m in mail.outbox if m.to == ["bernard@exemple.test"]]
    assert len(sent) == 1
    assert sent[0].subject == "Votre facture n° 2026-GRO-000002"
    assert f"/factures/{bernard.pk}/" in sent[0].body and not sent[0].attachments
    assert "44,80 €" in sent[0].body


def test_runs_that_cannot_start(month, tenant_a, in_tenant):
    with in_tenant(tenant_a), time_machine.travel(dt.datetime(2026, 11, 20, 9), tick=False):
        for start, end, message in (
            (NOV[0], NOV[1], runs.PERIOD_NOT_OVER),
            (NOV[1], NOV[0], runs.PERIOD_UPSIDE_DOWN),
        ):
            with pytest.raises(BillingError) as error:
                invoice_run_start(service=month["service"], start=start, end=end, user=None)
            assert error.value.message == message
        month["service"].billing_mode = "prepaiement"
        with pytest.raises(BillingError) as error:
            invoice_run_start(
                service=month["service"], start=NOV[0], end=dt.date(2026, 11, 15), user=None
            )
        assert error.value.message == runs.NOT_POSTFACTURATION
