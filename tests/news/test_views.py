"""« Mes actualités », a post, its attachment, and the home page's latest news."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from news.models import Post
from news.selectors import HOME_COUNT, PAGE_SIZE
from news.services import post_write
from news.views import NO_ATTACHMENT, POST_NOT_FOUND
from portal.decorators import NOT_A_FAMILY_HERE
from tenants.models import Role
from tests.factories import MembershipFactory
from tests.news.conftest import NOW, PDF, PNG, book, make_family, make_post, make_site, upload

pytestmark = pytest.mark.django_db

INDEX = reverse("news:index")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def detail_url(post) -> str:
    return reverse("news:detail", args=[post.pk])


def attachment_url(post) -> str:
    return reverse("news:attachment", args=[post.pk])


def listed_titles(body: str) -> list[str]:
    return re.findall(
        r'<h[23] id="actualite-\d+" class="h5 card-title"><a href="[^"]+">([^<]+)</a>', body
    )


@pytest.fixture
def family(tenant_a, in_tenant, client_a):
    family = make_family(tenant_a, in_tenant)
    client_a.force_login(family.user)
    return family


@pytest.fixture
def site_post(tenant_a, in_tenant):
    """A post with a PDF for the families of ECOLE DU BOURG, and that site's cantine."""
    with in_tenant(tenant_a):
        site, cantine = make_site()
        post = make_post(title="Fermeture du Bourg", service=site)
        post.attachment = upload(PDF, "fermeture.pdf")
        post_write(post=post)
    return post, cantine


def test_the_list_is_for_families(client_a):
    response = client_a.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_visible_posts_pinned_first(tenant_a, in_tenant, client_a, family):
    with in_tenant(tenant_a):
        make_post(title="Ancienne", publish_at=NOW - timedelta(days=20))
        make_post(title="Bienvenue", publish_at=NOW - timedelta(days=40), pinned=True)
        make_post(title="Récente", body="**Menu** de la semaine & <script>x()</script>")
        make_post(title="Demain", publish_at=NOW + timedelta(days=1))
    body = client_a.get(INDEX).content.decode()
    assert listed_titles(body) == ["Bienvenue", "Récente", "Ancienne"]
    assert "Menu de la semaine &amp;</p>" in body  # the excerpt: plain text, escaped once
    assert "<script>x()" not in body
    assert "Épinglée" in body


def test_the_archive_is_paginated(tenant_a, in_tenant, client_a, family):
    with in_tenant(tenant_a):
        for index in range(PAGE_SIZE + 3):
            make_post(title=f"Actualité {index:02d}", publish_at=NOW - timedelta(days=index))
    first = client_a.get(INDEX).content.decode()
    assert listed_titles(first) == [f"Actualité {i:02d}" for i in range(PAGE_SIZE)]
    assert "Page 1 sur 2" in first
    assert "Plus anciennes" in first and "Plus récentes" not in first
    second = client_a.get(INDEX, {"page": 2}).content.decode()
    assert listed_titles(second) == [f"Actualité {i:02d}" for i in range(PAGE_SIZE, PAGE_SIZE + 3)]
    assert "Page 2 sur 2" in second and "Plus récentes" in second
    # A page that does not exist shows the last one rather than an error.
    assert listed_titles(client_a.get(INDEX, {"page": 99}).content.decode()) == listed_titles(
        second
    )
    assert client_a.get(INDEX, {"page": "abc"}).status_code == 200


def test_the_list_runs_the_same_queries_for_1_and_20_posts(
    tenant_a, in_tenant, client_a, family, django_assert_max_num_queries
):
    with in_tenant(tenant_a):
        site, cantine = make_site()
        book(family.child, cantine)
        make_post(service=site)
    client_a.get(INDEX)
    # search_path, session, user, adhesion (family_required), staff role (the reader),
    # the paginator's count, the page's posts with their site and the audience subquery.
    with django_assert_max_num_queries(7) as one:
        assert len(listed_titles(client_a.get(INDEX).content.decode())) == 1
    with in_tenant(tenant_a):
        for index in range(19):
            make_post(title=f"Actualité {index}", service=site if index % 2 else None)
    with CaptureQueriesContext(connection) as twenty:
        assert len(listed_titles(client_a.get(INDEX).content.decode())) == PAGE_SIZE
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_a_post_and_its_safe_body(tenant_a, in_tenant, client_a, family):
    with in_tenant(tenant_a):
        post = make_post(
            title="Menus",
            body='## Semaine\n\n<img src=x onerror="alert(1)"> <script>alert(2)</script>**Frites**',
        )
    response = client_a.get(detail_url(post))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="titre-actualite" class="h3">Menus</h1>' in body
    assert "<h2>Semaine</h2>" in body and "<strong>Frites</strong>" in body
    assert "onerror" not in body and "alert(" not in body
    assert ">11 janvier 2026 à 09:00</time>" in body  # stored UTC, shown in Paris time
    assert "Aperçu" not in body


