"""The children list, readable at 1 366 px: six columns, PAI and the foyer kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Role
from tests.factories import ChildFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def headers(response) -> list[str]:
    # Without the checkbox column.
    return [str(h["text"]) for h in response.context["result_headers"]][1:]


def test_the_columns_per_role_and_the_same_queries_for_1_or_20_children(
    client_a, tenant_a, in_tenant
):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    with in_tenant(tenant_a):
        ChildFactory(last_name="ROUX", first_name="Léa", school="BOURG", classe="CE1", pai=True)
    response = client_a.get("/admin/families/child/")
    assert headers(response) == [
        "enfant",
        "date de naissance",
        "école / classe",
        "régime alimentaire",
        "PAI (projet d'accueil individualisé)",
        "foyer",
    ]
    assert "ROUX Léa" in response.content.decode() and "BOURG — CE1" in response.content.decode()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client_a.get("/admin/families/child/")
        return len(queries)

    few = count()
    with in_tenant(tenant_a):
        ChildFactory.create_batch(20)
    assert count() == few
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    assert "PAI (projet d'accueil individualisé)" not in headers(
        client_a.get("/admin/families/child/")
    )
