"""Prestations in the admin: their days ticked, not typed."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from reservations.admin import NO_WEEKDAY
from reservations.models import Prestation
from tenants.models import Role
from tests.factories import MembershipFactory, PrestationFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def form(service, **values):
    return {
        "service": service.pk,
        "name": "CANTINE",
        "kind": "unit",
        "display_order": "0",
        "capacity": "85",
        "booking_rule": "weekly",
        "rule_weekday": "2",
        "rule_weeks_ahead": "1",
        "rule_days_before": "1",
        "rule_skip_non_working_days": "on",
        "rule_time": "12:00",
        "cancellation_rule": "not_allowed",
        **values,
    }


def test_days_are_checkboxes_and_at_least_one_is_needed(client_a, tenant_a, in_tenant):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    with in_tenant(tenant_a):
        service = ServiceFactory()
        existing = PrestationFactory(service=service, weekdays=[1, 2, 4, 5])
    page = client_a.get(f"/admin/reservations/prestation/{existing.pk}/change/").content.decode()
    assert 'type="checkbox" name="weekdays" value="1"' in page
    assert 'value="3" id="id_weekdays_2">' in page  # Wednesday, not ticked
    assert 'value="4" id="id_weekdays_3" checked>' in page
    none = client_a.post("/admin/reservations/prestation/add/", form(service))
    assert escape(NO_WEEKDAY) in none.content.decode()
    saved = client_a.post(
        "/admin/reservations/prestation/add/", form(service, weekdays=["1", "2", "4", "5"])
    )
    assert saved.status_code == 302
    with in_tenant(tenant_a):
        assert Prestation.objects.get(name="CANTINE").weekdays == [1, 2, 4, 5]
    listing = client_a.get("/admin/reservations/prestation/").content.decode()
    assert "lundi, mardi, jeudi, vendredi" in listing
