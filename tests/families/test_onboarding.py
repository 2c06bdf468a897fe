"""Both ways of joining a collectivité, end to end through the views."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils.html import escape

from families.exceptions import CodeAlreadyUsed, CodeOtherCollectivite
from families.forms.onboarding import EXISTING_ACCOUNT_PASSWORD
from families.models import Child, Foyer, Responsable
from families.services import adhesion_code_issue, adhesion_code_send
from tenants.models import Adhesion
from tests.factories import ChildFactory, FoyerFactory, ResponsableFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Cantine-Mardi-12h"
WIZARD = "activation_wizard-current_step"


@pytest.fixture
def staff_foyer(tenant_a, in_tenant):
    """A foyer the mairie created: responsable 1 and two children, no account yet."""
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="TESTMP", email="mpersonnaz@exemple.test")
        ResponsableFactory(foyer=foyer, civilite="M", last_name="TESTMP", first_name="Marc")
        ChildFactory(foyer=foyer, last_name="TESTMP", first_name="Clara")
        ChildFactory(foyer=foyer, last_name="TESTMP", first_name="Guilhem")
    return foyer


def _activation_path(tenant_a, in_tenant, foyer, capture) -> str:
    """Send « Adhésion à un service » and return the link's path and query from the e-mail."""
    with in_tenant(tenant_a), capture(execute=True):
        adhesion_code_send(foyer=foyer)
    link = re.search(r"http://\S+activationCode=\S+", mail.outbox[-1].body).group(0)
    parts = urlsplit(link)
    assert parts.hostname == "alpha.localhost"
    return f"{parts.path}?{parts.query}"


def _wizard_posts(email: str, password: str, children: list[Child]) -> list[dict]:
    account = {
        WIZARD: "compte",
        "compte-household_name": "TESTMP",
        "compte-email": email,
        "compte-password1": password,
        "compte-password2": password,
    }
    responsables = {
        WIZARD: "responsables",
        "responsables-TOTAL_FORMS": "2",
        "responsables-INITIAL_FORMS": "1",
        "responsables-0-civilite": "M",
        "responsables-0-last_name": "TESTMP",
        "responsables-0-first_name": "Marc",
        "responsables-0-phone": "06 12 34 56 78",
        "responsables-0-email": email,
        "responsables-0-notification": "email",
        # Responsable 2 left empty: optional.
        "responsables-1-notification": "email",
    }
    kids = {WIZARD: "enfants", "enfants-TOTAL_FORMS": str(len(children))}
    kids["enfants-INITIAL_FORMS"] = str(len(children))
    for i, child in enumerate(children):
        kids |= {
            f"enfants-{i}-id": str(child.pk),
            f"enfants-{i}-last_name": child.last_name,
            f"enfants-{i}-first_name": child.first_name,
            f"enfants-{i}-birth_date": child.birth_date.isoformat(),
        }
    return [account, responsables, kids]


def test_flow_1_activation_link_creates_the_account_and_binds_the_foyer(
    tenant_a, in_tenant, staff_foyer, client_a, django_capture_on_commit_callbacks
):
    path = _activation_path(tenant_a, in_tenant, staff_foyer, django_capture_on_commit_callbacks)
    page = client_a.get(path, follow=True)
    assert page.redirect_chain == [("/creer-compte/", 302)]  # the code leaves the address bar
    body = page.content.decode()
    for label in ("COMPTE FAMILLE", "RESPONSABLES", "ENFANTS", "mpersonnaz@exemple.test"):
        assert label in body
    with in_tenant(tenant_a):
        children = list(staff_foyer.children.all())
    account, responsables, kids = _wizard_posts("mpersonnaz@exemple.test", PASSWORD, children)
    step2 = client_a.post("/creer-compte/", account)
    assert "Marc" in step2.content.decode()  # pre-filled responsable 1
    step3 = client_a.post("/creer-compte/", responsables)
    assert "Clara" in step3.content.decode() and "S'enregistrer" in step3.content.decode()
    done = client_a.post("/creer-compte/", kids, follow=True)
    body = done.content.decode()
    assert "Votre compte espace famille a bien été créé" in body
    assert "Accéder à mon espace famille" in body

    user = get_user_model().objects.get(email="mpersonnaz@exemple.test")
    assert user.check_password(PASSWORD)
    assert client_a.session["_auth_user_id"] == str(user.pk)
    assert Adhesion.objects.filter(user=user, collectivite=tenant_a).exists()
    with in_tenant(tenant_a):
        foyer = Foyer.objects.get(pk=staff_foyer.pk)
        assert foyer.user == user
        assert foyer.responsables.get().phone == "06 12 34 56 78"
    # The link is spent.
    again = client_a.get(path)
    assert again.status_code == 400
    assert escape(CodeAlreadyUsed.message) in again.content.decode()


