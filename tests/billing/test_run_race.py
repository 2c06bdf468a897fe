"""Three runs of the same month at once, on real connections: each foyer billed once, numbers
continuous."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context

from billing.models import (
    BillingProfile,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    NumberCounter,
    RunStatus,
    Tariff,
)
from billing.services import invoicing, runs
from families.models import Child, Foyer
from reservations.models import Booking
from tenants.models import Collectivite
from tests.billing.conftest import make_prestation, make_service, triggers_off

FOYERS = 30
RUNS = 3
DAY = dt.date(2026, 11, 9)


@pytest.fixture
def committed_month(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            service = make_service("COURSE AUX FACTURES")
            cantine = make_prestation(service, "CANTINE COURSE")
            Tariff.objects.create(prestation=cantine, valid_from=DAY, price=Decimal("3.60"))
            foyers = Foyer.objects.bulk_create(Foyer(name=f"COURSE {i:02d}") for i in range(FOYERS))
            children = Child.objects.bulk_create(
                Child(foyer=f, last_name=f.name, first_name="E", birth_date="2017-01-01", sexe="F")
                for f in foyers
            )
            Booking.objects.bulk_create(
                Booking(child=c, prestation=cantine, day=DAY, state="validated") for c in children
            )
        connection.set_schema_to_public()
        yield alpha, service
        with tenant_context(alpha), triggers_off():
            InvoiceLine.objects.filter(invoice__service=service).delete()
            Invoice.objects.filter(service=service).delete()
            InvoiceRun.objects.filter(service=service).delete()
            Booking.objects.filter(prestation=cantine).delete()
            Child.objects.filter(foyer__in=foyers).delete()
            Foyer.objects.filter(pk__in=[f.pk for f in foyers]).delete()
            Tariff.objects.filter(prestation=cantine).delete()
            NumberCounter.objects.filter(service=service).delete()
            BillingProfile.objects.filter(service=service).delete()
            cantine.delete()
            service.delete()
        connection.set_schema_to_public()


def test_concurrent_runs_bill_each_foyer_once(committed_month, monkeypatch):
    alpha, service = committed_month
    monkeypatch.setattr(invoicing, "BATCH_FOYERS", 4)  # many batches, to interleave the runs
    start = threading.Barrier(RUNS)

    def run(_):
        try:
            connection.set_tenant(alpha)
            job = InvoiceRun.objects.create(
                service=service, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 30)
            )
            start.wait(timeout=30)
            return runs.invoice_run_execute(run=job, today=dt.date(2026, 12, 1)).status
        finally:
            connections.close_all()

    with ThreadPoolExecutor(RUNS) as pool:
        statuses = list(pool.map(run, range(RUNS)))
    assert statuses == [RunStatus.DONE] * RUNS
    with tenant_context(alpha):
        invoices = Invoice.objects.filter(service=service)
        assert invoices.values("foyer").distinct().count() == invoices.count() == FOYERS
        numbers = sorted(invoices.values_list("number", flat=True))
        assert numbers == [f"2026-COU-{n:06d}" for n in range(1, FOYERS + 1)]
    connection.set_schema_to_public()
