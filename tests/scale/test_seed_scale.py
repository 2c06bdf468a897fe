"""seed_scale at a tiny size: the rows it writes by COPY read as the services' own.

One collectivité is created (its schema migrated, inside the test's transaction, rolled
back after): the command's own path, at 12 children over 4 weeks.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from billing.models import Attendance
from billing.services.invoicing import invoice_preview
from families.models import Child, Foyer, QuotientFamilial
from portal.management.commands.seed_scale import ALREADY
from portal.scale import PASSWORD, school_days, school_year_start
from reservations.models import Booking, BookingState, Service
from tenants.models import Adhesion, Collectivite, Membership

pytestmark = pytest.mark.django_db

START = dt.date(2026, 8, 31)  # the Monday of the week of 1 September 2026


def test_the_school_year_starts_the_week_of_1_september():
    assert school_year_start(dt.date(2026, 11, 30)) == START
    assert school_year_start(dt.date(2027, 3, 1)) == START
    assert school_year_start(dt.date(2026, 8, 1)) == START


def test_school_days_skip_wednesdays_weekends_holidays_and_public_holidays():
    days = school_days(START, 10, "C")
    # The rentrée is Tuesday 1 September; no school on Wednesdays (a four-day week).
    assert days[:3] == [dt.date(2026, 9, 1), dt.date(2026, 9, 3), dt.date(2026, 9, 4)]
    assert dt.date(2026, 11, 11) not in days  # Armistice
    assert not [d for d in days if dt.date(2026, 10, 17) <= d <= dt.date(2026, 11, 1)]
    assert {d.isoweekday() for d in days} == {1, 2, 4, 5}


def test_seed_scale_builds_a_collectivite_its_families_bookings_and_accounts(settings):
    out = StringIO()
    call_command(
        "seed_scale",
        children=12,
        foyers=5,
        weeks=4,
        collectivites=0,
        accounts=3,
        staff=2,
        schema="tiny",
        start=START,
        stdout=out,
    )
    text = out.getvalue()
    days = len(school_days(START, 4, "C"))
    assert days == 15
    assert "COMMUNE À L'ÉCHELLE (tiny) : 12 enfants, 5 foyers, 15 jours d'école" in text
    assert "3 comptes parents, 2 agents" in text and "Terminé en" in text
    tenant = Collectivite.objects.get(schema_name="tiny")
    assert Adhesion.objects.filter(collectivite=tenant).count() == 3
    assert Membership.objects.filter(collectivite=tenant, accepted_at__isnull=False).count() == 2
    with tenant_context(tenant):
        assert Foyer.objects.count() == 5 and Child.objects.count() == 12
        assert QuotientFamilial.objects.count() == 3  # foyers 1, 3, 5
        service = Service.objects.get()
        bookings = Booking.objects.filter(state=BookingState.VALIDATED)
        # Per school day: 9 in 10 children at the cantine, then the garderies by group.
        cantine = bookings.filter(prestation__name="CANTINE").count()
        assert days * 12 * 0.8 <= cantine < days * 12
        assert bookings.filter(prestation__name="GARDERIE MATIN").count() == days * 5
        # (children 1, 2, 10, 11 and 12 come in the morning)
        # The trigger filled what the constraint needs, as for any booking.
        assert not bookings.filter(slot__isnull=True).exists()
        assert bookings.filter(service=service).count() == bookings.count()
        # Past days pointed: an absence on a booking, or a presence without one.
        assert Attendance.objects.filter(status="absent_unjustified", booking__isnull=False)
        september = invoice_preview(
            service=service, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30)
        )
        assert len(september.bills) == 5 and september.total > 0
        # The sequences moved past the ids COPY gave: the services add rows after them.
        child = Child.objects.create(
            foyer_id=1, last_name="NOUVEAU", first_name="N", birth_date="2018-01-01", sexe="F"
        )
        assert child.pk == 13
    connection.set_schema_to_public()
    accounts = get_user_model().objects
    parent_account = accounts.get(email="parent-tiny-0001@echelle.test")
    staff_account = accounts.get(email="agent-tiny-0001@echelle.test")
    assert parent_account.check_password(PASSWORD) and staff_account.check_password(PASSWORD)
    parent = Client(HTTP_HOST="tiny.localhost")
    parent.force_login(parent_account)
    page = parent.get("/reservations/", {"debut": "2026-09-07"})
    assert page.status_code == 200
    assert "Enfant1" in page.content.decode()
    staff = Client(HTTP_HOST="tiny.localhost")
    staff.force_login(staff_account)
    assert staff.get("/admin/reservations/booking/").status_code == 200
    # Twice: refused, nothing changed.
    with pytest.raises(CommandError) as refused:
        call_command("seed_scale", children=12, collectivites=0, schema="tiny", stdout=out)
    assert str(refused.value) == ALREADY.format(schema="tiny")
    with tenant_context(tenant):
        assert Child.objects.count() == 13
