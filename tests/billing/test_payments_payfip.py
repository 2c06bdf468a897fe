"""PayFiP against its local stand-in: the notification only means « go and ask »; the
result comes from recupererDetailPaiementSecurise — paid (P, V), refused (R, Z), abandoned
(A), pending then paid (polled) — and an unknown idop or another amount records nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import (
    Invoice,
    NoticeOutcome,
    OrderStatus,
    Payment,
    PaymentNotice,
    PaymentSettings,
    TransactionStatus,
)
from billing.payments.payfip import objet_of, refdet_of
from billing.services.reconcile import payments_poll
from billing.services.transactions import payment_start
from tests.billing import payfip_standin
from tests.billing.conftest import D, _urls, validated_cart

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def standin():
    service, stop = payfip_standin.start()
    yield service
    stop()


@pytest.fixture
def payfip(standin, settings, regie, tenant_a, in_tenant):
    settings.PAYFIP_SERVICE_URL = standin.url
    settings.PAYFIP_PAYMENT_URL = "https://www.payfip.gouv.fr/tpa/paiementws.web"
    with in_tenant(tenant_a):
        PaymentSettings.objects.update(
            demo=False, payfip_online=True, payfip_numcli="041120", payfip_mode="T"
        )
    return regie


def _open(payfip, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        order = validated_cart(payfip)
        started = payment_start(foyer=payfip["foyer"], order=order, urls=_urls())
    return order, started


def notify(client, idop):
    """PayFiP's notification: the idop, form-encoded, to the urlnotif given at creation."""
    return client.post(
        reverse("billing:notify", args=["payfip"]),
        f"idop={idop}",
        content_type="application/x-www-form-urlencoded",
    ).content


def test_what_payfip_is_asked_for(payfip, standin, tenant_a, in_tenant):
    order, started = _open(payfip, tenant_a, in_tenant)
    idop = started.txn.provider_id
    assert started.redirect_url == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={idop}"
    asked = standin.operations[idop]
    assert asked["numcli"] == "041120" and asked["saisie"] == "T" and asked["exer"] == "2026"
    assert asked["montant"] == "1530" and asked["refdet"] == order.reference
    assert asked["urlnotif"].endswith("/factures/paiements/notification/payfip/")
    assert refdet_of("2026-GS-000001") == "2026GS000001"
    assert objet_of("Réservations REGIE CANTINE - prépaiement") == (
        "Reservations REGIE CANTINE prepaiement"
    )


@pytest.mark.parametrize("code", ["P", "V"])
def test_paid_is_confirmed_from_the_service(payfip, standin, tenant_a, in_tenant, client_a, code):
    order, started = _open(payfip, tenant_a, in_tenant)
    idop = started.txn.provider_id
    standin.results[idop] = code
    assert notify(client_a, idop) == b"recorded"
    assert notify(client_a, idop) == b"duplicate"
    with in_tenant(tenant_a):
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert Payment.objects.get().mode == "payfip"


@pytest.mark.parametrize(("code", "status"), [("R", "failed"), ("Z", "failed"), ("A", "cancelled")])
def test_refused_or_abandoned(payfip, standin, tenant_a, in_tenant, client_a, code, status):
    order, started = _open(payfip, tenant_a, in_tenant)
    standin.results[started.txn.provider_id] = code
    assert notify(client_a, started.txn.provider_id) == b"failed"
    with in_tenant(tenant_a):
        order.refresh_from_db()
        assert order.status == status and not Payment.objects.exists()


def test_pending_then_paid_by_the_periodic_check(payfip, standin, tenant_a, in_tenant, client_a):
    _order, started = _open(payfip, tenant_a, in_tenant)
    txn = started.txn
    assert notify(client_a, txn.provider_id) == b"pending"
    with in_tenant(tenant_a):
        assert payments_poll(ids=[txn.pk]) == {NoticeOutcome.PENDING: 1}
        standin.results[txn.provider_id] = "P"
        assert payments_poll(ids=[txn.pk]) == {NoticeOutcome.RECORDED: 1}
        txn.refresh_from_db()
        assert txn.status == TransactionStatus.PAID


def test_an_unknown_idop_is_logged_and_changes_nothing(payfip, tenant_a, in_tenant, client_a):
    assert notify(client_a, "abcdef0123456789") == b"unknown"
    with in_tenant(tenant_a):
        notice = PaymentNotice.objects.get()
        assert (notice.provider_id, notice.outcome) == ("abcdef0123456789", "unknown")
        assert not Payment.objects.exists()
    response = client_a.post(
        reverse("billing:notify", args=["payfip"]),
        "idop=<script>",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_another_amount_is_refused(payfip, standin, tenant_a, in_tenant, client_a):
    order, started = _open(payfip, tenant_a, in_tenant)
    idop = started.txn.provider_id
    standin.results[idop], standin.amounts[idop] = "P", "100"
    assert notify(client_a, idop) == b"refused"
    with in_tenant(tenant_a):
        order.refresh_from_db()
        assert order.status == OrderStatus.OPEN and not Payment.objects.exists()
        assert "attendu 1530" in PaymentNotice.objects.get().message


def test_an_invoice_paid_on_payfip_with_its_reference(
    payfip, standin, tenant_a, in_tenant, client_a
):
    import datetime as dt

    with in_tenant(tenant_a):
        invoice = Invoice.objects.create(
            number="2026-GS-000007",
            service=payfip["service"],
            foyer=payfip["foyer"],
            period_start=dt.date(2025, 12, 1),
            period_end=dt.date(2025, 12, 31),
            issued_on=dt.date(2026, 1, 2),
            due_on=dt.date(2026, 2, 1),
            total=D("44.80"),
            payer_name="M. X Paul",
            foyer_name="FAMILLE X",
            service_name="GROUPE SCOLAIRE",
        )
    client_a.force_login(payfip["user"])
    location = client_a.post(reverse("billing:pay_invoice", args=[invoice.pk]))["Location"]
    idop = location.rsplit("=", 1)[1]
    assert standin.operations[idop]["refdet"] == "2026GS000007"
    standin.results[idop] = "P"
    assert notify(client_a, idop) == b"recorded"
    with in_tenant(tenant_a):
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_paid) == ("paid", D("44.80"))
    # Paid: no second payment is opened.
    again = client_a.post(reverse("billing:pay_invoice", args=[invoice.pk]), follow=True)
    assert "déjà réglée" in again.content.decode()
