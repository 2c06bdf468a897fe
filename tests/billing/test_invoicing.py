"""A month billed by hand: two children, presences without booking, absences, garderie hours.

The expected amounts are worked out here from seed 000's table, not by the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import Invoice, InvoiceRun, RunStatus, Tariff
from billing.services.invoicing import invoice_preview
from billing.services.runs import invoice_run_execute
from tests.billing.conftest import ISSUED, NOV, D, book, nov, seed_000_tariffs
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

# Worked out by hand from seed 000:
# Léa, cantine: 9, 12, 13, 16, 19, 20 at 3,60 = 21,60; the 10th absent unjustified 5,40; the
# 17th justified (cancelled) 0; the 23rd present without booking 5,40 → 32,40.
# Léa, garderie soir T2 (2 h at 0,65 for QF 600): 12th and 19th, 1,30 each → 2,60.
# Tom, cantine 9th and 13th → 7,20; garderie T1 (1 h at 0,65) 9th, 10th, 12th → 1,95, and the
# 13th present without booking (no « non prévu » price: the normal one) → 0,65.
BERNARD_TOTAL = D("32.40") + D("2.60") + D("7.20") + D("1.95") + D("0.65")
# Zoé, no QF: the highest bracket, 0,80 × 2 h.
AUBERT_TOTAL = D("1.60")


def test_preview_writes_nothing(month, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        preview = invoice_preview(service=month["service"], start=NOV[0], end=NOV[1])
        totals = {bill.foyer_name: bill.total for bill in preview.bills}
        assert totals == {"AUBERT": AUBERT_TOTAL, "BERNARD": BERNARD_TOTAL}
        assert preview.total == D("46.40") and preview.lines == 17
        assert not Invoice.objects.exists()


def test_the_month_by_hand(month, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        run = InvoiceRun.objects.create(
            service=month["service"], period_start=NOV[0], period_end=NOV[1]
        )
        run = invoice_run_execute(run=run, today=ISSUED)
        assert (run.status, run.invoices_created, run.foyers_done, run.total) == (
            RunStatus.DONE,
            2,
            2,
            D("46.40"),
        )
        bernard = Invoice.objects.get(foyer=month["bernard"])
        assert bernard.total == BERNARD_TOTAL == D("44.80")
        assert bernard.payer_name == "M. BERNARD Paul"
        assert (bernard.issued_on, bernard.due_on) == (ISSUED, dt.date(2026, 12, 31))
        lines = [
            (line.child_name, line.day.day, line.label, line.quantity, line.amount)
            for line in bernard.lines.order_by("child_name", "day", "label")
        ]
        assert lines == [
            ("Léa BERNARD", 9, "CANTINE", 1, D("3.60")),
            ("Léa BERNARD", 10, "CANTINE (absence non justifiée)", 1, D("5.40")),
            ("Léa BERNARD", 12, "CANTINE", 1, D("3.60")),
            ("Léa BERNARD", 12, "GARDERIE SOIR T2", 2, D("1.30")),
            ("Léa BERNARD", 13, "CANTINE", 1, D("3.60")),
            ("Léa BERNARD", 16, "CANTINE", 1, D("3.60")),
            ("Léa BERNARD", 19, "CANTINE", 1, D("3.60")),
            ("Léa BERNARD", 19, "GARDERIE SOIR T2", 2, D("1.30")),
            ("Léa BERNARD", 20, "CANTINE", 1, D("3.60")),
            ("Léa BERNARD", 23, "CANTINE (non prévu)", 1, D("5.40")),
            ("Tom BERNARD", 9, "CANTINE", 1, D("3.60")),
            ("Tom BERNARD", 9, "GARDERIE SOIR T1", 1, D("0.65")),
            ("Tom BERNARD", 10, "GARDERIE SOIR T1", 1, D("0.65")),
            ("Tom BERNARD", 12, "GARDERIE SOIR T1", 1, D("0.65")),
            ("Tom BERNARD", 13, "CANTINE", 1, D("3.60")),
            ("Tom BERNARD", 13, "GARDERIE SOIR T1 (non prévu)", 1, D("0.65")),
        ]
        numbers = list(Invoice.objects.order_by("number").values_list("foyer_name", "number"))
        assert numbers == [("AUBERT", "2026-GRO-000001"), ("BERNARD", "2026-GRO-000002")]


def test_a_second_run_bills_nothing_twice_and_says_so(month, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        service = month["service"]
        first = InvoiceRun.objects.create(service=service, period_start=NOV[0], period_end=NOV[1])
        invoice_run_execute(run=first, today=ISSUED)
        again = InvoiceRun.objects.create(service=service, period_start=NOV[0], period_end=NOV[1])
        again = invoice_run_execute(run=again, today=ISSUED)
        assert (again.invoices_created, again.foyers_already_billed, again.total) == (0, 2, 0)
        assert Invoice.objects.count() == 2
        # A wider period over the same days bills only what no invoice holds: December 1st.
        wider = InvoiceRun.objects.create(
            service=service, period_start=NOV[0], period_end=dt.date(2026, 12, 31)
        )
        invoice_run_execute(run=wider, today=ISSUED)
        december = Invoice.objects.get(run=wider)
        assert [(line.day, line.amount) for line in december.lines.all()] == [
            (dt.date(2026, 12, 1), D("3.60"))
        ]


def test_the_price_billed_is_the_tariff_of_the_day_served(site, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        seed_000_tariffs(site, cantine_until=nov(15))
        Tariff.objects.create(prestation=site["cantine"], valid_from=nov(16), price=D("3.80"))
        child = ChildFactory()
        book(child, site["cantine"], 13, 16)
        preview = invoice_preview(service=site["service"], start=NOV[0], end=NOV[1])
        assert [line.amount for line in preview.bills[0].lines] == [D("3.60"), D("3.80")]


def test_the_pdf_shows_the_number_the_lines_and_the_total(
    month, tenant_a, in_tenant, settings, tmp_path
):
    from io import BytesIO

    from pypdf import PdfReader

    from billing.documents import invoices_render

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    with in_tenant(tenant_a):
        tenant_a.payfip_identifier = "041120"
        run = InvoiceRun.objects.create(
            service=month["service"], period_start=NOV[0], period_end=NOV[1]
        )
        invoice_run_execute(run=run, today=ISSUED)
        ids = list(Invoice.objects.values_list("pk", flat=True))
        assert invoices_render(invoice_ids=ids) == 2
        assert invoices_render(invoice_ids=ids) == 0  # done once
        bernard = Invoice.objects.get(foyer=month["bernard"])
        with bernard.pdf.open("rb") as stored:
            reader = PdfReader(BytesIO(stored.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    text = " ".join(text.split())
    for expected in (
        "Facture n° 2026-GRO-000002",
        "M. BERNARD Paul",
        "COMMUNE D'ALPHA",
        "Période du 01/11/2026 au 30/11/2026",
        "Léa BERNARD",
        "10/11/2026 CANTINE (absence non justifiée) 1 5,40 € 5,40 €",
        "12/11/2026 GARDERIE SOIR T2 2 0,65 € 1,30 €",
        "Sous-total Tom BERNARD : 9,80 €",
        "Total à payer : 44,80 €",
        "À régler avant le 31/12/2026",
    ):
        assert expected in text, expected
    assert "Zoé" not in text  # another foyer's invoice is another file
