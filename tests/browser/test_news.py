"""The session parent reads the welcome post in Chromium, on a phone: the home page's latest
news, the post, then « Mes actualités ». Screenshots of each step.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from news.models import Category, Post
from tenants.models import Collectivite
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
TITLE = "Bienvenue sur votre nouvel espace famille"


@pytest.fixture
def welcome_post(browser, django_db_blocker):
    """Committed: alpha's pinned welcome post, online since yesterday, for every family."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            post = Post.objects.create(
                title=TITLE,
                category=Category.INFORMATION,
                pinned=True,
                publish_at=timezone.now() - timedelta(days=1),
                body="Réservez la **cantine** dans « Mes réservations ».\n\n- Mes factures",
            )
        connections.close_all()
    yield post
    with django_db_blocker.unblock():
        with tenant_context(alpha):
            post.delete()
        connections.close_all()


def test_the_parent_reads_the_welcome_post(welcome_post, phone, live_url, tmp_path):
    page = phone
    page.goto(live_url(ALPHA, "/connexion/"))
    page.get_by_label("Adresse e-mail").fill(SESSION_PARENT)
    page.get_by_label("Mot de passe").fill(SESSION_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_url(ALPHA))

    latest = page.get_by_role("region", name="Dernières actualités")
    assert "Épinglée" in latest.inner_text()
    page.screenshot(path=tmp_path / "1-accueil-actualites.png", full_page=True)

    latest.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/actualites/{welcome_post.pk}/")
    assert page.locator("h1").inner_text() == TITLE
    article = page.locator("article")
    assert article.locator("strong").inner_text() == "cantine"
    assert "Pour toutes les familles" in article.inner_text()
    page.screenshot(path=tmp_path / "2-actualite.png", full_page=True)

    page.get_by_role("navigation", name="Fil d'Ariane").get_by_role(
        "link", name="Mes actualités"
    ).click()
    page.wait_for_url("**/actualites/")
    assert page.locator("h1").inner_text() == "Mes actualités"
    assert page.get_by_role("heading", name=TITLE).is_visible()
    page.screenshot(path=tmp_path / "3-mes-actualites.png", full_page=True)
