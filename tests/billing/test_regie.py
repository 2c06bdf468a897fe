"""The régie: payments at the counter (each mode, a receipt number each, partial payments),
bad amounts refused, segregation of duties and its logged exceptions, reminders once per
delay, and records of money the database keeps."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.db import IntegrityError, InternalError, transaction
from django.urls import reverse

from billing.exceptions import BillingError
from billing.models import DutyException, Invoice, Payment, PaymentSettings, Reminder
from billing.payments import counter
from billing.payments.counter import CounterEntry, counter_payment_record
from billing.services import duties
from billing.services.duties import duty_exception_grant, may
from billing.services.reminders import reminders_send
from billing.tasks import reminders_send_task
from portal.models import OutgoingEmail
from tests.billing.conftest import D, issue_invoice, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(regie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        return issue_invoice(
            service=regie["service"], foyer=regie["foyer"], total=D("44.80"), number="2025-GS-01"
        )


@pytest.fixture
def people(tenant_a):
    return {
        role: staff(tenant_a, role, f"{role}@alpha.test")
        for role in ("agent", "regisseur", "comptable", "administrateur")
    }


def _entry(mode="cash", amount="10.00", **details):
    return CounterEntry(mode=mode, amount=D(amount), **details)


def test_the_regisseur_records_each_mode_with_its_receipt_and_the_rest_stays_due(
    invoice, people, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        user = people["regisseur"]
        entries = [
            _entry("cash", "10.00"),
            _entry("cheque", "20.00", cheque_number="0001234", bank="Crédit Agricole"),
            _entry("cesu", "5.00", reference="CESU 2025 123 456"),
        ]
        receipts = [
            counter_payment_record(invoice=invoice, entry=e, user=user).receipt_number
            for e in entries
        ]
        assert receipts == ["2026-CAN-R-000001", "2026-CAN-R-000002", "2026-CAN-R-000003"]
        invoice.refresh_from_db()
        assert (invoice.amount_paid, invoice.balance, invoice.status) == (
            D("35.00"),
            D("9.80"),
            "partial",
        )
        counter_payment_record(invoice=invoice, entry=_entry("transfer", "9.80"), user=user)
        invoice.refresh_from_db()
        assert invoice.status == "paid" and invoice.paid_at is not None
    assert OutgoingEmail.objects.filter(key__startswith="receipt:payment:").count() == 4


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_entry(amount="0"), counter.AMOUNT_POSITIVE),
        (_entry(amount="-5"), counter.AMOUNT_POSITIVE),
        (_entry(amount="44.81"), counter.MORE_THAN_DUE.format(balance=D("44.80"))),
        (_entry(amount="1.005"), counter.AMOUNT_CENTS),
        (_entry("cheque"), counter.CHEQUE_DETAILS),
        (_entry("cesu"), counter.CESU_REFERENCE),
        (_entry("card"), counter.NOT_A_COUNTER_MODE),
    ],
)
def test_bad_counter_payments_change_nothing(invoice, people, tenant_a, in_tenant, entry, message):
    with in_tenant(tenant_a):
        with pytest.raises(BillingError) as error:
            counter_payment_record(invoice=invoice, entry=entry, user=people["regisseur"])
        assert message in error.value.message
        assert not Payment.objects.exists()
        invoice.refresh_from_db()
        assert invoice.amount_paid == 0


def test_a_paid_invoice_cannot_be_paid_again(invoice, people, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        user = people["regisseur"]
        counter_payment_record(invoice=invoice, entry=_entry(amount="44.80"), user=user)
        with pytest.raises(BillingError) as error:
            counter_payment_record(invoice=invoice, entry=_entry(amount="1.00"), user=user)
        assert error.value.message == counter.NOTHING_DUE


def test_agents_do_not_collect_unless_an_administrateur_grants_it_and_it_is_logged(
    invoice, people, tenant_a, in_tenant
):
    agent, admin = people["agent"], people["administrateur"]
    with in_tenant(tenant_a):
        with pytest.raises(BillingError) as error:
            counter_payment_record(invoice=invoice, entry=_entry(), user=agent)
        assert error.value.message == counter.NOT_ALLOWED
        assert not may(people["regisseur"], "billing.issue")  # nor does the régisseur bill
        for granter, grantee, reason, refusal in (
            (people["regisseur"], agent, "Congés", duties.NOT_ALLOWED),
            (admin, agent, "  ", duties.REASON_NEEDED),
            (admin, admin, "Moi", duties.NOT_TO_ONESELF),
            (admin, people["regisseur"], "Déjà", duties.ALREADY),
        ):
            capability = "billing.collect"
            with pytest.raises(BillingError) as error:
                duty_exception_grant(
                    granted_by=granter, user=grantee, capability=capability, reason=reason
                )
            assert error.value.message == refusal
        exception = duty_exception_grant(
            granted_by=admin,
            user=agent,
            capability="billing.collect",
            reason="Régisseur en congés du 2 au 6 février",
        )
        assert (exception.granted_by_email, exception.user_email) == (
            "administrateur@alpha.test",
            "agent@alpha.test",
        )
        payment = counter_payment_record(invoice=invoice, entry=_entry(), user=agent)
        assert payment.by_user_id == agent.pk
        duties.duty_exception_revoke(exception=exception, by=admin)
        with pytest.raises(BillingError):
            counter_payment_record(invoice=invoice, entry=_entry(), user=agent)
        # The exception stays on record; changing it is refused by the database.
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
            DutyException.objects.filter(pk=exception.pk).update(reason="autre")


def test_payments_are_never_changed_nor_deleted(invoice, people, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        payment = counter_payment_record(invoice=invoice, entry=_entry(), user=people["regisseur"])
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(amount=D("1.00"))
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
            Payment.objects.filter(pk=payment.pk).delete()
        assert Payment.objects.get(pk=payment.pk).amount == D("10.00")


def test_the_admin_counter_form_and_its_rights(invoice, people, tenant_a, in_tenant, client_a):
    url = reverse("admin:billing_payment_add")
    client_a.force_login(people["agent"])
    assert client_a.get(url).status_code == 403
    client_a.force_login(people["regisseur"])
    page = client_a.get(f"{url}?facture={invoice.pk}").content.decode()
    assert "Encaisser au guichet" in page and "2025-GS-01" in page
    response = client_a.post(
        url,
        {
            "invoice": "2025-GS-01",
            "mode": "cheque",
            "amount": "44.80",
            "cheque_number": "77",
            "bank": "La Poste",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    again = client_a.post(url, {"invoice": "2025-GS-01", "mode": "cash", "amount": "1"})
    assert counter.NOTHING_DUE in unescape(again.content.decode())


def test_reminders_at_each_delay_once(
    regie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        PaymentSettings.objects.update(reminder_delays="30, 15")
        late = issue_invoice(
            service=regie["service"],
            foyer=regie["foyer"],
            total=D("12.00"),
            number="2025-GS-02",
            due_on=dt.date(2025, 12, 1),
        )
        issue_invoice(  # paid: never reminded
            service=regie["service"],
            foyer=regie["foyer"],
            total=D("3.00"),
            number="2025-GS-03",
            due_on=dt.date(2025, 12, 1),
            status="paid",
            amount_paid=D("3.00"),
        )
        assert reminders_send(today=dt.date(2025, 12, 15)) == 0  # 14 days late
        assert reminders_send(today=dt.date(2025, 12, 16)) == 1  # 15 days: level 1
        assert reminders_send(today=dt.date(2025, 12, 20)) == 0  # sent once
        assert reminders_send(today=dt.date(2026, 1, 5)) == 1  # 35 days: level 2
        assert reminders_send(today=dt.date(2026, 1, 6)) == 0
        assert list(Reminder.objects.order_by("level").values_list("level", "days")) == [
            (1, 15),
            (2, 30),
        ]
        assert Reminder.objects.filter(invoice=late).count() == 2
    assert reminders_send_task.delay().get() == 0  # every collectivité, nothing more due
    assert OutgoingEmail.objects.filter(key__startswith=f"reminder:{late.pk}:").count() == 2


def test_late_payers_list_days_late(regie, people, tenant_a, in_tenant, client_a):
    with in_tenant(tenant_a):
        issue_invoice(
            service=regie["service"],
            foyer=regie["foyer"],
            total=D("12.00"),
            number="2025-GS-04",
            due_on=dt.date(2025, 12, 1),
        )
    client_a.force_login(people["agent"])
    page = client_a.get(reverse("admin:billing_latepayer_changelist")).content.decode()
    assert "2025-GS-04" in page and '<td class="field-days_late">42</td>' in page
