"""Closures in the admin: the bookings shown before saving, the job's progress, the undo."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils.html import escape

from reservations.admin_closures import CONFIRM, UNDO_NOTHING, undo_warning
from reservations.lifecycle import State
from reservations.models import Booking, Closure
from tenants.models import Role
from tests.factories import BookingFactory, ChildFactory, FoyerFactory, MembershipFactory
from tests.reservations.conftest import paris

pytestmark = pytest.mark.django_db

CLOSURES = "/admin/reservations/closure/"
NOW = paris(2026, 3, 2, 9)
STRIKE = dt.date(2026, 3, 12)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent_client(client_a, tenant_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


@pytest.fixture
def strike_day(cantine, tenant_a, in_tenant):
    """Three children of two families booked at the cantine on the strike day."""
    with in_tenant(tenant_a):
        roux = FoyerFactory(name="ROUX", email="roux@exemple.test")
        blanc = FoyerFactory(name="BLANC", email="blanc@exemple.test")
        for foyer, first_name in ((roux, "Léa"), (roux, "Tom"), (blanc, "Emma")):
            child = ChildFactory(foyer=foyer, last_name=foyer.name, first_name=first_name)
            BookingFactory(child=child, prestation=cantine, day=STRIKE)
    return cantine


def form(service, **fields):
    return {
        "service": service.pk,
        "start": "12/03/2026",
        "end": "12/03/2026",
        "reason": "Grève",
        **fields,
    }


def test_adding_a_closure_shows_its_bookings_then_applies_it_once_confirmed(
    agent_client, strike_day, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    data = form(strike_day.service)
    preview = agent_client.post(f"{CLOSURES}add/", data)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "3 réservations annulées</strong>, de 2 familles" in page
    assert "ROUX Léa (ROUX) : CANTINE" in page
    assert "Confirmer la fermeture et annuler 3 réservations" in page
    assert "errornote" not in page  # the confirmation is asked, not an error
    fingerprint = preview.context["adminform"].form.data["confirmed"]
    with in_tenant(tenant_a):
        assert not Closure.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        saved = agent_client.post(f"{CLOSURES}add/", {**data, "confirmed": fingerprint})
    with in_tenant(tenant_a):
        closure = Closure.objects.get()
        cancelled = Booking.objects.filter(day=STRIKE, state=State.CANCELLED).count()
    assert saved.status_code == 302 and saved["Location"] == f"{CLOSURES}{closure.pk}/change/"
    assert (cancelled, closure.status, closure.foyers_notified) == (3, "done", 2)
    assert len(mail.outbox) == 2
    progress = agent_client.get(f"{CLOSURES}{closure.pk}/progression/").content.decode()
    assert "3 réservations annulées sur 3" in progress and "2 familles prévenues" in progress
    assert "data-hx-get" not in progress  # done: no more polling


def test_values_changed_after_the_preview_are_shown_again_before_saving(
    agent_client, strike_day, tenant_a, in_tenant
):
    preview = agent_client.post(f"{CLOSURES}add/", form(strike_day.service))
    fingerprint = preview.context["adminform"].form.data["confirmed"]
    again = agent_client.post(
        f"{CLOSURES}add/",
        form(strike_day.service, end="13/03/2026", confirmed=fingerprint),
    )
    assert again.status_code == 200
    assert "Avant de confirmer" in again.content.decode()
    assert again.context["adminform"].form.non_field_errors() == [CONFIRM]
    with in_tenant(tenant_a):
        assert not Closure.objects.exists()


def test_a_bad_closure_says_why_in_the_form(agent_client, strike_day, tenant_a, in_tenant):
    response = agent_client.post(f"{CLOSURES}add/", form(strike_day.service, start="01/03/2026"))
    page = response.content.decode()
    assert "Une fermeture ne peut pas commencer avant aujourd" in page
    assert "Avant de confirmer" not in page


def test_undoing_a_closure_says_what_stays_cancelled(
    agent_client, strike_day, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    preview = agent_client.post(f"{CLOSURES}add/", form(strike_day.service))
    fingerprint = preview.context["adminform"].form.data["confirmed"]
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            f"{CLOSURES}add/", form(strike_day.service, confirmed=fingerprint, publish_news="on")
        )
    with in_tenant(tenant_a):
        closure = Closure.objects.get()
    page = agent_client.get(f"{CLOSURES}{closure.pk}/delete/").content.decode()
    assert escape(undo_warning(3)) in page
    assert "est retirée de « Mes actualités »" in page
    assert agent_client.post(f"{CLOSURES}{closure.pk}/delete/", {"post": "yes"}).status_code == 302
    with in_tenant(tenant_a):
        assert not Closure.objects.exists()
        assert Booking.objects.filter(day=STRIKE, state=State.CANCELLED).count() == 3
    assert undo_warning(0) == UNDO_NOTHING
    assert undo_warning(1).startswith("La réservation annulée par cette fermeture le restera")


@pytest.mark.parametrize("role", [Role.REGISSEUR, Role.COMPTABLE])
def test_readers_see_closures_and_close_nothing(role, client_a, strike_day, tenant_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=role).user)
    assert client_a.get(CLOSURES).status_code == 200
    assert client_a.get(f"{CLOSURES}add/").status_code == 403
    assert client_a.post(f"{CLOSURES}add/", form(strike_day.service)).status_code == 403
