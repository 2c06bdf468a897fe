"""The activation wizard: forged formset counts and a changed e-mail are refused cleanly."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils.html import escape

from families.forms.onboarding import RESPONSABLE_1_REQUIRED
from families.models import Foyer
from tests.families import test_onboarding as onboarding

pytestmark = pytest.mark.django_db
staff_foyer = onboarding.staff_foyer  # the same foyer as the end-to-end tests


@pytest.fixture
def started(tenant_a, in_tenant, staff_foyer, client_a, django_capture_on_commit_callbacks):
    path = onboarding._activation_path(
        tenant_a, in_tenant, staff_foyer, django_capture_on_commit_callbacks
    )
    client_a.get(path)
    with in_tenant(tenant_a):
        children = list(staff_foyer.children.all())
    return onboarding._wizard_posts(staff_foyer.email, onboarding.PASSWORD, children)


@pytest.mark.parametrize("total", ["0", "-1", "3", "999999999"])
def test_forged_responsable_count_is_a_french_error_not_a_500(
    started,
    client_a,
    tenant_a,
    in_tenant,
    staff_foyer,
    total,
):
    account, responsables, kids = started
    client_a.post("/creer-compte/", account)
    responsables["responsables-TOTAL_FORMS"] = total
    response = client_a.post("/creer-compte/", responsables)
    assert response.status_code == 200
    body = response.content.decode()
    assert escape(RESPONSABLE_1_REQUIRED) in body or "deux responsables au plus" in body
    # Finishing anyway (the last step posted directly) creates nothing.
    response = client_a.post("/creer-compte/", kids)
    assert response.status_code in (200, 400)
    assert not get_user_model().objects.filter(email=staff_foyer.email).exists()


def test_the_email_cannot_be_changed_in_the_wizard(
    started,
    client_a,
    tenant_a,
    in_tenant,
    staff_foyer,
):
    account, responsables, kids = started
    account["compte-email"] = "pirate@exemple.test"
    client_a.post("/creer-compte/", account)
    client_a.post("/creer-compte/", responsables)
    client_a.post("/creer-compte/", kids)
    users = get_user_model().objects
    assert not users.filter(email="pirate@exemple.test").exists()
    user = users.get(email="mpersonnaz@exemple.test")  # the address the mairie recorded
    assert user.email_confirmed_at is not None  # the link came to this very address
    with in_tenant(tenant_a):
        assert Foyer.objects.get(pk=staff_foyer.pk).email == "mpersonnaz@exemple.test"


def test_the_link_email_parameter_is_not_trusted(
    tenant_a,
    in_tenant,
    staff_foyer,
    client_a,
    django_capture_on_commit_callbacks,
):
    path = onboarding._activation_path(
        tenant_a, in_tenant, staff_foyer, django_capture_on_commit_callbacks
    )
    forged = path.replace("email=mpersonnaz%40exemple.test", "email=pirate%40exemple.test")
    body = client_a.get(forged, follow=True).content.decode()
    assert "pirate@exemple.test" not in body
    assert "mpersonnaz@exemple.test" in body
