"""Admin lists that seed_scale's volume showed growing with their rows, pinned flat."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from billing.models import Attendance
from tenants.models import Role
from tests.factories import BookingFactory, MembershipFactory, PrestationFactory

pytestmark = pytest.mark.django_db
ATTENDANCE = "/admin/billing/attendance/"


def _pointed(prestation, count: int) -> None:
    for n in range(count):
        booking = BookingFactory(prestation=prestation, day=dt.date(2026, 1, 5 + n))
        Attendance.objects.create(
            child=booking.child,
            prestation=prestation,
            day=booking.day,
            status="absent_unjustified",
            booking=booking,
            marked_at=timezone.now(),
        )


def test_the_attendance_list_runs_the_same_queries_for_1_or_10_rows(
    tenant_a, in_tenant, client_a, django_assert_num_queries
):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    with in_tenant(tenant_a):
        prestation = PrestationFactory()
        _pointed(prestation, 1)
    client_a.get(ATTENDANCE)  # the host's collectivité cached, as in service
    # The schema, the account, its role, the filters' services and prestations, the counts
    # (filtered and total), the page's rows with their child, prestation and booking (with
    # its own child and prestation) in one join, the date hierarchy's bounds and days.
    with django_assert_num_queries(10):
        assert client_a.get(ATTENDANCE).status_code == 200
    with in_tenant(tenant_a):
        _pointed(prestation, 9)
    with django_assert_num_queries(10):
        response = client_a.get(ATTENDANCE)
    assert response.content.decode().count("absent_unjustified") <= 1  # labels, not codes
    assert "10 pointages" in response.content.decode()
