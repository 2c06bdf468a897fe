"""A post saved without a date says it is a draft and offers « Publier maintenant »; its
attachment shows its own name, never where it is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.utils.html import escape

from news.admin import PUBLISHED_NOW, SAVED_AS_DRAFT
from news.models import Post
from tenants.models import Role
from tests.factories import MembershipFactory
from tests.news.conftest import NOW, PDF, make_post, upload

pytestmark = pytest.mark.django_db
POSTS = "/admin/news/post/"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent_client(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


def test_a_post_without_date_is_said_a_draft_then_published_now(
    agent_client, tenant_a, in_tenant, _private_files
):
    response = agent_client.post(
        f"{POSTS}add/",
        {
            "title": "Kermesse",
            "category": "evenement",
            "body": "Samedi à 14 h.",
            "service": "",
            "attachment": upload(PDF, "programme kermesse.pdf"),
            "_continue": "1",
        },
    )
    warning = [str(m) for m in get_messages(response.wsgi_request)]
    assert SAVED_AS_DRAFT.format(title="Kermesse") in warning
    with in_tenant(tenant_a):
        post = Post.objects.get()
    page = agent_client.get(f"{POSTS}{post.pk}/change/").content.decode()
    assert "Brouillon : les familles ne voient pas cette actualité." in page
    assert ">Publier maintenant</button>" in page
    # The attachment by its name only: no collectivité schema, no folder, no random id.
    assert "programme kermesse.pdf</a>" in page or "programme_kermesse.pdf</a>" in page
    assert "alpha/news/" not in page
    published = agent_client.post(f"{POSTS}{post.pk}/publier/")
    assert published.status_code == 302
    assert PUBLISHED_NOW.format(title="Kermesse") in [
        str(m) for m in get_messages(published.wsgi_request)
    ]
    with in_tenant(tenant_a):
        post.refresh_from_db()
    assert post.publish_at == NOW
    assert (
        ">Publier maintenant</button>"
        not in agent_client.get(f"{POSTS}{post.pk}/change/").content.decode()
    )
    assert agent_client.get(f"{POSTS}{post.pk}/publier/").status_code == 405


def test_publish_now_puts_scheduled_and_withdrawn_posts_online(agent_client, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        later = make_post(title="Plus tard", publish_at=NOW + timedelta(days=3))
        gone = make_post(title="Retirée", publish_at=NOW - timedelta(days=9), unpublish_at=NOW)
    agent_client.post(
        POSTS,
        {"action": "publish_now", "_selected_action": [later.pk, gone.pk]},
    )
    with in_tenant(tenant_a):
        later.refresh_from_db()
        gone.refresh_from_db()
    assert (later.publish_at, later.unpublish_at) == (NOW, None)
    assert (gone.publish_at, gone.unpublish_at) == (NOW - timedelta(days=9), None)


def test_a_reader_cannot_publish(client_a, tenant_a, in_tenant):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    with in_tenant(tenant_a):
        draft = make_post(title="Brouillon", publish_at=None)
    assert client_a.post(f"{POSTS}{draft.pk}/publier/").status_code == 403
    assert (
        escape("Publier maintenant")
        not in client_a.get(f"{POSTS}{draft.pk}/change/").content.decode()
    )
