"""« Mes demandes » in Chromium: the session parent writes with a PDF, an agent answers in the
admin, the parent reads the answer. Screenshots of each step.

Data is committed (the server runs in other threads) and removed afterwards; attachments go to
this test's own folder.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connections
from django_tenants.utils import tenant_context

from portal.models import OutgoingEmail
from requests_inbox.models import Thread
from tenants.models import Collectivite, Membership, Role
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES
from tests.requests_inbox.files import minimal_pdf

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
AGENT = "agent.demandes@alpha.test"
AGENT_PASSWORD = "Agent-Alpha-2026"
SUBJECT = "Attestation pour la CAF"


@pytest.fixture
def agent(browser, django_db_blocker, settings, tmp_path):
    """A committed agent of alpha; the session parent's threads and e-mails removed after."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        user = get_user_model().objects.create_user(
            email=AGENT, password=AGENT_PASSWORD, first_name="Agnès", last_name="AGENT"
        )
        Membership.objects.create(user=user, collectivite=alpha, role=Role.AGENT)
        connections.close_all()
    yield user
    with django_db_blocker.unblock():
        with tenant_context(alpha):
            Thread.objects.filter(foyer__user__email=SESSION_PARENT).delete()
            LogEntry.objects.filter(user=user).delete()  # the agent's change, in alpha's schema
        OutgoingEmail.objects.filter(schema_name="alpha", key__startswith="request-").delete()
        get_user_model().objects.filter(email=AGENT).delete()
        connections.close_all()


def log_in(page, url, email, password):
    page.goto(url)
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("[type=submit]").click()


def test_a_parent_writes_with_a_pdf_and_reads_the_agents_answer(
    agent, browser, phone, live_url, tmp_path
):
    pdf = tmp_path / "attestation-employeur.pdf"
    pdf.write_bytes(minimal_pdf("Attestation"))

    # The parent, on a phone, writes a request with a PDF.
    page = phone
    log_in(page, live_url(ALPHA, "/connexion/"), SESSION_PARENT, SESSION_PASSWORD)
    page.wait_for_url(live_url(ALPHA))
    page.goto(live_url(ALPHA, "/demandes/"))
    page.get_by_role("link", name="Nouvelle demande").click()
    page.get_by_label("Catégorie").select_option(label="Facturation")
    page.get_by_label("Objet").fill(SUBJECT)
    page.get_by_label("Message").fill("Bonjour,\nPouvez-vous m'envoyer l'attestation 2025 ?")
    page.get_by_label("Pièce jointe").set_input_files(pdf)
    page.screenshot(path=tmp_path / "1-nouvelle-demande.png", full_page=True)
    page.get_by_role("button", name="Envoyer la demande").click()
    page.get_by_text("Votre demande a été envoyée à la mairie.").wait_for()
    page.get_by_role("link", name="attestation-employeur.pdf").wait_for()
    page.screenshot(path=tmp_path / "2-demande-envoyee.png", full_page=True)

    # The agent, on a desktop, finds it unread in the admin and answers.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    admin = context.new_page()
    log_in(admin, live_url(ALPHA, "/admin/login/?next=/admin/"), AGENT, AGENT_PASSWORD)
    admin.goto(live_url(ALPHA, "/admin/requests_inbox/thread/?lecture=non_lues"))
    row = admin.locator("#result_list tbody tr", has_text=SUBJECT)
    assert "1 non lu" in row.inner_text()
    admin.screenshot(path=tmp_path / "3-admin-liste.png", full_page=True)
    row.get_by_role("link", name=SUBJECT).click()
    admin.get_by_role("link", name="attestation-employeur.pdf").wait_for()
    admin.locator("#id_reply").fill("Bonjour, la voici en pièce jointe.")
    admin.locator("#id_reply_attachment").set_input_files(pdf)
    admin.screenshot(path=tmp_path / "4-admin-reponse.png", full_page=True)
    admin.locator("[name=_save]").click()
    admin.locator(".messagelist").wait_for()
    context.close()

    # The parent sees the unread answer in the menu and the list, then reads it.
    page.goto(live_url(ALPHA, "/demandes/"))
    assert page.locator("#demandes-non-lues").inner_text().startswith("1")
    item = page.get_by_role("listitem").filter(has_text=SUBJECT)
    assert "1 non lu" in item.inner_text()
    assert "En attente de la famille" in item.inner_text()
    page.screenshot(path=tmp_path / "5-liste-reponse-non-lue.png", full_page=True)
    item.get_by_role("link", name=SUBJECT).click()
    answer = page.locator("article", has_text="la voici en pièce jointe")
    answer.get_by_role("link", name="attestation-employeur.pdf").wait_for()
    assert "Nouveau" in answer.inner_text()
    page.screenshot(path=tmp_path / "6-reponse-lue.png", full_page=True)
    page.goto(live_url(ALPHA, "/demandes/"))
    assert page.locator("#demandes-non-lues").count() == 0
