"""The demo of `seed_demo`: seed 000's tariffs and last month served, ready to be invoiced."""

from __future__ import annotations

import datetime as dt

import pytest

from billing import demo
from billing.models import Attendance, Tariff
from billing.services.invoicing import invoice_preview
from reservations import demo as reservations_demo
from reservations.models import Booking, Service
from tests.billing.conftest import D
from tests.factories import ChildFactory, FoyerFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


def test_last_month_is_ready_to_invoice_and_seeded_once(tenant_a, in_tenant, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_SCHEMA", "alpha")
    monkeypatch.setitem(
        reservations_demo.SERVICES, "alpha", reservations_demo.SERVICES["valdurenque"]
    )
    reservations_demo.seed_services(tenant_a)
    with in_tenant(tenant_a):
        testmp = FoyerFactory(name="TESTMP")
        ChildFactory(foyer=testmp, first_name="Clara")
        ChildFactory(foyer=testmp, first_name="Guilhem")
        ChildFactory(foyer=FoyerFactory(name="DURAND"), first_name="Léa")
    assert demo.seed_billing(tenant_a, today=TODAY) == 4
    assert demo.seed_billing(tenant_a, today=TODAY) == 0
    with in_tenant(tenant_a):
        assert Tariff.objects.count() == 4
        # November 2026 in zone C: school is back on Monday the 2nd, no Wednesdays: 17 days
        # (2-6, 9-13, 16-20, 23-27 less Wednesdays, and the 30th); Clara 2 prestations,
        # Guilhem 2, Léa 1.
        assert Booking.objects.filter(day__lt=TODAY).count() == 17 * 5
        # The coming 3 weeks booked by the families themselves, to the Christmas holidays
        # (zone C, from Saturday 19/12): 1, 3, 4, 7, 8, 10, 11, 14, 15, 17, 18 December.
        coming = Booking.objects.filter(day__gte=TODAY)
        assert coming.count() == 11 * 5
        assert set(coming.values_list("state", "state_reason")) == {("validated", "parent")}
        assert Attendance.objects.count() == 3
        service = Service.objects.get(name="GROUPE SCOLAIRE - postfacturation")
        preview = invoice_preview(
            service=service, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
        )
        totals = {bill.foyer_name: bill.total for bill in preview.bills}
    # TESTMP (QF 720): Clara 16 meals at 3,60 + 1 unjustified absence at 5,40 + 17 × 2 h of
    # garderie soir T2 at 0,65; Guilhem 17 meals + 17 × 1 h of garderie matin at 0,65.
    expected_testmp = 16 * D("3.60") + D("5.40") + 17 * D("1.30") + 17 * D("3.60") + 17 * D("0.65")
    # DURAND (no QF): Léa 17 meals (one pointed present while booked: the normal price), and
    # one evening of garderie T1 without booking at the highest bracket (0,80).
    expected_durand = 17 * D("3.60") + D("0.80")
    assert totals == {"DURAND": expected_durand, "TESTMP": expected_testmp}
