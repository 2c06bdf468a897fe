"""Stripe Checkout against localstripe on loopback: the session created by the stripe library,
the outcome taken only from webhooks signed with stripe's scheme (a bad signature or an old
timestamp: 400, nothing recorded), the root domain's webhook dispatching by collectivité."""

from __future__ import annotations

import json
import secrets
import time

import pytest
import stripe
from django.urls import reverse

from billing.models import NoticeOutcome, OrderStatus, Payment, PaymentSettings, TransactionStatus
from billing.payments.signing import signature_header
from billing.services.reconcile import payments_poll
from billing.services.transactions import payment_start
from reservations.lifecycle import State
from reservations.models import Booking
from tests.billing import stripe_standin
from tests.billing.conftest import D, _urls, validated_cart

pytestmark = pytest.mark.django_db
WEBHOOK_SECRET = "whsec_" + secrets.token_hex(16)


@pytest.fixture(scope="module")
def localstripe_url():
    url, stop = stripe_standin.start()
    yield url
    stop()


@pytest.fixture
def stripe_on(localstripe_url, settings, monkeypatch, regie, tenant_a, in_tenant):
    settings.STRIPE_SECRET_KEY = "sk_test_" + secrets.token_hex(12)
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    monkeypatch.setattr(stripe, "api_base", localstripe_url)
    with in_tenant(tenant_a):
        PaymentSettings.objects.update(demo=False)
    return regie


def event(session: dict, kind: str = "checkout.session.completed", *, created=None) -> dict:
    return {
        "id": "evt_" + secrets.token_hex(12),
        "object": "event",
        "type": kind,
        "created": created or int(time.time()),
        "data": {"object": session},
    }


def post(client, url, body: dict, *, secret=WEBHOOK_SECRET, timestamp=None):
    payload = json.dumps(body).encode()
    return client.post(
        url,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload, secret, timestamp=timestamp),
    )


def test_a_checkout_session_paid_is_recorded_from_the_signed_webhook_only(
    stripe_on, tenant_a, in_tenant, client_a, public_client
):
    with in_tenant(tenant_a):
        order = validated_cart(stripe_on)
        started = payment_start(foyer=stripe_on["foyer"], order=order, urls=_urls())
        txn = started.txn
    assert txn.provider == "stripe" and txn.provider_id.startswith("cs_test_")
    assert started.redirect_url.startswith("https://checkout.stripe.test/")
    session = stripe_standin.session_view(txn.provider_id)
    assert session["amount_total"] == 1530 and session["metadata"]["schema"] == "alpha"
    # The payer pays on Stripe's page: the PaymentIntent confirmed by the stripe library.
    intent = stripe.PaymentIntent.confirm(session["payment_intent"], api_key="sk_test_x")
    assert intent.status == "succeeded"
    # The return page shows nothing paid until the webhook comes.
    client_a.force_login(stripe_on["user"])
    page = client_a.get(reverse("billing:payment_return", args=[txn.pk])).content.decode()
    assert "en cours de confirmation" in page
    paid = event(stripe_standin.session_view(txn.provider_id))
    url = reverse("stripe_webhook", urlconf="portal.urls_public")
    assert post(public_client, url, paid, secret="whsec_wrong").status_code == 400
    stale = int(time.time()) - 3600
    assert post(public_client, url, paid, timestamp=stale).status_code == 400
    with in_tenant(tenant_a):
        assert not Payment.objects.exists()
    response = post(public_client, url, paid)
    assert (response.status_code, response.content) == (200, b"recorded")
    # Stripe delivers at least once: the same event again records nothing more.
    assert post(public_client, url, paid).content == b"duplicate"
    with in_tenant(tenant_a):
        (payment,) = Payment.objects.all()
        assert (payment.mode, payment.amount) == ("card", D("15.30"))
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert set(
            Booking.objects.filter(order_lines__order=order).values_list("state", flat=True)
        ) == {State.VALIDATED}


def test_an_expired_session_releases_the_cart(stripe_on, tenant_a, in_tenant, client_a):
    with in_tenant(tenant_a):
        order = validated_cart(stripe_on)
        txn = payment_start(foyer=stripe_on["foyer"], order=order, urls=_urls()).txn
    session = {**stripe_standin.session_view(txn.provider_id), "status": "expired"}
    response = post(
        client_a,
        reverse("billing:notify", args=["stripe"]),
        event(session, "checkout.session.expired"),
    )
    assert response.content == NoticeOutcome.FAILED.encode()
    with in_tenant(tenant_a):
        order.refresh_from_db()
        txn.refresh_from_db()
        assert (order.status, txn.status) == (OrderStatus.CANCELLED, TransactionStatus.CANCELLED)


def test_a_lost_webhook_is_caught_up_by_asking_stripe(stripe_on, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        order = validated_cart(stripe_on)
        txn = payment_start(foyer=stripe_on["foyer"], order=order, urls=_urls()).txn
        assert payments_poll(ids=[txn.pk]) == {NoticeOutcome.PENDING: 1}
        intent = stripe_standin.session_view(txn.provider_id)["payment_intent"]
        stripe.PaymentIntent.confirm(intent, api_key="sk_test_x")
        assert payments_poll(ids=[txn.pk]) == {NoticeOutcome.RECORDED: 1}
        assert Payment.objects.get().amount == D("15.30")


def test_a_session_naming_no_collectivite_is_refused(stripe_on, public_client):
    body = event({"id": "cs_test_x", "metadata": {"schema": "nowhere"}, "amount_total": 100})
    assert (
        post(
            public_client, reverse("stripe_webhook", urlconf="portal.urls_public"), body
        ).status_code
        == 400
    )
