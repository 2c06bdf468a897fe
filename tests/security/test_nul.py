"""NUL characters in a query string or a form: a clean 400, never a 500."""

from __future__ import annotations

import pytest

from portal.middleware import NUL_REFUSED
from tenants.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ADMIN_PATHS = [
    "/admin/families/foyer/?q=a%00b",
    "/admin/families/child/?school=%00",
    "/admin/families/foyer/?children__school=x%00",
    "/admin/autocomplete/?term=%00&app_label=families&model_name=child&field_name=foyer",
]


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_filters_and_autocomplete_refuse_nul(tenant_a, client_a, path):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    response = client_a.get(path)
    assert response.status_code == 400
    assert NUL_REFUSED in response.content.decode()


def test_a_form_with_nul_is_refused_and_changes_nothing(public_client):
    from django.contrib.auth import get_user_model

    response = public_client.post(
        "/inscription/", {"email": "nul@exemple.test", "last_name": "A\x00B"}
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(email="nul@exemple.test").exists()


def test_a_nul_in_a_parameter_name_is_refused(client_a):
    assert client_a.get("/actualites/?a%00=1").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "birth_date__year=-1",
        "birth_date__year=0",
        "birth_date__year=9999",
        "birth_date__year=99999999999999999999",
        "birth_date__month=13",
        "birth_date__day=x",
        "birth_date__year=2017&birth_date__month=99999999999999999999",
    ],
)
def test_admin_date_filters_at_the_calendars_ends_are_a_400(tenant_a, client_a, query):
    """Found by hypothesis (tests/security/test_hostile_input.py): these were 500s."""
    from portal.admin_sites import BAD_DATE_FILTER

    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    response = client_a.get(f"/admin/families/child/?{query}")
    assert response.status_code == 400
    assert BAD_DATE_FILTER.replace("'", "&#x27;") in response.content.decode() or (
        BAD_DATE_FILTER in response.content.decode()
    )
    assert client_a.get("/admin/families/child/?birth_date__year=2017").status_code == 200
