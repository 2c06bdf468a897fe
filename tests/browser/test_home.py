"""A parent's first visit, on a phone and on a desktop."""

from __future__ import annotations

import pytest

from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]


def test_collectivite_home_on_a_phone_then_log_in_and_open_the_menu(phone, live_url, tmp_path):
    page = phone
    page.goto(live_url(ALPHA["domain"]))
    assert page.locator("h1").inner_text() == ALPHA["name"]
    assert page.get_by_text(ALPHA["contact_person"]).is_visible()
    page.screenshot(path=tmp_path / "1-accueil-telephone.png", full_page=True)

    # On a phone the menu folds behind the toggler.
    assert not page.get_by_role("link", name="Mes réservations", exact=True).first.is_visible()
    page.get_by_role("button", name="Ouvrir le menu").click()
    page.locator("#menu.show").wait_for()  # Bootstrap adds .show once the menu has unfolded
    assert (
        page.get_by_role("navigation", name="Menu principal")
        .get_by_role("link", name="Contacts")
        .is_visible()
    )
    page.screenshot(path=tmp_path / "2-menu-ouvert.png")

    page.goto(live_url(ALPHA["domain"], "/connexion/"))
    page.get_by_label("Adresse e-mail").fill(SESSION_PARENT)
    page.get_by_label("Mot de passe").fill(SESSION_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_url(ALPHA["domain"]))
    assert "Bonjour Paula" in page.locator("main").inner_text()
    page.screenshot(path=tmp_path / "3-connecte.png", full_page=True)

    page.get_by_role("link", name="Mes réservations").last.click()
    page.wait_for_url("**/reservations/")
    assert page.locator("h1").inner_text() == "Mes réservations"


def test_public_portal_and_unknown_host(desktop, live_url, tmp_path):
    desktop.goto(live_url("localhost"))
    assert desktop.locator("h1").inner_text() == "Espace Famille"
    desktop.screenshot(path=tmp_path / "portail.png")

    response = desktop.goto(live_url("inconnue.localhost"))
    assert response.status == 404
    assert "Page introuvable" in desktop.content()
    assert ALPHA["name"] not in desktop.content()
