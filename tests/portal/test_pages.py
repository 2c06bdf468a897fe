"""Pages every collectivité and the root portal serve."""

from __future__ import annotations

import pytest
from django.test import Client

from tenants.models import Domain, Role
from tenants.services import adhesion_add
from tests.conftest import TEST_COLLECTIVITES
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
MENU = ["Actualités", "Mes réservations", "Mes factures", "Mes demandes", "Contacts"]


def test_tenant_home_shows_the_collectivite_and_its_contacts(client_a):
    body = client_a.get("/").content.decode()
    spec = TEST_COLLECTIVITES["alpha"]
    assert f'<h1 class="h2">{spec["name"]}</h1>'.replace("'", "&#x27;") in body
    for value in (spec["contact_person"], spec["phone"], spec["email"], "81000 ALPHA"):
        assert value in body
    for label in MENU:
        assert label in body
    assert TEST_COLLECTIVITES["beta"]["name"] not in body


def test_contacts_page_shows_the_reglement(client_b, client_a):
    assert "réservation le mardi avant 12h" in client_a.get("/contacts/").content.decode()
    body = client_b.get("/contacts/").content.decode()
    assert TEST_COLLECTIVITES["beta"]["contact_person"] in body
    assert "Règlement" not in body  # Beta has none


def test_tenant_home_runs_a_fixed_number_of_queries(client_a, django_assert_max_num_queries):
    # Host lookup cached by the middleware after the first request; anonymous: no session.
    # The latest news for every family: the schema's search_path, then one query.
    client_a.get("/")
    with django_assert_max_num_queries(2):
        client_a.get("/")


def test_family_page_query_count(tenant_a, client_a, django_assert_max_num_queries):
    parent = UserFactory()
    adhesion_add(user=parent, collectivite=tenant_a)
    client_a.force_login(parent)
    client_a.get("/actualites/")
    # search_path, session, user, adhesion check, staff role (news' reader); no post yet:
    # the paginator's count, and no page query (tests/news pins the page with posts).
    with django_assert_max_num_queries(6):
        assert client_a.get("/actualites/").status_code == 200


def test_public_home_lists_the_accounts_collectivites(
    tenant_a, tenant_b, public_client, django_assert_max_num_queries
):
    user = UserFactory()
    adhesion_add(user=user, collectivite=tenant_a)
    public_client.force_login(user)
    public_client.get("/")
    with django_assert_max_num_queries(5) as one:
        body = public_client.get("/").content.decode()
    assert "http://alpha.localhost/" in body
    assert "beta.localhost" not in body

    MembershipFactory(user=user, collectivite=tenant_b, role=Role.AGENT)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = public_client.get("/").content.decode()
    assert "http://beta.localhost/admin/" in body


def test_login_by_email_is_case_insensitive(client_a):
    user = UserFactory(email="marie.dupont@exemple.test")
    response = client_a.post(
        "/connexion/", {"username": "Marie.Dupont@Exemple.test", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert client_a.session["_auth_user_id"] == str(user.pk)


def test_login_with_a_wrong_password_says_so_in_french(client_a):
    UserFactory(email="marie.dupont@exemple.test")
    response = client_a.post(
        "/connexion/", {"username": "marie.dupont@exemple.test", "password": "mauvais"}
    )
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()
    assert "_auth_user_id" not in client_a.session


def test_host_lookup_is_cached_and_dropped_when_the_domain_changes(tenant_a):
    client = Client(HTTP_HOST="alpha.localhost")
    assert client.get("/").status_code == 200
    domain = Domain.objects.get(domain="alpha.localhost")
    domain.domain = "alpha-nouveau.localhost"
    domain.save()
    assert client.get("/").status_code == 404
    assert Client(HTTP_HOST="alpha-nouveau.localhost").get("/").status_code == 200
