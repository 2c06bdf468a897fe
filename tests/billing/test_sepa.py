"""Direct debit: mandates with IBAN/BIC checked, a pain.008 valid against the official XSD,
rejections recorded back, and families on direct debit seeing their history only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.urls import reverse

from billing.exceptions import BillingError
from billing.models import Invoice, Payment, PaymentSettings
from billing.payments import sepa
from billing.payments.sepa import debit_reject, debit_run_create, mandate_create
from tests.billing.conftest import D, issue_invoice, staff

pytestmark = pytest.mark.django_db
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def debit(regie, tenant_a, in_tenant):
    regisseur = staff(tenant_a, "regisseur", "regisseur@alpha.test")
    with in_tenant(tenant_a):
        PaymentSettings.objects.update(
            sepa_creditor_id="FR12ZZZ123456",
            sepa_creditor_name="REGIE D'ALPHA",
            sepa_iban="FR7630001007941234567890185",
            sepa_bic="BDFEFRPPCCT",
        )
        invoices = [
            issue_invoice(
                service=regie["service"], foyer=regie["foyer"], total=D(t), number=f"2025-GS-1{n}"
            )
            for n, t in enumerate(("44.80", "12.30"))
        ]
    return {**regie, "regisseur": regisseur, "invoices": invoices}


@pytest.mark.parametrize(
    ("iban", "bic", "message"),
    [
        ("FR76 3000 6000 0112 3456 7890 188", "AGRIFRPP", sepa.BAD_IBAN),
        ("FR00 1234", "AGRIFRPP", sepa.BAD_IBAN),
        (IBAN, "XYZ", sepa.BAD_BIC),
    ],
)
def test_a_bad_bank_account_is_refused(debit, tenant_a, in_tenant, iban, bic, message):
    with in_tenant(tenant_a):
        with pytest.raises(BillingError) as error:
            mandate_create(
                foyer=debit["foyer"],
                holder="M. X Paul",
                iban=iban,
                bic=bic,
                signed_on=dt.date(2025, 9, 1),
                user=debit["regisseur"],
            )
        assert error.value.message == message


def test_a_debit_run_writes_a_valid_pain008_and_a_rejection_makes_the_invoice_due_again(
    debit, tenant_a, in_tenant, client_a
):
    with in_tenant(tenant_a):
        mandate = mandate_create(
            foyer=debit["foyer"],
            holder="M. X Paul",
            iban=IBAN,
            bic="AGRIFRPP",
            signed_on=dt.date(2025, 9, 1),
            user=debit["regisseur"],
        )
        assert mandate.iban == "FR7630006000011234567890189"
        assert mandate.rum.startswith("EF-ALPHA-")
        run = debit_run_create(collection_date=dt.date(2026, 1, 20), user=debit["regisseur"])
        assert (run.count, run.total) == (2, D("57.10"))
        xmlschema.XMLSchema(str(XSD)).validate(run.xml)
        assert "<SeqTp>FRST</SeqTp>" in run.xml and mandate.rum in run.xml
        assert "<ReqdColltnDt>2026-01-20</ReqdColltnDt>" in run.xml
        first, second = (Invoice.objects.get(pk=i.pk) for i in debit["invoices"])
        assert first.status == second.status == "paid"
        item = run.items.get(invoice=first)
        reversal = debit_reject(item=item, code="AM04", user=debit["regisseur"])
        assert reversal.amount == D("-44.80") and reversal.reverses_id == item.payment_id
        first.refresh_from_db()
        assert (first.status, first.balance, first.paid_at) == ("due", D("44.80"), None)
        with pytest.raises(BillingError) as error:
            debit_reject(item=item, code="AM04", user=debit["regisseur"])
        assert error.value.message == sepa.ALREADY_REJECTED
        assert Payment.objects.filter(mode="debit").count() == 3
    # The family on direct debit sees its history, no « Payer ».
    client_a.force_login(debit["user"])
    page = client_a.get(reverse("billing:index")).content.decode()
    assert "prélèvement automatique" in page
    assert reverse("billing:pay_invoice", args=[first.pk]) not in page
    refused = client_a.post(reverse("billing:pay_invoice", args=[first.pk]), follow=True)
    assert "prélevées sur votre compte" in refused.content.decode()


def test_the_pain008_download_and_the_agents_limits(debit, tenant_a, in_tenant, client_a):
    with in_tenant(tenant_a):
        mandate_create(
            foyer=debit["foyer"],
            holder="M. X Paul",
            iban=IBAN,
            bic="AGRIFRPP",
            signed_on=dt.date(2025, 9, 1),
            user=debit["regisseur"],
        )
        agent = staff(tenant_a, "agent", "agent@alpha.test")
        with pytest.raises(BillingError):
            debit_run_create(collection_date=dt.date(2026, 1, 20), user=agent)
        run = debit_run_create(collection_date=dt.date(2026, 1, 20), user=debit["regisseur"])
    client_a.force_login(debit["regisseur"])
    response = client_a.get(reverse("admin:billing_debitrun_xml", args=[run.pk]))
    assert response["Content-Type"] == "application/xml"
    assert b"CstmrDrctDbtInitn" in response.content
    client_a.force_login(agent)
    assert client_a.get(reverse("admin:billing_debitrun_add")).status_code == 403
