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


def test_the_closure_post_comes_with_its_closure(
    tenant_a, in_tenant, monkeypatch, django_capture_on_commit_callbacks
):
    from reservations import policy
    from reservations.models import Closure
    from tenants.demo import staff_email
    from tenants.models import Role
    from tests.factories import MembershipFactory, PrestationFactory, UserFactory

    monkeypatch.setattr(demo, "DEMO_SCHEMA", "alpha")
    MembershipFactory(
        collectivite=tenant_a,
        role=Role.AGENT,
        user=UserFactory(email=staff_email("alpha", "agent")),
    )
    with in_tenant(tenant_a):
        site = Service.objects.create(name=demo.SITE, billing_mode="postfacturation")
        t1 = PrestationFactory(service=site, soir_t1=True)
        t2 = PrestationFactory(service=site, soir_t2=True)
        cantine = PrestationFactory(service=site, cantine=True)
        with django_capture_on_commit_callbacks(execute=True):
            demo.seed_news(tenant_a, now=NOW)
        post = Post.objects.get(title=demo.CLOSURE_TITLE)
        closure = Closure.objects.get(news_post=post)
        day = demo.closure_day(NOW)
        assert (closure.start, closure.end) == (day, day)
        assert set(closure.prestations.all()) == {t1, t2}
        # The grid agrees with the post: the evening garderie is closed that day, not the rest.
        assert policy.booking_refusal(prestation=t1, day=day, now=NOW)
        assert policy.booking_refusal(
            prestation=cantine, day=day, now=NOW
        ) != policy.booking_refusal(prestation=t1, day=day, now=NOW)
        demo.seed_news(tenant_a, now=NOW)
        assert Closure.objects.count() == 1
