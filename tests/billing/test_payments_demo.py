"""Prépaiement paid with the demonstration provider, through the same notification path as a
real provider: the bookings validated, a numbered ticket paid with its receipt, one e-mail;
refused or abandoned: nothing booked, places released, the family told once; forged,
stale, repeated or wrong-amount notifications change nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from billing.models import (
    CounterKind,
    Invoice,
    NoticeOutcome,
    NumberCounter,
    OrderStatus,
    Payment,
    PaymentNotice,
    TransactionStatus,
)
from billing.payments import demo
from billing.payments.base import InvalidNotification
from billing.payments.signing import signature_header
from billing.services import transactions
from billing.services.transactions import payment_start
from portal.models import OutgoingEmail
from reservations.lifecycle import Reason, State
from reservations.models import Booking, WaitingListEntry
from tests.billing.conftest import MEAL_DAYS, D, _urls, demo_answer, validated_cart
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _start(regie, order):
    return payment_start(foyer=regie["foyer"], order=order, user=regie["user"], urls=_urls())


def test_a_paid_cart_validates_its_bookings_and_issues_a_numbered_ticket(
    regie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        order = validated_cart(regie)
        assert order.total == D("15.30")  # 6 meals at 2,55 €, as seed 004
        assert Booking.objects.filter(state=State.HELD).count() == 6
        assert not Invoice.objects.exists()  # no number before the payment
        started = _start(regie, order)
        txn = started.txn
        assert started.redirect_url == reverse("billing:demo_page", args=[txn.provider_id])
        assert demo_answer(txn) == NoticeOutcome.RECORDED
        order.refresh_from_db()
        ticket = order.ticket
        assert (order.status, ticket.number, ticket.kind) == ("paid", "2026-CAN-000001", "prepaid")
        assert (ticket.total, ticket.amount_paid, ticket.status) == (D("15.30"), D("15.30"), "paid")
        assert ticket.paid_at is not None and ticket.lines.count() == 6
        bookings = Booking.objects.filter(order_lines__order=order)
        assert {(b.state, b.state_reason) for b in bookings} == {
            (State.VALIDATED, Reason.PAYMENT_RECEIVED)
        }
        (payment,) = Payment.objects.all()
        assert (payment.mode, payment.amount, payment.receipt_number) == (
            "demo",
            D("15.30"),
            "2026-CAN-R-000001",
        )
    receipts = OutgoingEmail.objects.filter(key__startswith="receipt:")
    assert receipts.count() == 1
    body = receipts.get().body
    assert "Ticket n° 2026-CAN-000001" in body and "15,30 €" in body
    assert "Fille" not in body  # no child's name in the e-mail


@pytest.mark.parametrize(
    ("answer", "order_status", "txn_status"),
    [("refuser", "failed", "failed"), ("abandonner", "cancelled", "cancelled")],
)
def test_refused_or_abandoned_releases_the_places_and_tells_the_family_once(
    regie, tenant_a, in_tenant, django_capture_on_commit_callbacks, answer, order_status, txn_status
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        order = validated_cart(regie, days=MEAL_DAYS[:1])
        # A third child waits for the full day (two places, both held).
        waiting = ChildFactory()
        WaitingListEntry.objects.create(child=waiting, prestation=regie["meal"], day=MEAL_DAYS[0])
        txn = _start(regie, order).txn
        assert demo_answer(txn, answer) == NoticeOutcome.FAILED
        assert demo_answer(txn, answer) == NoticeOutcome.DUPLICATE
        order.refresh_from_db()
        txn.refresh_from_db()
        assert (order.status, txn.status, order.ticket) == (order_status, txn_status, None)
        held = Booking.objects.filter(order_lines__order=order)
        assert {(b.state, b.state_reason) for b in held} == {
            (State.CANCELLED, Reason.PAYMENT_FAILED)
        }
        # The freed place went to the first child in line.
        assert Booking.objects.filter(child=waiting).exists()
        assert not Payment.objects.exists()
        # No number wasted on an abandoned cart.
        assert not NumberCounter.objects.filter(kind=CounterKind.INVOICE).exists()
    assert OutgoingEmail.objects.filter(key=f"order-closed:{order.pk}").count() == 1


def test_forged_or_stale_notifications_are_refused_and_record_nothing(regie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        txn = _start(regie, validated_cart(regie)).txn
        payload = json.dumps(
            {"transaction": txn.provider_id, "outcome": "paid", "amount": 1530}
        ).encode()
        forged = signature_header(payload, "not-the-secret")
        stale = signature_header(payload, demo.demo_secret(), timestamp=1_600_000_000)
        for header in (forged, stale, ""):
            with pytest.raises(InvalidNotification):
                transactions.notification_receive(
                    provider_name="demo", body=payload, headers={demo.HEADER: header}
                )
        txn.refresh_from_db()
        assert txn.status == TransactionStatus.PENDING
        assert not Payment.objects.exists() and not PaymentNotice.objects.exists()


def test_the_webhook_answers_400_to_a_bad_signature(regie, tenant_a, in_tenant, client_a):
    with in_tenant(tenant_a):
        txn = _start(regie, validated_cart(regie)).txn
    payload = json.dumps({"transaction": txn.provider_id, "outcome": "paid", "amount": 1530})
    response = client_a.post(
        reverse("billing:notify", args=["demo"]),
        payload,
        content_type="application/json",
        HTTP_DEMO_SIGNATURE=signature_header(payload.encode(), "wrong"),
    )
    assert response.status_code == 400
    with in_tenant(tenant_a):
        assert not Payment.objects.exists()


def test_an_amount_that_does_not_match_is_refused_and_logged(regie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        order = validated_cart(regie)
        txn = _start(regie, order).txn
        assert demo_answer(txn, amount_cents=100) == NoticeOutcome.REFUSED
        txn.refresh_from_db()
        order.refresh_from_db()
        assert txn.status == TransactionStatus.REJECTED and "attendu 1530" in txn.detail
        assert order.status == OrderStatus.OPEN and not Payment.objects.exists()
        notice = PaymentNotice.objects.get()
        assert (notice.outcome, notice.transaction) == (NoticeOutcome.REFUSED, txn)


def test_an_unknown_transaction_is_logged_and_changes_nothing(regie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        payload, signature = demo.demo_notification(
            provider_id="demo_nobody", answer="payer", amount_cents=1530
        )
        outcome = transactions.notification_receive(
            provider_name="demo", body=payload, headers={demo.HEADER: signature}
        )
        assert outcome == NoticeOutcome.UNKNOWN
        assert PaymentNotice.objects.get().provider_id == "demo_nobody"
        assert not Payment.objects.exists()


def test_the_family_pays_through_its_pages_and_finds_the_ticket_in_factures_payees(
    regie, tenant_a, in_tenant, client_a, django_assert_num_queries
):
    client_a.force_login(regie["user"])
    with in_tenant(tenant_a):
        order = validated_cart(regie)
    page = client_a.get(reverse("billing:order", args=[order.pk])).content.decode()
    assert "Paiement de démonstration" in page and "15,30 €" in page
    response = client_a.post(reverse("billing:pay_order", args=[order.pk]))
    demo_url = response["Location"]
    assert "Paiement de démonstration" in client_a.get(demo_url).content.decode()
    back = client_a.post(demo_url, {"reponse": "payer"})["Location"]
    result = client_a.get(back).content.decode()
    assert "Paiement reçu" in result and "2026-CAN-000001" in result
    index = client_a.get(reverse("billing:index")).content.decode()
    payees = index[index.index("Factures payées") :]
    assert "2026-CAN-000001" in payees and "payée le 12/01/2026" in payees
    # A second click on « Payer » finds nothing to pay.
    again = client_a.post(reverse("billing:pay_order", args=[order.pk]), follow=True)
    assert transactions.ORDER_CLOSED in again.content.decode()


def test_another_foyers_order_or_payment_is_a_404(regie, tenant_a, in_tenant, client_a):
    from tenants.services import adhesion_add
    from tests.factories import UserFactory

    with in_tenant(tenant_a):
        order = validated_cart(regie)
        txn = _start(regie, order).txn
    stranger = UserFactory()
    adhesion_add(user=stranger, collectivite=tenant_a)
    with in_tenant(tenant_a):
        from tests.factories import FoyerFactory

        FoyerFactory(user=stranger)
    client_a.force_login(stranger)
    for url in (
        reverse("billing:order", args=[order.pk]),
        reverse("billing:payment_return", args=[txn.pk]),
        reverse("billing:demo_page", args=[txn.provider_id]),
    ):
        assert client_a.get(url).status_code == 404
    assert client_a.post(reverse("billing:pay_order", args=[order.pk])).status_code == 404
    assert (
        client_a.post(
            reverse("billing:demo_page", args=[txn.provider_id]), {"reponse": "payer"}
        ).status_code
        == 404
    )
