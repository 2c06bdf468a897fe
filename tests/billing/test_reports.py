"""The état d'encaissement on a month with every payment mode: totals that reconcile
(invoiced = paid + credited + unpaid), in CSV, XLSX and PDF for the comptable; the payments
journal by day and mode; collections and arrears by month."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing.models import InvoiceLine
from billing.reports import chart_context, encaissement_statement, payments_journal
from billing.services.credits import credit_note_issue
from billing.services.settle import invoice_locked, payment_record
from tests.billing.conftest import D, issue_invoice, staff

pytestmark = pytest.mark.django_db

# invoice number, total, [(mode, amount)]
DECEMBER = [
    (
        "2025-CAN-A",
        "44.80",
        [("cash", "10.00"), ("cheque", "20.00"), ("cesu", "5.00"), ("transfer", "9.80")],
    ),
    ("2025-CAN-B", "30.00", [("card", "30.00")]),  # then credited in full: to the account
    ("2025-CAN-C", "20.00", [("payfip", "12.00"), ("credit", "8.00")]),
    ("2025-CAN-D", "15.00", [("debit", "15.00")]),
    ("2025-CAN-E", "50.00", [("demo", "10.00")]),
    ("2025-CAN-F", "12.00", []),
]


@pytest.fixture
def december(regie, tenant_a, in_tenant):
    fille = regie["children"][0]
    with in_tenant(tenant_a):
        now = timezone.now()
        for number, total, payments in DECEMBER:
            invoice = issue_invoice(
                service=regie["service"],
                foyer=regie["foyer"],
                total=D(total),
                number=number,
                issued_on=dt.date(2025, 12, 31),
                due_on=dt.date(2026, 1, 5),
            )
            InvoiceLine.objects.create(
                invoice=invoice,
                child=fille,
                child_name="Fille X",
                prestation=regie["meal"],
                label="REPAS",
                quantity=1,
                unit_price=D(total),
                amount=D(total),
            )
            with transaction.atomic():
                locked = invoice_locked(invoice.pk)
                for mode, amount in payments:
                    payment_record(
                        service=regie["service"],
                        foyer_id=regie["foyer"].pk,
                        mode=mode,
                        amount=D(amount),
                        invoice=locked,
                        now=now,
                    )
        from billing.models import Invoice

        credit_note_issue(
            invoice=Invoice.objects.get(number="2025-CAN-B"), reason="Fermeture", user=None
        )
    return regie


def test_the_statement_reconciles_with_every_mode(december, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        statement = encaissement_statement(
            service=december["service"], start=dt.date(2025, 12, 1), end=dt.date(2025, 12, 31)
        )
    assert len(statement.rows) == 6
    assert statement.invoiced == D("171.80")
    assert (statement.paid, statement.credited, statement.unpaid) == (
        D("89.80"),
        D("30.00"),
        D("52.00"),
    )
    assert statement.invoiced == statement.paid + statement.credited + statement.unpaid
    assert statement.by_mode == {
        "cash": D("10.00"),
        "cheque": D("20.00"),
        "cesu": D("5.00"),
        "transfer": D("9.80"),
        "card": D("30.00"),
        "payfip": D("12.00"),
        "credit": D("8.00"),
        "debit": D("15.00"),
        "demo": D("10.00"),
    }
    # What the modes collected, less what a credit note moved to the foyer's account.
    assert sum(statement.by_mode.values()) - statement.to_account == statement.paid
    for row in statement.rows:
        invoice = row.invoice
        assert invoice.total == invoice.amount_paid + invoice.amount_credited + invoice.balance


def test_the_comptable_exports_it_in_csv_xlsx_and_pdf(december, tenant_a, client_a):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    url = reverse("admin:billing_encaissementstatement_changelist")
    query = f"service={december['service'].pk}&start=2025-12-01&end=2025-12-31"
    agent = staff(tenant_a, "agent", "agent@alpha.test")
    client_a.force_login(agent)
    assert client_a.get(f"{url}?{query}&format=csv").status_code == 403
    client_a.force_login(staff(tenant_a, "comptable", "comptable@alpha.test"))
    page = client_a.get(f"{url}?{query}").content.decode()
    assert "Facturé 171,80 € = réglé 89,80 € + avoirs 30,00 € + reste dû 52,00 €" in page
    response = client_a.get(f"{url}?{query}&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, total = rows[0], rows[-1]
    assert header[0] == "Numéro" and "Réglé : Espèces" in header and "Reste dû" in header
    assert total[0] == "TOTAL" and total[3] == "171,80" and total[-1] == "52,00"
    assert rows[1][0] == "2025-CAN-A"
    book = load_workbook(io.BytesIO(client_a.get(f"{url}?{query}&format=xlsx").content))
    values = list(book.active.values)
    assert values[-1][0] == "TOTAL" and float(values[-1][3]) == 171.8
    pdf = client_a.get(f"{url}?{query}&format=pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "2025-CAN-F" in text and "TOTAL" in text


def test_the_statement_form_opens_on_last_month_and_says_what_is_missing(tenant_a, client_a):
    # The dates were rendered « 01/11/2026 » in a date picker, which reads only 2026-11-01:
    # the comptable saw two empty fields, and « Afficher » then showed nothing, silently.
    import time_machine

    url = reverse("admin:billing_encaissementstatement_changelist")
    with time_machine.travel(dt.datetime(2026, 12, 15, 9, tzinfo=dt.UTC)):
        client_a.force_login(staff(tenant_a, "comptable", "comptable@alpha.test"))
        page = client_a.get(url).content.decode()
        assert 'value="2026-11-01"' in page and 'value="2026-11-30"' in page
        page = client_a.get(f"{url}?start=&end=2026-11-30").content.decode()
    assert "Du : Ce champ est obligatoire." in page and "Facturé" not in page


def test_the_journal_by_day_and_mode_and_the_monthly_chart(december, tenant_a, in_tenant, client_a):
    with in_tenant(tenant_a):
        journal = payments_journal(start=dt.date(2026, 1, 12), end=dt.date(2026, 1, 12))
        by_mode = {row.mode: (row.count, row.total) for row in journal}
        assert by_mode["cash"] == (1, D("10.00")) and len(by_mode) == 9
        context = chart_context(today=dt.date(2026, 1, 12))
        january = context["chart_months"][-1]
        # Money received in January (the avoir is not money), arrears of invoices due then.
        assert (january.collected, january.arrears) == (D("111.80"), D("52.00"))
        html = render_to_string("billing/_collections_chart.html", context)
        assert "<svg" in html and "<caption>Encaissements et impayés par mois</caption>" in html
        assert "111,80 €" in html
    client_a.force_login(staff(tenant_a, "regisseur", "regisseur@alpha.test"))
    page = client_a.get(
        reverse("admin:billing_collectionsreport_changelist"),
        {"start": "2026-01-12", "end": "2026-01-12"},
    ).content.decode()
    assert "Journal des encaissements" in page and "Chèque" in page and "<svg" in page
