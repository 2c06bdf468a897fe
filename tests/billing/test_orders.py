"""Prépaiement orders: the price recorded at validation, the hold expiring (places released,
the family told once), a payment arriving after it (to the foyer's account), a paid booking
cancelled in time (an avoir on the account) and that avoir used first by the next payment."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import (
    AccountEntry,
    EntryKind,
    NoticeOutcome,
    OrderStatus,
    Payment,
    PaymentMode,
    Tariff,
)
from billing.services.accounts import account_balance
from billing.services.orders import orders_expire
from billing.services.transactions import payment_start
from billing.tasks import orders_expire_task
from portal.models import OutgoingEmail
from reservations.lifecycle import Reason, State
from reservations.models import Booking
from reservations.services.cart import cancel_request
from reservations.services.validation import cart_validate
from tests.billing.conftest import MEAL_DAYS, PAY_NOW, D, _urls, demo_answer, validated_cart
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _pay(regie, order):
    txn = payment_start(foyer=regie["foyer"], order=order, urls=_urls()).txn
    assert demo_answer(txn) == NoticeOutcome.RECORDED
    order.refresh_from_db()
    return order


def test_the_price_is_the_one_of_the_validation_whatever_the_tariff_does_next(
    regie, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        order = validated_cart(regie, children=regie["children"][:1])
        Tariff.objects.filter(prestation=regie["meal"]).update(price=D("9.99"))
        order = _pay(regie, order)
        assert order.ticket.total == D("7.65")
        assert list(order.ticket.lines.values_list("amount", flat=True)) == [D("2.55")] * 3


def test_an_expired_hold_releases_the_places_and_tells_the_family_once(
    regie, tenant_a, in_tenant, clock, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        order = validated_cart(regie, days=MEAL_DAYS[:1])
        rival = ChildFactory()
        from reservations.services.cart import cart_add

        cart_add(child=rival, prestation=regie["meal"], day=MEAL_DAYS[0])
        clock.shift(dt.timedelta(minutes=14))
        assert orders_expire() == 0  # still held
        clock.shift(dt.timedelta(minutes=2))
    assert orders_expire_task.delay().get() == 1
    with in_tenant(tenant_a):
        order.refresh_from_db()
        assert order.status == OrderStatus.EXPIRED
        bookings = Booking.objects.filter(order_lines__order=order)
        assert {(b.state, b.state_reason) for b in bookings} == {
            (State.CANCELLED, Reason.HOLD_EXPIRED)
        }
        assert orders_expire() == 0
        # The places are free again: the rival's cart goes through.
        (line,) = cart_validate(foyer=rival.foyer)
        assert line.state == State.HELD
    assert OutgoingEmail.objects.filter(key=f"order-closed:{order.pk}").count() == 1


def test_a_payment_after_the_hold_expired_goes_to_the_account(regie, tenant_a, in_tenant, clock):
    with in_tenant(tenant_a):
        order = validated_cart(regie, days=MEAL_DAYS[:1])
        txn = payment_start(foyer=regie["foyer"], order=order, urls=_urls()).txn
        clock.shift(dt.timedelta(minutes=20))
        orders_expire()
        assert demo_answer(txn) == NoticeOutcome.RECORDED
        order.refresh_from_db()
        assert (order.status, order.ticket) == (OrderStatus.EXPIRED, None)
        payment = Payment.objects.get()
        assert (payment.invoice, payment.amount) == (None, D("5.10"))
        assert account_balance(foyer_id=regie["foyer"].pk) == D("5.10")
        assert AccountEntry.objects.get().kind == EntryKind.LATE_PAYMENT


def test_a_paid_booking_cancelled_in_time_is_an_avoir_used_by_the_next_payment(
    regie, tenant_a, in_tenant
):
    fille, garcon = regie["children"]
    with in_tenant(tenant_a):
        first = _pay(regie, validated_cart(regie, children=[fille]))  # 3 × 2,55 €
        booking = Booking.objects.get(child=fille, day=MEAL_DAYS[2])
        cancel_request(booking=booking)
        cart_validate(foyer=regie["foyer"])
        booking.refresh_from_db()
        assert booking.state == State.CANCELLED
        ticket = first.ticket
        ticket.refresh_from_db()
        assert (ticket.amount_paid, ticket.amount_credited, ticket.status) == (
            D("5.10"),
            D("2.55"),
            "paid",
        )
        credit = ticket.credit_notes.get()
        assert credit.total == D("2.55") and credit.number == "2026-CAN-AV-000001"
        assert account_balance(foyer_id=regie["foyer"].pk) == D("2.55")
        # Next cart: 2 meals for Garçon, 5,10 €; the avoir pays 2,55 € first.
        order = validated_cart(regie, days=MEAL_DAYS[:2], children=[garcon])
        txn = payment_start(foyer=regie["foyer"], order=order, urls=_urls()).txn
        assert (txn.amount, txn.credit_used) == (D("2.55"), D("2.55"))
        assert account_balance(foyer_id=regie["foyer"].pk) == D("0.00")  # reserved
        demo_answer(txn)
        order.refresh_from_db()
        modes = dict(order.ticket.payments.values_list("mode", "amount"))
        assert modes == {PaymentMode.CREDIT: D("2.55"), PaymentMode.DEMO: D("2.55")}
        assert order.ticket.status == "paid"
        assert account_balance(foyer_id=regie["foyer"].pk) == D("0.00")


def test_a_failed_payment_gives_the_avoir_back(regie, tenant_a, in_tenant):
    from billing.services.accounts import account_credit

    with in_tenant(tenant_a):
        account_credit(
            foyer_id=regie["foyer"].pk,
            amount=D("1.00"),
            kind=EntryKind.CREDIT_NOTE,
            label="Avoir",
            now=PAY_NOW,
        )
        order = validated_cart(regie, days=MEAL_DAYS[:1])
        txn = payment_start(foyer=regie["foyer"], order=order, urls=_urls()).txn
        assert account_balance(foyer_id=regie["foyer"].pk) == D("0.00")
        demo_answer(txn, "refuser")
        assert account_balance(foyer_id=regie["foyer"].pk) == D("1.00")


def test_an_avoir_covering_everything_pays_without_a_provider(regie, tenant_a, in_tenant):
    from billing.services.accounts import account_credit

    with in_tenant(tenant_a):
        account_credit(
            foyer_id=regie["foyer"].pk,
            amount=D("20.00"),
            kind=EntryKind.CREDIT_NOTE,
            label="Avoir",
            now=PAY_NOW,
        )
        order = validated_cart(regie)
        started = payment_start(foyer=regie["foyer"], order=order, urls=_urls())
        assert started.paid and started.txn is None
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID and order.ticket.status == "paid"
        assert account_balance(foyer_id=regie["foyer"].pk) == D("4.70")
