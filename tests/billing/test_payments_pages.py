"""The payment pages' query counts, another collectivité never reaching a payment, and the
régie's admin pages (smoke: every list opens for the roles that read it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import NoticeOutcome, Payment
from billing.services.transactions import payment_start
from tenants.services import adhesion_add
from tests.billing.conftest import _urls, demo_answer, staff, validated_cart

pytestmark = pytest.mark.django_db


def test_the_order_and_return_pages_run_a_fixed_number_of_queries(
    regie, tenant_a, in_tenant, client_a, django_assert_num_queries
):
    with in_tenant(tenant_a):
        order = validated_cart(regie)
        txn = payment_start(foyer=regie["foyer"], order=order, urls=_urls()).txn
    client_a.force_login(regie["user"])
    # search_path and the domain, search_path, account, adhesion, foyer, the order, its
    # lines, the payment settings, the foyer's account, the unread count of the menu
    with django_assert_num_queries(11):
        assert client_a.get(reverse("billing:order", args=[order.pk])).status_code == 200
    with in_tenant(tenant_a):
        demo_answer(txn)
    # the collectivité and the menu's unread count now come from the cache: search_path,
    # account, adhesion, foyer, the transaction with its order and ticket
    with django_assert_num_queries(5):
        page = client_a.get(reverse("billing:payment_return", args=[txn.pk])).content.decode()
    assert "Paiement reçu" in page


def test_another_collectivite_never_reaches_a_payment(
    regie, tenant_a, tenant_b, in_tenant, client_b
):
    with in_tenant(tenant_a):
        txn = payment_start(foyer=regie["foyer"], order=validated_cart(regie), urls=_urls()).txn
    # The same signed notification, posted in beta: no such transaction there.
    with in_tenant(tenant_b):
        assert demo_answer(txn) == NoticeOutcome.UNKNOWN
        assert not Payment.objects.exists()
    adhesion_add(user=regie["user"], collectivite=tenant_b)
    client_b.force_login(regie["user"])
    assert client_b.get(reverse("billing:payment_return", args=[txn.pk])).status_code == 404
    with in_tenant(tenant_a):
        assert not Payment.objects.exists()


@pytest.mark.parametrize("role", ["regisseur", "comptable", "agent", "administrateur"])
def test_the_regie_admin_pages_open(regie, tenant_a, client_a, role):
    client_a.force_login(staff(tenant_a, role, f"{role}@alpha.test"))
    for name in (
        "payment",
        "paymenttransaction",
        "paymentnotice",
        "accountentry",
        "prepaidorder",
        "sepamandate",
        "debitrun",
        "reminder",
        "latepayer",
        "dutyexception",
        "collectionsreport",
        "encaissementstatement",
    ):
        response = client_a.get(reverse(f"admin:billing_{name}_changelist"))
        assert response.status_code == 200, name
    settings_page = client_a.get(reverse("admin:billing_paymentsettings_changelist"), follow=True)
    assert settings_page.status_code == 200
