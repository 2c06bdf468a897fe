"""Staff: the last administrateur stays; an invitation grants nothing until accepted."""

from __future__ import annotations

import contextlib
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from tenants.exceptions import InvitationInvalid, LastAdministrateur
from tenants.models import Collectivite, Membership, Role
from tenants.services import membership_remove, membership_role_change
from tests.conftest import TEST_COLLECTIVITES
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

HOST = TEST_COLLECTIVITES["alpha"]["domain"]
NEW_PASSWORD = "Garderie-Soir-17h"


@pytest.fixture
def administrateur(tenant_a, client_a):
    member = MembershipFactory(collectivite=tenant_a, role=Role.ADMINISTRATEUR)
    client_a.force_login(member.user)
    return member


@pytest.mark.django_db
def test_the_last_administrateur_cannot_demote_itself(administrateur, client_a):
    url = f"/admin/tenants/membership/{administrateur.pk}/change/"
    response = client_a.post(url, {"role": Role.AGENT})
    assert response.status_code == 200
    assert escape(LastAdministrateur.message) in response.content.decode()
    administrateur.refresh_from_db()
    assert administrateur.role == Role.ADMINISTRATEUR


@pytest.mark.django_db
def test_the_last_administrateur_cannot_be_removed(administrateur, client_a, tenant_a):
    url = f"/admin/tenants/membership/{administrateur.pk}/delete/"
    response = client_a.post(url, {"post": "yes"}, follow=True)
    assert escape(LastAdministrateur.message) in response.content.decode()
    assert Membership.objects.filter(pk=administrateur.pk).exists()

    agent = MembershipFactory(collectivite=tenant_a, role=Role.AGENT)
    response = client_a.post(
        "/admin/tenants/membership/",
        {"action": "remove_selected", "_selected_action": [administrateur.pk, agent.pk]},
        follow=True,
    )
    assert escape(LastAdministrateur.message) in response.content.decode()
    assert Membership.objects.filter(pk__in=[administrateur.pk, agent.pk]).count() == 2


@pytest.mark.django_db
def test_with_two_administrateurs_one_may_step_down(administrateur, tenant_a, client_a):
    MembershipFactory(collectivite=tenant_a, role=Role.ADMINISTRATEUR)
    url = f"/admin/tenants/membership/{administrateur.pk}/change/"
    assert client_a.post(url, {"role": Role.AGENT}).status_code == 302
    administrateur.refresh_from_db()
    assert administrateur.role == Role.AGENT


@pytest.fixture
def two_administrateurs(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        members = [
            MembershipFactory(collectivite=alpha, role=Role.ADMINISTRATEUR) for _ in range(2)
        ]
        yield members
        for member in members:
            user = member.user
            member.delete()
            user.delete()


def test_two_administrateurs_demoting_each_other_at_once_leave_one(
    two_administrateurs, django_db_blocker
):
    """Real concurrent transactions: without the lock both would see two administrateurs."""
    start = threading.Barrier(2)

    def demote(member):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=10)
            membership_role_change(member=member, role=Role.AGENT)
            return "demoted"
        except LastAdministrateur:
            return "refused"
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        threads_out: list[str] = []
        workers = [
            threading.Thread(target=lambda m=m: threads_out.append(demote(m)))
            for m in two_administrateurs
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
        roles = sorted(
            Membership.objects.filter(pk__in=[m.pk for m in two_administrateurs]).values_list(
                "role", flat=True
            )
        )
    assert sorted(threads_out) == ["demoted", "refused"]
    assert roles == [Role.ADMINISTRATEUR, Role.AGENT]


@pytest.mark.django_db
def test_the_service_refuses_removing_every_administrateur(tenant_a):
    admins = [MembershipFactory(collectivite=tenant_a, role=Role.ADMINISTRATEUR) for _ in (1, 2)]
    with pytest.raises(LastAdministrateur):
        membership_remove(collectivite=tenant_a, members=admins)
    assert membership_remove(collectivite=tenant_a, members=admins[:1]) == 1


def _invite(client_a, email: str, capture) -> str:
    with capture(execute=True):
        response = client_a.post(
            "/admin/tenants/membership/add/", {"email": email, "role": Role.COMPTABLE}
        )
    assert response.status_code == 302
    link = re.search(r"http://\S+/invitation-personnel/\S+/", mail.outbox[-1].body).group(0)
    return link.split(HOST, 1)[1].lstrip(":0123456789")


@pytest.mark.django_db
def test_an_unknown_email_is_invited_and_chooses_a_password(
    administrateur, client_a, django_capture_on_commit_callbacks
):
    path = _invite(client_a, "nouvelle@exemple.test", django_capture_on_commit_callbacks)
    member = Membership.objects.get(user__email="nouvelle@exemple.test")
    assert member.accepted_at is None
    invited = Client(HTTP_HOST=HOST)
    assert invited.post("/admin/login/", {"username": "nouvelle@exemple.test"}).status_code == 200
    page = invited.get(path)
    assert "Comptable" in page.content.decode()
    response = invited.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, "accepter": "1"}
    )
    assert response.status_code == 302
    assert invited.get("/admin/").status_code == 200
    member.refresh_from_db()
    assert member.accepted_at is not None
    # Single use.
    again = Client(HTTP_HOST=HOST).get(path)
    assert again.status_code == 400
    assert escape(InvitationInvalid.message) in again.content.decode()


@pytest.mark.django_db
def test_an_existing_account_has_no_access_until_it_consents(
    administrateur, client_a, django_capture_on_commit_callbacks
):
    person = UserFactory(email="parent.agent@exemple.test")
    path = _invite(client_a, person.email, django_capture_on_commit_callbacks)
    staff = Client(HTTP_HOST=HOST)
    staff.force_login(person)
    assert staff.get("/admin/").status_code == 403  # invited, not yet a member
    assert staff.post(path, {"accepter": "1"}).status_code == 302
    person.refresh_from_db()
    assert person.check_password(DEFAULT_PASSWORD)  # an existing password is kept
    staff.force_login(person)
    assert staff.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_declined_or_expired_invitation_grants_nothing(
    administrateur, client_a, django_capture_on_commit_callbacks
):
    person = UserFactory(email="refus@exemple.test")
    path = _invite(client_a, person.email, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert Client(HTTP_HOST=HOST).post(path, {"accepter": "1"}).status_code == 400
    assert Client(HTTP_HOST=HOST).post(path, {"refuser": "1"}).status_code == 302
    assert not Membership.objects.filter(user=person).exists()
