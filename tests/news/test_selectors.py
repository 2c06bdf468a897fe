"""Who sees which post: dates, audience (every family or one site), order, staff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from news.selectors import (
    ANONYMOUS,
    Reader,
    audience_foyers,
    latest_posts,
    post_for_reader,
    reader_for,
    visible_posts,
)
from reservations.models import BookingState
from tenants.models import Role
from tests.factories import FoyerFactory, MembershipFactory, UserFactory
from tests.news.conftest import NOW, book, make_family, make_post, make_site

pytestmark = pytest.mark.django_db


def titles(reader, now=NOW) -> list[str]:
    return [post.title for post in visible_posts(reader=reader, now=now)]


def test_online_from_publication_to_withdrawal(tenant_a, in_tenant):
    reader = Reader(user_id=None)
    with in_tenant(tenant_a):
        make_post(title="Brouillon", publish_at=None)
        make_post(title="Programmée", publish_at=NOW + timedelta(minutes=1))
        make_post(title="Tout juste en ligne", publish_at=NOW)
        make_post(
            title="Retirée",
            publish_at=NOW - timedelta(days=9),
            unpublish_at=NOW,
        )
        make_post(
            title="Bientôt retirée",
            publish_at=NOW - timedelta(days=9),
            unpublish_at=NOW + timedelta(minutes=1),
        )
        assert titles(reader) == ["Tout juste en ligne", "Bientôt retirée"]
        # A minute later, the scheduled post is online and the other one withdrawn.
        later = NOW + timedelta(minutes=1)
        assert titles(reader, later) == ["Programmée", "Tout juste en ligne"]


def test_a_site_post_reaches_the_families_with_a_booking_there(tenant_a, in_tenant):
    booked = make_family(tenant_a, in_tenant)
    elsewhere = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        bourg, cantine = make_site("ECOLE DU BOURG")
        _, other_cantine = make_site("ECOLE DU HAMEAU")
        book(booked.child, cantine)
        book(elsewhere.child, other_cantine)
        make_post(title="Pour tous", publish_at=NOW - timedelta(days=2))
        make_post(title="Fermeture du Bourg", service=bourg)
        assert titles(Reader(user_id=booked.user.pk)) == ["Fermeture du Bourg", "Pour tous"]
        assert titles(Reader(user_id=elsewhere.user.pk)) == ["Pour tous"]
        assert titles(ANONYMOUS) == ["Pour tous"]
        assert titles(Reader(user_id=booked.user.pk, is_staff=True)) == [
            "Fermeture du Bourg",
            "Pour tous",
        ]


@pytest.mark.parametrize(
    ("state", "day", "in_audience"),
    [
        (BookingState.VALIDATED, date(2026, 3, 2), True),
        (BookingState.PENDING_APPROVAL, date(2026, 1, 15), True),
        (BookingState.HELD, date(2026, 1, 15), True),
        (BookingState.CANCEL_REQUESTED, date(2026, 1, 15), True),
        (BookingState.VALIDATED, date(2025, 1, 12), True),  # 365 days ago
        # Not the site's families any more: a booking older than a year...
        (BookingState.VALIDATED, date(2025, 1, 11), False),
        # ... or one never sent, cancelled or refused.
        (BookingState.CART, date(2026, 1, 15), False),
        (BookingState.CANCELLED, date(2026, 1, 15), False),
        (BookingState.REFUSED, date(2026, 1, 15), False),
    ],
)
def test_which_bookings_make_a_sites_audience(tenant_a, in_tenant, state, day, in_audience):
    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        site, cantine = make_site()
        book(family.child, cantine, on=day, state=state)
        post = make_post(service=site)
        assert bool(titles(Reader(user_id=family.user.pk))) is in_audience
        assert (family.foyer in audience_foyers(post=post, now=NOW)) is in_audience


def test_a_hold_that_expired_unpaid_does_not_make_a_family_of_the_site(tenant_a, in_tenant):
    # The one place rule (reservations.places): an expired hold holds no place.
    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        site, cantine = make_site()
        book(family.child, cantine, state=BookingState.HELD, held_until=NOW - timedelta(minutes=1))
        post = make_post(service=site)
        assert titles(Reader(user_id=family.user.pk)) == []
        assert family.foyer not in audience_foyers(post=post, now=NOW)


def test_pinned_first_then_newest(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        make_post(title="Ancienne", publish_at=NOW - timedelta(days=30))
        make_post(title="Épinglée ancienne", publish_at=NOW - timedelta(days=60), pinned=True)
        make_post(title="Récente", publish_at=NOW - timedelta(hours=1))
        make_post(title="Épinglée récente", publish_at=NOW - timedelta(days=3), pinned=True)
        make_post(title="Moyenne", publish_at=NOW - timedelta(days=10))
        assert titles(ANONYMOUS) == [
            "Épinglée récente",
            "Épinglée ancienne",
            "Récente",
            "Moyenne",
            "Ancienne",
        ]
        latest = latest_posts(reader=ANONYMOUS, now=NOW)
        assert [p.title for p in latest] == ["Épinglée récente", "Épinglée ancienne", "Récente"]


def test_staff_preview_posts_families_cannot_see(tenant_a, in_tenant):
    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        draft = make_post(publish_at=None)
        for reader, seen in ((Reader(family.user.pk), None), (Reader(None, True), draft)):
            assert post_for_reader(reader=reader, pk=draft.pk, now=NOW) == seen


def test_reader_for(tenant_a, tenant_b, in_tenant):
    agent = MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user
    parent = UserFactory()
    assert reader_for(user=AnonymousUser(), collectivite=tenant_a) == ANONYMOUS
    assert reader_for(user=agent, collectivite=tenant_a) == Reader(agent.pk, is_staff=True)
    assert reader_for(user=agent, collectivite=tenant_b) == Reader(agent.pk, is_staff=False)
    assert reader_for(user=parent, collectivite=tenant_a) == Reader(parent.pk, is_staff=False)


def test_the_email_audience_is_the_activated_foyers(tenant_a, in_tenant):
    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        pending = FoyerFactory(email="pas-encore@exemple.test")  # the mairie's, not activated
        foyers = set(audience_foyers(post=make_post(), now=NOW))
    assert family.foyer in foyers
    assert pending not in foyers