def test_flow_1_with_an_existing_account_attaches_the_foyer_to_it(
    tenant_a, in_tenant, staff_foyer, client_a, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="mpersonnaz@exemple.test", password=PASSWORD)
    path = _activation_path(tenant_a, in_tenant, staff_foyer, django_capture_on_commit_callbacks)
    client_a.get(path)
    with in_tenant(tenant_a):
        children = list(staff_foyer.children.all())
    account, responsables, kids = _wizard_posts(existing.email, "Pas-le-bon-2026", children)
    wrong = client_a.post("/creer-compte/", account)
    assert escape(EXISTING_ACCOUNT_PASSWORD) in wrong.content.decode()
    account["compte-password1"] = account["compte-password2"] = PASSWORD
    client_a.post("/creer-compte/", account)
    client_a.post("/creer-compte/", responsables)
    client_a.post("/creer-compte/", kids)
    assert get_user_model().objects.filter(email=existing.email).count() == 1
    with in_tenant(tenant_a):
        assert Foyer.objects.get(pk=staff_foyer.pk).user == existing


def test_flow_1_is_atomic_when_the_code_is_spent_meanwhile(
    tenant_a, in_tenant, staff_foyer, client_a, django_capture_on_commit_callbacks
):
    path = _activation_path(tenant_a, in_tenant, staff_foyer, django_capture_on_commit_callbacks)
    client_a.get(path)
    with in_tenant(tenant_a):
        children = list(staff_foyer.children.all())
    account, responsables, kids = _wizard_posts("mpersonnaz@exemple.test", PASSWORD, children)
    client_a.post("/creer-compte/", account)
    client_a.post("/creer-compte/", responsables)
    # Meanwhile the mairie sends a new code: the one in this wizard is revoked.
    with in_tenant(tenant_a):
        adhesion_code_issue(foyer=staff_foyer)
    response = client_a.post("/creer-compte/", kids)
    assert response.status_code == 400
    assert not get_user_model().objects.filter(email="mpersonnaz@exemple.test").exists()
    with in_tenant(tenant_a):
        assert Foyer.objects.get(pk=staff_foyer.pk).user is None
        assert Responsable.objects.filter(foyer=staff_foyer, phone="06 12 34 56 78").count() == 0


def test_flow_1_cancel_forgets_everything(
    tenant_a, in_tenant, staff_foyer, client_a, django_capture_on_commit_callbacks
):
    path = _activation_path(tenant_a, in_tenant, staff_foyer, django_capture_on_commit_callbacks)
    client_a.get(path)
    client_a.post("/creer-compte/", _wizard_posts("x@exemple.test", PASSWORD, [])[0])
    response = client_a.post("/creer-compte/annuler/", follow=True)
    assert "rien n&#x27;a été enregistré" in response.content.decode()
    assert client_a.get("/creer-compte/").status_code == 400  # no code any more
    assert not get_user_model().objects.filter(email="x@exemple.test").exists()


def test_flow_1_refuses_a_link_of_another_collectivite(
    tenant_a, in_tenant, staff_foyer, client_b, django_capture_on_commit_callbacks
):
    path = _activation_path(tenant_a, in_tenant, staff_foyer, django_capture_on_commit_callbacks)
    response = client_b.get(path)
    assert response.status_code == 400
    assert "délivré par COMMUNE D&#x27;ALPHA" in response.content.decode()
    assert CodeOtherCollectivite


def test_flow_2_signup_confirm_login_and_join_by_code(
    tenant_a, in_tenant, staff_foyer, public_client, client_a, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        _, code = adhesion_code_issue(foyer=staff_foyer)
    with django_capture_on_commit_callbacks(execute=True):
        response = public_client.post(
            "/inscription/",
            {
                "household_name": "DUPOND",
                "email": "Test.Dupond@Exemple.test",
                "civilite": "MME",
                "last_name": "DUPOND",
                "first_name": "Anne",
                "phone": "06 00 00 00 00",
                "notification": "email",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="test.dupond@exemple.test")
    assert not user.is_active
    # Not confirmed yet: logging in says why.
    refused = public_client.post("/connexion/", {"username": user.email, "password": PASSWORD})
    assert "n&#x27;est pas encore confirmée" in refused.content.decode()

    link = re.search(r"http://\S+/inscription/confirmer/\S+", mail.outbox[-1].body).group(0)
    confirmed = public_client.get(urlsplit(link).path)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/connexion/?next=/abonnements/"
    logged = public_client.post(
        "/connexion/?next=/abonnements/",
        {"username": user.email, "password": PASSWORD, "next": "/abonnements/"},
        follow=True,
    )
    assert logged.redirect_chain[-1][0] == "/abonnements/"

    joined = public_client.post("/abonnements/", {"code": code}, follow=True)
    body = joined.content.decode()
    assert "Adhésion effectuée : COMMUNE D&#x27;ALPHA." in body
    assert "Vous pouvez réaliser des démarches pour les collectivités suivantes" in body
    assert "http://alpha.localhost/" in body
    with in_tenant(tenant_a):
        assert Foyer.objects.get(pk=staff_foyer.pk).user == user
    client_a.force_login(user)
    assert client_a.get("/reservations/").status_code == 200


def test_password_reset_email_goes_through_the_journal(
    client_a, django_capture_on_commit_callbacks
):
    user = UserFactory(email="oubli@exemple.test")
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post("/mot-de-passe/oublie/", {"email": "oubli@exemple.test"})
    (message,) = mail.outbox
    assert message.subject == "Nouveau mot de passe — Espace Famille"
    link = re.search(r"http://\S+/mot-de-passe/nouveau/\S+", message.body).group(0)
    form = client_a.get(urlsplit(link).path, follow=True)
    target = form.redirect_chain[-1][0]
    client_a.post(target, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
