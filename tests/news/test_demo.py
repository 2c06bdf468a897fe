"""The demo posts of `seed_demo`: Valdurenque's welcome post first, created once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from news import demo
from news.models import Category, Post
from news.selectors import ANONYMOUS, visible_posts
from reservations.models import Service
from tests.news.conftest import NOW

pytestmark = pytest.mark.django_db


def test_seed_news_once_with_the_welcome_post_pinned(tenant_a, tenant_b, in_tenant, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_SCHEMA", "alpha")
    with in_tenant(tenant_a):
        site = Service.objects.create(name=demo.SITE, billing_mode="postfacturation")
    assert demo.seed_news(tenant_a, now=NOW) == 4
    assert demo.seed_news(tenant_a, now=NOW + timedelta(days=30)) == 4
    assert demo.seed_news(tenant_b, now=NOW) == 0
    with in_tenant(tenant_a):
        shown = list(visible_posts(reader=ANONYMOUS, now=NOW))
        closure = Post.objects.get(category=Category.FERMETURE)
    assert shown[0].title == demo.WELCOME_TITLE
    assert shown[0].pinned and shown[0].category == Category.INFORMATION
    assert "Menus de la cantine" in [post.title for post in shown]
    assert closure.service_id == site.pk
    assert "<table>" in next(p for p in shown if p.category == Category.MENU).body_html
