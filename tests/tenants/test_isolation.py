"""One collectivité's staff, families and rows never reach another's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from families.models import Foyer
from portal.admin_sites import ADMIN_INVALID_LOGIN, NOT_PLATFORM_ADMIN, NOT_STAFF_HERE
from portal.decorators import NOT_A_FAMILY_HERE
from tenants.models import Role
from tenants.services import adhesion_add
from tests.conftest import TEST_COLLECTIVITES
from tests.factories import DEFAULT_PASSWORD, FoyerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_query_in_one_schema_never_returns_the_others_rows(tenant_a, tenant_b, in_tenant):
    with in_tenant(tenant_a):
        FoyerFactory(name="FOYER ALPHA")
    with in_tenant(tenant_b):
        FoyerFactory(name="FOYER BETA")
        assert "FOYER ALPHA" not in set(Foyer.objects.values_list("name", flat=True))
        assert Foyer.objects.filter(name="FOYER BETA").count() == 1
    with in_tenant(tenant_a):
        names = set(Foyer.objects.values_list("name", flat=True))
        assert "FOYER ALPHA" in names
        assert "FOYER BETA" not in names


def test_staff_of_one_collectivite_gets_403_on_the_others_admin(tenant_a, client_a, client_b):
    agent = MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user
    client_a.force_login(agent)
    client_b.force_login(agent)

    assert client_a.get("/admin/").status_code == 200
    assert client_a.get("/admin/families/foyer/").status_code == 200
    for path in ("/admin/", "/admin/families/foyer/", "/admin/families/child/add/"):
        response = client_b.get(path)
        assert response.status_code == 403, path
        assert escape(NOT_STAFF_HERE) in response.content.decode()


def test_staff_cannot_log_into_another_collectivites_admin(tenant_a, client_b):
    agent = MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user
    response = client_b.post(
        "/admin/login/", {"username": agent.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    # The same words as a wrong password: the right one is not confirmed.
    assert escape(ADMIN_INVALID_LOGIN) in response.content.decode()
    assert "_auth_user_id" not in client_b.session
    wrong = client_b.post("/admin/login/", {"username": agent.email, "password": "mauvais"})
    assert escape(ADMIN_INVALID_LOGIN) in wrong.content.decode()


def test_admin_lists_only_the_current_collectivites_rows(tenant_a, tenant_b, client_a, in_tenant):
    with in_tenant(tenant_a):
        FoyerFactory(name="FOYER ALPHA VISIBLE")
    with in_tenant(tenant_b):
        FoyerFactory(name="FOYER BETA CACHE")
    client_a.force_login(MembershipFactory(collectivite=tenant_a).user)
    body = client_a.get("/admin/families/foyer/").content.decode()
    assert "FOYER ALPHA VISIBLE" in body
    assert "FOYER BETA CACHE" not in body


def test_administrateur_sees_only_its_own_staff(tenant_a, tenant_b, client_a):
    admin_a = MembershipFactory(collectivite=tenant_a, role=Role.ADMINISTRATEUR).user
    MembershipFactory(collectivite=tenant_a, user__email="collegue@alpha.test")
    MembershipFactory(collectivite=tenant_b, user__email="secret@beta.test")
    client_a.force_login(admin_a)
    body = client_a.get("/admin/tenants/membership/").content.decode()
    assert "collegue@alpha.test" in body
    assert "secret@beta.test" not in body


def test_administrateur_adds_staff_by_email_to_its_own_collectivite(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.ADMINISTRATEUR).user)
    response = client_a.post(
        "/admin/tenants/membership/add/", {"email": "Nouvelle@Alpha.test", "role": "comptable"}
    )
    assert response.status_code == 302
    member = tenant_a.memberships.get(user__email="nouvelle@alpha.test")
    assert member.role == "comptable"
    assert not member.user.has_usable_password()


def test_roles_decide_what_staff_may_change(tenant_a, client_a):
    comptable = MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user
    client_a.force_login(comptable)
    assert client_a.get("/admin/families/foyer/").status_code == 200
    assert client_a.get("/admin/families/foyer/add/").status_code == 403
    assert client_a.get("/admin/tenants/membership/").status_code == 403


def test_platform_admin_admits_superusers_only(public_client):
    staff = UserFactory(is_staff=True)
    public_client.force_login(staff)
    response = public_client.get("/admin/")
    assert response.status_code == 403
    assert escape(NOT_PLATFORM_ADMIN) in response.content.decode()

    public_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert public_client.get("/admin/tenants/collectivite/").status_code == 200


def test_unknown_host_is_a_plain_404_naming_nobody(db):
    response = Client(HTTP_HOST="inconnue.localhost").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    for spec in TEST_COLLECTIVITES.values():
        assert spec["name"] not in body
    assert "Page introuvable" in body


def test_family_pages_only_for_families_of_this_collectivite(tenant_a, client_a, client_b):
    parent = UserFactory()
    adhesion_add(user=parent, collectivite=tenant_a)
    client_a.force_login(parent)
    client_b.force_login(parent)
    assert client_a.get("/reservations/").status_code == 200
    response = client_b.get("/reservations/")
    assert response.status_code == 403
    assert escape(NOT_A_FAMILY_HERE) in response.content.decode()


def test_family_pages_ask_anonymous_visitors_to_log_in(client_a):
    response = client_a.get("/factures/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=/factures/")
