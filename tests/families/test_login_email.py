"""One login e-mail per foyer, whatever its case: the admin, the wizard and the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils.html import escape

from families.exceptions import ActivationEmailMismatch
from families.models import FOYER_EMAIL_TAKEN, Foyer
from families.services import ActivationData, adhesion_code_issue, foyer_activate
from tenants.models import Role
from tests.factories import FoyerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_a_second_foyer_with_the_same_login(client_a, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        FoyerFactory(name="ROUX", email="roux@exemple.test")
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    response = client_a.post(
        "/admin/families/foyer/add/",
        {
            "name": "ROUX BIS",
            "email": "Roux@Exemple.TEST",
            **{
                f"{prefix}-{key}": value
                for prefix in ("responsables", "children", "quotients")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )
    assert response.status_code == 200
    assert escape(FOYER_EMAIL_TAKEN) in response.content.decode()
    with in_tenant(tenant_a):
        assert Foyer.objects.filter(name="ROUX BIS").count() == 0


def test_the_database_refuses_it_too_and_blank_logins_are_many(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        FoyerFactory(email="martin@exemple.test")
        FoyerFactory(email="")
        FoyerFactory(email="")  # foyers without a login yet: as many as needed
        with pytest.raises(IntegrityError), transaction.atomic():
            Foyer.objects.create(name="AUTRE", email="MARTIN@exemple.test")


def test_the_wizard_cannot_take_a_login_another_foyer_has(tenant_a, in_tenant):
    # The wizard's login is the address the mairie wrote to (issue 12): another foyer's
    # address typed in is refused, and nothing changes.
    with in_tenant(tenant_a):
        FoyerFactory(name="DURAND", email="durand@exemple.test")
        invited = FoyerFactory(name="PETIT", email="petit@exemple.test")
        _, code = adhesion_code_issue(foyer=invited)
        data = ActivationData(
            household_name="PETIT",
            email="Durand@exemple.test",
            password="Cantine-Mardi-12h",
            responsables=[{"civilite": "MME", "last_name": "PETIT", "first_name": "Anne"}],
            children=[],
        )
        with pytest.raises(ActivationEmailMismatch):
            foyer_activate(code=code, data=data)
        invited.refresh_from_db()
        assert (invited.email, invited.user_id) == ("petit@exemple.test", None)