@pytest.mark.parametrize(
    "fields",
    [
        {"publish_at": None},
        {"publish_at": NOW + timedelta(minutes=5)},
        {"publish_at": NOW - timedelta(days=5), "unpublish_at": NOW},
    ],
)
def test_a_post_not_online_is_not_found(tenant_a, in_tenant, client_a, family, fields):
    with in_tenant(tenant_a):
        post = post_write(post=Post(title="T", body="B", attachment=upload(), **fields))
    assert client_a.get(detail_url(post)).status_code == 404
    assert client_a.get(attachment_url(post)).status_code == 404
    with in_tenant(tenant_a):
        Post.objects.filter(pk=post.pk).update(publish_at=NOW, unpublish_at=None)
    assert client_a.get(attachment_url(post)).status_code == 200


def test_staff_preview_a_draft(tenant_a, in_tenant, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    with in_tenant(tenant_a):
        post = make_post(publish_at=None)
    body = client_a.get(detail_url(post)).content.decode()
    assert "Aperçu réservé à la mairie" in body and "(brouillon)" in body


def test_a_site_post_and_its_attachment_for_the_sites_families(
    tenant_a, in_tenant, client_a, family, site_post
):
    post, cantine = site_post
    assert client_a.get(detail_url(post)).status_code == 404
    assert client_a.get(attachment_url(post)).status_code == 404
    with in_tenant(tenant_a):
        book(family.child, cantine)
    body = client_a.get(detail_url(post)).content.decode()
    assert "Ouvrir la pièce jointe (fermeture.pdf)" in body
    response = client_a.get(attachment_url(post))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="fermeture.pdf"'
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF


def test_the_attachment_type_comes_from_the_bytes(tenant_a, in_tenant, client_a, family):
    with in_tenant(tenant_a):
        post = make_post()
        post.attachment = upload(PNG, "photo.pdf")
        post_write(post=post)
    assert client_a.get(attachment_url(post))["Content-Type"] == "image/png"


def test_staff_download_any_attachment(tenant_a, client_a, site_post):
    post, _ = site_post
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    assert client_a.get(attachment_url(post)).status_code == 200


def test_no_attachment_is_not_found(tenant_a, in_tenant, client_a, family):
    with in_tenant(tenant_a):
        post = make_post()
    response = client_a.get(attachment_url(post))
    assert response.status_code == 404


def test_anonymous_cannot_download(client_a, site_post):
    post, _ = site_post
    for url in (attachment_url(post), detail_url(post)):
        response = client_a.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_another_collectivites_family_gets_nothing(
    tenant_a, tenant_b, in_tenant, client_a, client_b, site_post
):
    post, _ = site_post
    with in_tenant(tenant_a):
        post.service = None  # for every family of alpha
        post.save()
    beta = make_family(tenant_b, in_tenant)
    # On beta's domain the post does not exist (each collectivité its own schema) ...
    client_b.force_login(beta.user)
    for url in (attachment_url(post), detail_url(post)):
        assert client_b.get(url).status_code == 404
    # ... and alpha's domain refuses a family of beta.
    client_a.force_login(beta.user)
    response = client_a.get(attachment_url(post))
    assert response.status_code == 403
    assert escape(NOT_A_FAMILY_HERE) in response.content.decode()


def test_home_shows_the_latest_news_anonymous_only_for_every_family(
    tenant_a, in_tenant, client_a, site_post
):
    _, cantine = site_post
    with in_tenant(tenant_a):
        for index in range(HOME_COUNT + 1):
            make_post(title=f"Pour tous {index}", publish_at=NOW - timedelta(days=index + 2))
    body = client_a.get("/").content.decode()
    assert "Dernières actualités" in body
    assert listed_titles(body) == [f"Pour tous {i}" for i in range(HOME_COUNT)]

    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        book(family.child, cantine)
    client_a.force_login(family.user)
    body = client_a.get("/").content.decode()
    assert listed_titles(body) == ["Fermeture du Bourg", "Pour tous 0", "Pour tous 1"]


def test_home_without_news_has_no_news_section(client_a):
    assert "Dernières actualités" not in client_a.get("/").content.decode()


def test_messages_are_french():
    assert POST_NOT_FOUND.startswith("Cette actualité")
    assert NO_ATTACHMENT.startswith("Cette actualité")
