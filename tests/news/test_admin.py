"""The news admin: list, search, filters, writing with an attachment, preview, e-mail action."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from news.admin import EMAIL_QUEUED, SAVE_TO_PREVIEW
from news.exceptions import AttachmentTooBig, AttachmentTypeRefused, PostAlreadyEmailed
from news.models import Post
from news.rules import ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_MB
from tenants.models import Role
from tests.factories import MembershipFactory
from tests.news.conftest import EXE, NOW, PDF, make_post, make_site, stored_files, upload

pytestmark = pytest.mark.django_db

POSTS = "/admin/news/post/"
ADD = f"{POSTS}add/"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent_client(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


@pytest.fixture
def posts(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site, _ = make_site("ECOLE DU BOURG")
        return {
            "online": make_post(title="Menus de janvier", category="menu", pinned=True),
            "site": make_post(title="Fermeture du Bourg", category="fermeture", service=site),
            "draft": make_post(title="Kermesse", category="evenement", publish_at=None),
            "scheduled": make_post(title="Inscriptions", publish_at=NOW + timedelta(days=3)),
            "withdrawn": make_post(
                title="Ancienne", publish_at=NOW - timedelta(days=9), unpublish_at=NOW
            ),
        }


ALL = {"Menus de janvier", "Fermeture du Bourg", "Kermesse", "Inscriptions", "Ancienne"}


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _form(**values) -> dict:
    return {
        "title": "Menus de février",
        "category": "menu",
        "body": "**Lundi** : soupe <script>alert(1)</script>",
        "service": "",
        "publish_at_0": "12/01/2026",
        "publish_at_1": "08:00",
        "unpublish_at_0": "",
        "unpublish_at_1": "",
        **values,
    }


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", {"Menus de janvier", "Fermeture du Bourg", "Kermesse", "Inscriptions", "Ancienne"}),
        ("?q=bourg", {"Fermeture du Bourg"}),
        (
            "?q=actualit%C3%A9",
            {"Menus de janvier", "Fermeture du Bourg", "Kermesse", "Inscriptions", "Ancienne"},
        ),
        ("?category__exact=menu", {"Menus de janvier"}),
        ("?destinataires=toutes", {"Menus de janvier", "Kermesse", "Inscriptions", "Ancienne"}),
        ("?publication=publiee", {"Menus de janvier", "Fermeture du Bourg"}),
        ("?publication=brouillon", {"Kermesse"}),
        ("?publication=programmee", {"Inscriptions"}),
        ("?publication=retiree", {"Ancienne"}),
        ("?pinned__exact=1", {"Menus de janvier"}),
    ],
)
def test_changelist_search_and_filters(agent_client, posts, query, titles):
    response = agent_client.get(POSTS + query)
    assert response.status_code == 200
    assert {post.title for post in response.context["cl"].result_list} == titles


def test_filter_by_site(agent_client, posts):
    site = posts["site"].service
    body = agent_client.get(f"{POSTS}?destinataires={site.pk}").content.decode()
    assert "Familles du site ECOLE DU BOURG" in body
    assert "Fermeture du Bourg" in body and "Menus de janvier" not in body


def test_changelist_runs_the_same_queries_for_1_and_10_posts(tenant_a, in_tenant, agent_client):
    with in_tenant(tenant_a):
        site, _ = make_site()
        make_post(service=site)
    agent_client.get(POSTS)
    with CaptureQueriesContext(connection) as one:
        agent_client.get(POSTS)
    with in_tenant(tenant_a):
        for index in range(9):
            make_post(title=f"Actualité {index}", service=site if index % 2 else None)
    with CaptureQueriesContext(connection) as ten:
        agent_client.get(POSTS)
    assert len(ten.captured_queries) == len(one.captured_queries)


def test_add_page_renders_in_french(agent_client):
    body = agent_client.get(ADD).content.decode()
    for label in ("Titre", "Catégorie", "Pièce jointe", "En ligne à partir du", "Destinataires"):
        assert label in body
    assert escape(SAVE_TO_PREVIEW) in body
    assert '<option value="" selected>Toutes les familles</option>' in body


def test_add_a_post_with_its_attachment_then_preview_it(
    tenant_a, in_tenant, agent_client, _private_files
):
    response = agent_client.post(ADD, _form(attachment=upload(PDF, "menus.pdf"), _continue="1"))
    assert response.status_code == 302
    with in_tenant(tenant_a):
        post = Post.objects.get()
    assert post.publish_at == NOW - timedelta(hours=1)  # 08:00 in Paris is 07:00 UTC
    assert len(stored_files(_private_files)) == 1
    body = agent_client.get(response["Location"]).content.decode()
    assert "<strong>Lundi</strong> : soupe" in body  # the preview, sanitised
    assert "<script>alert(1)" not in body
    assert f'href="/actualites/{post.pk}/piece-jointe/"' in body
    # « Voir sur le site » leads to the family page of the post.
    (on_site,) = re.findall(r'href="(/admin/r/\d+/\d+/)"', body)
    assert agent_client.get(on_site)["Location"].endswith(f"/actualites/{post.pk}/")
    assert "En ligne" in agent_client.get(POSTS).content.decode()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (EXE, AttachmentTypeRefused().message),
        (PDF + b"0" * ATTACHMENT_MAX_BYTES, AttachmentTooBig(ATTACHMENT_MAX_MB).message),
    ],
)
def test_a_refused_attachment_is_said_in_french_and_nothing_is_stored(
    tenant_a, in_tenant, agent_client, _private_files, content, error
):
    response = agent_client.post(ADD, _form(attachment=upload(content, "menus.pdf")))
    assert response.status_code == 200
    assert escape(error) in response.content.decode()
    with in_tenant(tenant_a):
        assert not Post.objects.exists()
    assert stored_files(_private_files) == []


def test_send_by_email_action_sends_once(
    tenant_a, in_tenant, agent_client, posts, django_capture_on_commit_callbacks
):
    online, draft = posts["online"], posts["draft"]
    data = {"action": "send_by_email", "_selected_action": [online.pk, draft.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(POSTS, data)
    assert response.status_code == 302
    messages = _messages(response)
    assert EMAIL_QUEUED.format(count=1) in messages
    assert any("Kermesse" in message and "qu'une fois publiée" in message for message in messages)
    # The session parent's foyer is alpha's only activated one here.
    assert [message.to for message in mail.outbox] == [["parent@alpha.test"]]

    response = agent_client.post(
        POSTS, {"action": "send_by_email", "_selected_action": [online.pk]}
    )
    assert PostAlreadyEmailed("Menus de janvier", "12/01/2026 à 09:00").message in _messages(
        response
    )
    assert len(mail.outbox) == 1


def test_a_comptable_reads_but_cannot_send(tenant_a, client_a, posts):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    response = client_a.get(POSTS)
    assert response.status_code == 200
    assert "send_by_email" not in response.content.decode()
    assert client_a.get(ADD).status_code == 403


def test_a_closure_post_leads_to_its_closure(agent_client, posts, tenant_a, in_tenant):
    import datetime as dt

    from reservations.models import Closure

    post = posts["site"]
    page = agent_client.get(f"{POSTS}{post.pk}/change/").content.decode()
    assert "Créer la fermeture annoncée" in page
    assert f"/admin/reservations/closure/add/?service={post.service_id}&amp;reason=" in page
    with in_tenant(tenant_a):
        closure = Closure.objects.create(
            service=post.service,
            start=dt.date(2026, 2, 6),
            end=dt.date(2026, 2, 6),
            reason="Formation",
            news_post=post,
        )
    page = agent_client.get(f"{POSTS}{post.pk}/change/").content.decode()
    assert f"/admin/reservations/closure/{closure.pk}/change/" in page
    assert "Créer la fermeture annoncée" not in page
