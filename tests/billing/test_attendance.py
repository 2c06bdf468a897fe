"""Pointage: a tap saved at once, a presence without booking, locks after invoicing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.exceptions import BillingError
from billing.models import Attendance, AttendanceMark, InvoiceRun
from billing.services import attendance as service
from billing.services.attendance import attendance_mark, attendance_unlock
from billing.services.runs import invoice_run_execute
from tenants.models import Role
from tests.billing.conftest import NOV, nov
from tests.factories import ChildFactory, MembershipFactory

pytestmark = pytest.mark.django_db

SHEET = "/admin/billing/attendance/pointage/"
MARK = "/admin/billing/attendance/pointer/"


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel("2026-12-01 09:00 +0100", tick=False):
        yield


@pytest.fixture
def agent(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


def test_a_tap_is_saved_and_logged_and_a_retry_is_harmless(month, site, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        lea = month["bernard"].children.get(first_name="Léa")
        for status in ("present", "absent_unjustified", "absent_unjustified"):
            attendance_mark(
                child=lea, prestation=site["cantine"], day=nov(12), status=status, user=None
            )
        mark = Attendance.objects.get(child=lea, prestation=site["cantine"], day=nov(12))
        assert mark.status == "absent_unjustified" and mark.booking.day == nov(12)
        assert list(
            AttendanceMark.objects.filter(attendance=mark).values_list("status", flat=True)
        ) == [
            "present",
            "absent_unjustified",
            "absent_unjustified",
        ]


def test_who_may_be_marked(month, site, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        stranger = ChildFactory(first_name="Inconnu", last_name="NULLEPART")
        with pytest.raises(BillingError) as error:
            attendance_mark(
                child=stranger, prestation=site["cantine"], day=nov(12), status="present", user=None
            )
        assert error.value.message == service.NOT_ENROLLED.format(child="Inconnu NULLEPART")
        lea = month["bernard"].children.get(first_name="Léa")
        with pytest.raises(BillingError) as error:
            attendance_mark(
                child=lea,
                prestation=site["cantine"],
                day=dt.date(2026, 12, 3),
                status="present",
                user=None,
            )
        assert error.value.message == service.FUTURE_DAY
        with pytest.raises(BillingError):
            attendance_mark(
                child=lea, prestation=site["cantine"], day=nov(12), status="?", user=None
            )
        assert not Attendance.objects.filter(child__in=[stranger, lea], day=nov(12)).exists()


def test_an_invoiced_period_is_locked_until_unlocked_with_a_reason(
    month, site, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        run = InvoiceRun.objects.create(
            service=month["service"], period_start=NOV[0], period_end=NOV[1]
        )
        invoice_run_execute(run=run)
        lea = month["bernard"].children.get(first_name="Léa")
        with pytest.raises(BillingError) as error:
            attendance_mark(
                child=lea, prestation=site["cantine"], day=nov(12), status="present", user=None
            )
        assert error.value.message == service.LOCKED.format(day=nov(12))
        with pytest.raises(BillingError):
            attendance_unlock(
                service=month["service"], start=NOV[0], end=NOV[1], reason=" ", user=None
            )
        unlock = attendance_unlock(
            service=month["service"],
            start=nov(12),
            end=nov(12),
            reason="Erreur de pointage",
            user=None,
        )
        attendance_mark(
            child=lea, prestation=site["cantine"], day=nov(12), status="present", user=None
        )
        assert unlock.reason == "Erreur de pointage"
        # Still locked outside the reopened days.
        with pytest.raises(BillingError):
            attendance_mark(
                child=lea, prestation=site["cantine"], day=nov(13), status="present", user=None
            )


def test_the_sheet_lists_the_booked_children_and_saves_each_tap(
    month, site, agent, tenant_a, in_tenant, django_assert_num_queries
):
    with in_tenant(tenant_a):
        lea = month["bernard"].children.get(first_name="Léa")
        tom = month["bernard"].children.get(first_name="Tom")
    url = f"{SHEET}?prestation={site['cantine'].pk}&jour=2026-11-12"
    # search_path, domain, search_path, account, role, prestations, bookings, marks,
    # enrolled children, last run (no run: no unlock to look for)
    with django_assert_num_queries(10):
        page = agent.get(url).content.decode()
    assert "BERNARD Léa" in page and "1 enfant" in page
    assert f'value="{tom.pk}"' in page  # Tom may be added present without booking
    response = agent.post(
        MARK,
        {
            "child": lea.pk,
            "prestation": site["cantine"].pk,
            "day": "2026-11-12",
            "status": "present",
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"ok": True, "status": "present", "message": "Léa BERNARD : présent."}
    refused = agent.post(
        MARK,
        {
            "child": lea.pk,
            "prestation": site["cantine"].pk,
            "day": "2026-12-24",
            "status": "present",
        },
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 409 and refused.json()["message"] == service.FUTURE_DAY
    fallback = agent.post(
        MARK,
        {
            "child": tom.pk,
            "prestation": site["cantine"].pk,
            "day": "2026-11-12",
            "status": "present",
        },
    )
    assert fallback.status_code == 302 and "jour=2026-11-12" in fallback["Location"]
    with in_tenant(tenant_a):
        assert set(
            Attendance.objects.filter(day=nov(12)).values_list("child__first_name", "status")
        ) == {
            ("Léa", "present"),
            ("Tom", "present"),
        }


@pytest.mark.parametrize("role", [Role.REGISSEUR, Role.COMPTABLE])
def test_only_staff_who_point_may_point(month, site, client_a, tenant_a, role):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=role).user)
    assert client_a.get(SHEET).status_code == 403
    response = client_a.post(
        MARK,
        {"child": 1, "prestation": site["cantine"].pk, "day": "2026-11-12", "status": "present"},
    )
    assert response.status_code == 403


def test_bad_taps(site, agent):
    response = agent.post(MARK, {"child": "x", "day": "hier"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert reverse("admin:billing_attendance_sheet") == SHEET


def test_an_accepted_absence_points_its_past_days_justified(
    month, site, tenant_a, in_tenant, settings, tmp_path
):
    from billing.services.invoicing import invoice_preview
    from requests_inbox.services import absence_decide, absence_declare
    from tests.requests_inbox.conftest import pdf_upload

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    agent = MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user
    with in_tenant(tenant_a):
        tom = month["bernard"].children.get(first_name="Tom")
        before = invoice_preview(service=month["service"], start=NOV[0], end=NOV[1])
        absence = absence_declare(
            foyer=month["bernard"],
            child=tom,
            start=nov(9),
            end=nov(10),
            motif="Gastro-entérite",
            attachment=pdf_upload(),
            user=None,
        )
        absence_decide(absence=absence, accept=True, user=agent)
        marks = Attendance.objects.filter(child=tom, absence=absence).order_by("day", "prestation")
        assert [(m.day.day, m.prestation.name, m.status, m.booking.state) for m in marks] == [
            (9, "CANTINE", "absent_justified", "cancelled"),
            (9, "GARDERIE SOIR T1", "absent_justified", "cancelled"),
            (10, "GARDERIE SOIR T1", "absent_justified", "cancelled"),
        ]
        after = invoice_preview(service=month["service"], start=NOV[0], end=NOV[1])
    bernard = lambda preview: next(b.total for b in preview.bills if b.foyer_name == "BERNARD")  # noqa: E731
    # The cantine of the 9th (3,60) and two evenings of garderie T1 (0,65 each) are not billed.
    assert bernard(before) - bernard(after) == Decimal("4.90")


UNLOCKS = "/admin/billing/attendanceunlock/"


def test_reopening_an_invoiced_period_from_the_admin(month, agent, client_a, tenant_a, in_tenant):
    form = {
        "service": month["service"].pk,
        "period_start": "2026-11-12",
        "period_end": "2026-11-12",
        "reason": "Présence oubliée",
    }
    refused = agent.post(f"{UNLOCKS}add/", form)
    assert service.UNLOCK_NOT_LOCKED in refused.content.decode().replace("&#x27;", "'")
    with in_tenant(tenant_a):
        run = InvoiceRun.objects.create(
            service=month["service"], period_start=NOV[0], period_end=NOV[1]
        )
        invoice_run_execute(run=run)
    assert agent.post(f"{UNLOCKS}add/", form).status_code == 302
    with in_tenant(tenant_a):
        unlock = service.AttendanceUnlock.objects.get()
        assert unlock.reason == "Présence oubliée"
        assert unlock.by_user_id == int(agent.session["_auth_user_id"])
        lea = month["bernard"].children.get(first_name="Léa")
        attendance_mark(
            child=lea, prestation=month_cantine(month), day=nov(12), status="present", user=None
        )
    assert agent.get(f"{UNLOCKS}{unlock.pk}/delete/").status_code == 403
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    assert client_a.get(f"{UNLOCKS}add/").status_code == 403


def month_cantine(month):
    from reservations.models import Prestation

    return Prestation.objects.get(service=month["service"], name="CANTINE")
