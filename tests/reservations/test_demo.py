"""The demo's full Wednesday: refusing its pending request books the first child waiting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from reservations import demo
from reservations.lifecycle import Reason, State
from reservations.models import Booking, Prestation, WaitingListEntry
from tenants.models import Role
from tests.factories import ChildFactory, FoyerFactory, MembershipFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 12, 9, tzinfo=dt.UTC)  # a Monday: the day is Wednesday 21/01


@pytest.fixture
def valdurenque_here(tenant_a, in_tenant, monkeypatch):
    """The session collectivité alpha with Valdurenque's services and four demo children."""
    monkeypatch.setitem(demo.SERVICES, "alpha", demo.SERVICES["valdurenque"])
    demo.seed_services(tenant_a)
    with in_tenant(tenant_a):
        testmp = FoyerFactory(name="TESTMP", email="famille.testmp@exemple.test")
        for first_name, foyer in (
            ("Clara", testmp),
            ("Guilhem", testmp),
            ("Léa", FoyerFactory(name="DURAND", email="famille.durand@exemple.test")),
            ("Hugo", FoyerFactory(name="MARTIN")),
        ):
            ChildFactory(foyer=foyer, first_name=first_name, last_name=foyer.name)
    return tenant_a


def test_the_full_day_is_seeded_once_through_the_services(valdurenque_here, in_tenant):
    day = demo.seed_full_day(valdurenque_here, now=NOW)
    assert day == dt.date(2026, 1, 21) and day.isoweekday() == 3
    assert demo.seed_full_day(valdurenque_here, now=NOW + dt.timedelta(days=30)) == day
    with in_tenant(valdurenque_here):
        prestation = Prestation.objects.get(name=demo.LOISIRS)
        assert prestation.requires_approval and prestation.capacity == 3
        states = dict(
            Booking.objects.filter(prestation=prestation).values_list("child__first_name", "state")
        )
        assert states == {"Guilhem": "validated", "Hugo": "validated", "Clara": "pending"}
        (waiting,) = WaitingListEntry.objects.waiting()
        assert (waiting.child.first_name, waiting.day) == ("Léa", day)


def test_the_agent_refuses_the_pending_request_and_lea_gets_the_place(
    valdurenque_here, in_tenant, client_a, django_capture_on_commit_callbacks
):
    day = demo.seed_full_day(valdurenque_here, now=NOW)
    with in_tenant(valdurenque_here):
        pending = Booking.objects.get(state=State.PENDING_APPROVAL)
    client_a.force_login(MembershipFactory(collectivite=valdurenque_here, role=Role.AGENT).user)
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(
            "/admin/reservations/booking/",
            {
                "action": "refuse",
                "_selected_action": [pending.pk],
                "confirmer": "oui",
                "motif": "Dossier d'inscription incomplet",
            },
        )
    with in_tenant(valdurenque_here):
        lea = Booking.objects.get(child__first_name="Léa", day=day)
        # The mairie approves this prestation: Léa's place is a request it answers next.
        assert (lea.state, lea.state_reason) == (State.PENDING_APPROVAL, Reason.WAITLIST_PROMOTION)
    (promoted,) = [m for m in mail.outbox if m.to == ["famille.durand@exemple.test"]]
    assert "Une place s'est libérée" in promoted.subject
    assert f"{demo.LOISIRS} le {day:%d/%m/%Y}" in promoted.body
