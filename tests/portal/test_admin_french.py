"""The admin's titles in French: articles, elision and agreement on every page kind."""

from __future__ import annotations

import pytest

from tenants.models import Role
from tests.factories import ChildFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client_a, tenant_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


def title(response) -> str:
    return response.context["title"]


def test_add_change_list_and_delete_titles_agree(agent_client, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        child = ChildFactory()
    assert title(agent_client.get("/admin/news/post/add/")) == "Ajout d'une actualité"
    assert title(agent_client.get("/admin/families/foyer/add/")) == "Ajout d'un foyer"
    page = agent_client.get(f"/admin/families/child/{child.pk}/change/")
    assert title(page) == "Modification de l'enfant"
    assert title(agent_client.get(f"/admin/families/foyer/{child.foyer_id}/change/")) == (
        "Modification du foyer"
    )
    listing = agent_client.get("/admin/news/post/")
    assert title(listing) == "Actualités"
    assert "Ajouter une actualité</a>" in listing.content.decode()
    actions = dict(listing.context["action_form"].fields["action"].choices)
    assert actions["delete_selected"] == "Supprimer les actualités sélectionnées"
    children = dict(
        agent_client.get("/admin/families/child/").context["action_form"].fields["action"].choices
    )
    assert children["delete_selected"] == "Supprimer les enfants sélectionnés"
    add = agent_client.get("/admin/reservations/closure/add/").content.decode()
    assert "&rsaquo; Ajout d&#x27;une fermeture" in add
    delete = agent_client.get(f"/admin/families/child/{child.pk}/delete/")
    assert title(delete) == "Suppression de l'enfant"


def test_a_reader_consults(client_a, tenant_a, in_tenant):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    with in_tenant(tenant_a):
        child = ChildFactory()
    assert title(client_a.get(f"/admin/families/child/{child.pk}/change/")) == (
        "Consultation de l'enfant"
    )
