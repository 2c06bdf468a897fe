"""What a browser run of the parent pages found: greeting, the code button, times, the footer."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from portal.templatetags.portal_time import iso_seconds
from tenants.services import adhesion_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_non_member_is_not_greeted_by_name_and_is_told_how_to_join(client_a):
    stranger = UserFactory(first_name="Ophélie")
    client_a.force_login(stranger)
    body = client_a.get("/").content.decode()
    assert "Bonjour Ophélie" not in body
    assert "/abonnements/" in body


def test_a_member_is_greeted(client_a, tenant_a):
    parent = UserFactory(first_name="Ophélie")
    adhesion_add(user=parent, collectivite=tenant_a)
    client_a.force_login(parent)
    assert "Bonjour Ophélie" in client_a.get("/").content.decode()


def test_an_account_without_collectivite_gets_a_button_to_enter_a_code(public_client):
    public_client.force_login(UserFactory())
    body = public_client.get("/").content.decode()
    assert re.search(r'<a class="btn[^"]*" href="/abonnements/">Saisir un code', body)


def test_time_datetime_values_stop_at_the_second():
    value = datetime(2026, 1, 12, 8, 0, 5, 123456, tzinfo=UTC)
    assert iso_seconds(value) == "2026-01-12T09:00:05+01:00"


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_the_footer_links_the_accessibility_statement(host):
    from django.test import Client

    client = Client(HTTP_HOST=host)
    assert 'href="/accessibilite/"' in client.get("/").content.decode()
    page = client.get("/accessibilite/").content.decode()
    assert "Déclaration d'accessibilité" in page.replace("&#x27;", "'")
    assert "Défenseur des droits" in page
