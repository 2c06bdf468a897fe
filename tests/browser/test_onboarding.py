"""Both onboarding flows in Chromium, with a screenshot of each step.

Data is committed (the server runs in other threads) and removed afterwards.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connections
from django_tenants.utils import tenant_context

from families.models import Child, Foyer, Responsable
from families.services import activation_link, adhesion_code_issue
from tenants.models import Adhesion, AdhesionCode, Collectivite
from tests.conftest import TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]
PASSWORD = "Cantine-Mardi-12h"
EMAILS = ["bernard.flux1@exemple.test", "dupond.flux2@exemple.test"]


@pytest.fixture
def pending_foyer(browser, django_db_blocker):
    """A committed foyer of alpha with a fresh code; everything it leads to is removed after."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            foyer = Foyer.objects.create(name="BERNARD", email=EMAILS[0])
            Responsable.objects.create(
                foyer=foyer, rank=1, civilite="MME", last_name="BERNARD", first_name="Sophie"
            )
            Child.objects.create(
                foyer=foyer,
                last_name="BERNARD",
                first_name="Lucas",
                birth_date="2016-10-05",
                sexe="G",
            )
            _, code = adhesion_code_issue(foyer=foyer)
        connections.close_all()
    yield alpha, foyer, code
    with django_db_blocker.unblock():
        AdhesionCode.objects.filter(foyer_id=foyer.pk, collectivite=alpha).delete()
        Adhesion.objects.filter(user__email__in=EMAILS).delete()
        with tenant_context(alpha):
            Foyer.objects.filter(pk=foyer.pk).delete()
        get_user_model().objects.filter(email__in=EMAILS).delete()
        connections.close_all()


def test_flow_1_activation_link_in_the_browser(pending_foyer, desktop, live_url, tmp_path):
    alpha, _, code = pending_foyer
    link = urlsplit(activation_link(collectivite=alpha, code=code, email=EMAILS[0]))
    page = desktop
    page.goto(live_url(ALPHA["domain"], f"{link.path}?{link.query}"))
    assert page.get_by_label("Nom de la famille").input_value() == "BERNARD"
    assert page.get_by_label("Adresse e-mail").input_value() == EMAILS[0]
    # Required fields' labels end with a "*": find these two by id.
    page.locator("#id_compte-password1").fill(PASSWORD)
    page.locator("#id_compte-password2").fill(PASSWORD)
    page.screenshot(path=tmp_path / "flux1-1-compte-famille.png", full_page=True)
    page.get_by_role("button", name="Suivant").click()

    assert page.locator("#id_responsables-0-first_name").input_value() == "Sophie"
    page.locator("#id_responsables-0-phone").fill("06 55 44 33 22")
    page.screenshot(path=tmp_path / "flux1-2-responsables.png", full_page=True)
    page.get_by_role("button", name="Suivant").click()

    assert page.locator("#id_enfants-0-first_name").input_value() == "Lucas"
    page.screenshot(path=tmp_path / "flux1-3-enfants.png", full_page=True)
    page.get_by_role("button", name="S'enregistrer").click()

    page.get_by_text("Votre compte espace famille a bien été créé").wait_for()
    page.screenshot(path=tmp_path / "flux1-4-compte-cree.png", full_page=True)
    page.get_by_role("link", name="Accéder à mon espace famille").click()
    assert "Bonjour Sophie" in page.locator("main").inner_text()


def test_flow_2_account_then_code_in_the_browser(pending_foyer, phone, live_url, tmp_path):
    _, _, code = pending_foyer
    page = phone
    page.goto(live_url("localhost", "/inscription/"))
    page.get_by_label("Nom du foyer").fill("DUPOND")
    page.get_by_label("E-mail principal (identifiant de connexion)").fill(EMAILS[1])
    page.get_by_label("Madame").check()
    page.locator("#id_last_name").fill("DUPOND")
    page.locator("#id_first_name").fill("Anne")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.screenshot(path=tmp_path / "flux2-1-creer-un-compte.png", full_page=True)
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Confirmez votre adresse e-mail").first.wait_for()
    page.screenshot(path=tmp_path / "flux2-2-email-envoye.png", full_page=True)

    body = next(m.body for m in reversed(mail.outbox) if m.to == [EMAILS[1]])
    confirm = re.search(r"http://\S+/inscription/confirmer/\S+", body).group(0)
    page.goto(live_url("localhost", urlsplit(confirm).path))
    page.get_by_text("Adresse e-mail confirmée").wait_for()
    page.get_by_label("Adresse e-mail").fill(EMAILS[1])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Gérer mes abonnements").wait_for()

    page.get_by_label("Code d'adhésion").fill(code.lower())
    page.screenshot(path=tmp_path / "flux2-3-code.png", full_page=True)
    page.get_by_role("button", name="Valider").click()
    page.get_by_text("Adhésion effectuée : COMMUNE D'ALPHA.").wait_for()
    page.screenshot(path=tmp_path / "flux2-4-adhesion-effectuee.png", full_page=True)
    page.get_by_role("link", name=ALPHA["name"]).click()
    assert page.locator("h1").inner_text() == ALPHA["name"]
