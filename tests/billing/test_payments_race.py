"""The same notification ten times at once, on real connections: one payment, one receipt
e-mail, nine duplicates (the transaction row locked while each is handled)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context

from billing import models as billing
from billing.models import NoticeOutcome
from billing.services.transactions import payment_start
from families.models import Child, Foyer
from portal.models import OutgoingEmail
from reservations.models import Booking, Prestation, Service
from tenants.models import Collectivite
from tests.billing.conftest import _urls, demo_answer, triggers_off, validated_cart
from tests.cleanup import bookings_purge

NOTIFICATIONS = 10
NOW = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.fixture
def committed_payment(django_db_setup, django_db_blocker):
    import time_machine

    from tests.factories import PrestationFactory, ServiceFactory

    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=True):
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            billing.PaymentSettings.objects.create(demo=True)
            service = ServiceFactory(prepaid=True, name="REGIE COURSE")
            meal = PrestationFactory(
                service=service, name="REPAS COURSE", rule_time=dt.time(10), price=Decimal("2.55")
            )
            foyer = Foyer.objects.create(name="COURSE AU PAIEMENT", email="course@alpha.test")
            child = Child.objects.create(
                foyer=foyer, last_name="COURSE", first_name="Eva", birth_date="2017-01-01", sexe="F"
            )
            regie = {"meal": meal, "foyer": foyer, "user": None, "children": (child,)}
            order = validated_cart(regie)
            txn = payment_start(foyer=foyer, order=order, urls=_urls()).txn
        connection.set_schema_to_public()
        yield alpha, txn
        with tenant_context(alpha), triggers_off():
            for model in (
                billing.PaymentNotice,
                billing.AccountEntry,
                billing.Payment,
                billing.PaymentTransaction,
                billing.PrepaidOrderLine,
                billing.PrepaidOrder,
                billing.InvoiceLine,
                billing.Invoice,
                billing.NumberCounter,
                billing.BillingProfile,
                billing.Tariff,
                billing.PaymentSettings,
            ):
                model.objects.all()._raw_delete(connection.alias)
            bookings_purge(Booking.objects.filter(prestation=meal))
            Child.objects.filter(foyer=foyer).delete()
            foyer.delete()
            Prestation.objects.filter(pk=meal.pk).delete()
            Service.objects.filter(pk=service.pk).delete()
        connection.set_schema_to_public()
        OutgoingEmail.objects.filter(recipient="course@alpha.test").delete()


def test_ten_identical_notifications_at_once_record_one_payment(
    committed_payment, django_db_blocker
):
    alpha, txn = committed_payment
    start = threading.Barrier(NOTIFICATIONS)

    def notify(_):
        try:
            connection.set_tenant(alpha)
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=30)
            return demo_answer(txn)
        except Exception as error:  # counted by the assertion below
            return f"error: {error!r}"
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        with ThreadPoolExecutor(NOTIFICATIONS) as pool:
            outcomes = list(pool.map(notify, range(NOTIFICATIONS)))
        with tenant_context(alpha):
            payments = billing.Payment.objects.filter(transaction=txn).count()
            tickets = billing.Invoice.objects.filter(kind="prepaid").count()
        connection.set_schema_to_public()
        receipts = OutgoingEmail.objects.filter(key=f"receipt:txn:{txn.pk}").count()
    assert sorted(outcomes) == [NoticeOutcome.DUPLICATE] * (NOTIFICATIONS - 1) + [
        NoticeOutcome.RECORDED
    ]
    assert (payments, tickets, receipts) == (1, 1, 1)
