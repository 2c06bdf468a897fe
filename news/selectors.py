"""Reads of the news: what a reader may see, the pages of « Mes actualités », an audience.

Who sees a post: it is online (``published_q``) and it is for every family, or for a site
where one of the reader's children has a booking holding a place (reservations.places) on
a day of the last twelve months or to come (``rules.audience_since``). The collectivité's
staff see every post, and may preview those not online yet. Anonymous visitors see only the
posts for every family, and only on the home page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from families.models import Foyer, Responsable
from news import rules
from news.models import Post
from news.rules import PublicationState
from reservations.models import Booking
from tenants.selectors import membership_role

PAGE_SIZE = 10
HOME_COUNT = 3


@dataclass(frozen=True)
class Reader:
    """Who reads: an account id (None: anonymous) and whether it is the collectivité's staff."""

    user_id: int | None = None
    is_staff: bool = False


ANONYMOUS = Reader()


def reader_for(*, user, collectivite) -> Reader:
    """Return the reader ``user`` is in ``collectivite`` (one query for an account, cached)."""
    if not user.is_authenticated:
        return ANONYMOUS
    is_staff = user.is_superuser or membership_role(user=user, collectivite=collectivite)
    return Reader(user_id=user.pk, is_staff=bool(is_staff))


def published_q(now: datetime) -> Q:
    """Posts online at ``now`` (rules.publication_state's PUBLISHED)."""
    return Q(publish_at__lte=now) & (Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now))


def publication_q(state: PublicationState, now: datetime) -> Q:
    """Posts in ``state`` at ``now``, for the admin's filter."""
    return {
        PublicationState.DRAFT: Q(publish_at__isnull=True),
        PublicationState.SCHEDULED: Q(publish_at__gt=now),
        PublicationState.PUBLISHED: published_q(now),
        PublicationState.WITHDRAWN: Q(publish_at__isnull=False, unpublish_at__lte=now),
    }[state]


def _site_bookings(now: datetime) -> QuerySet[Booking]:
    return Booking.objects.holding_place(now).filter(day__gte=rules.audience_since(now))


def audience_q(reader: Reader, now: datetime) -> Q:
    """Posts whose audience includes ``reader``."""
    if reader.is_staff:
        return Q()
    everyone = Q(service__isnull=True)
    if reader.user_id is None:
        return everyone
    own_site = _site_bookings(now).filter(
        child__foyer__user_id=reader.user_id, prestation__service_id=OuterRef("service_id")
    )
    return everyone | Q(Exists(own_site))


def visible_posts(*, reader: Reader, now: datetime) -> QuerySet[Post]:
    """Posts online for ``reader``, pinned first then newest, with their site."""
    return Post.objects.filter(published_q(now), audience_q(reader, now)).select_related("service")


def post_page(*, reader: Reader, number, now: datetime) -> Page:
    """Return page ``number`` of « Mes actualités » (a wrong number gives the first or last).

    Two queries whatever the number of posts: the count, then the page's posts with their
    site (the audience is a subquery of the same statement).
    """
    return Paginator(visible_posts(reader=reader, now=now), PAGE_SIZE).get_page(number)


def latest_posts(*, reader: Reader, now: datetime) -> list[Post]:
    """Return the HOME_COUNT posts the home page shows (one query)."""
    return list(visible_posts(reader=reader, now=now)[:HOME_COUNT])


def post_for_reader(*, reader: Reader, pk: int, now: datetime) -> Post | None:
    """Return post ``pk`` if ``reader`` may read it; staff also get drafts (a preview)."""
    posts = (
        Post.objects.select_related("service")
        if reader.is_staff
        else visible_posts(reader=reader, now=now)
    )
    return posts.filter(pk=pk).first()


def audience_foyers(*, post: Post, now: datetime) -> QuerySet[Foyer]:
    """Return the foyers ``post`` reaches, bound to an account, with what the e-mail needs.

    A foyer the mairie created but nobody activated has not joined the Espace Famille yet:
    it gets the mairie's adhesion e-mail, not its news.
    """
    foyers = Foyer.objects.filter(user__isnull=False)
    if post.service_id is not None:
        bookings = _site_bookings(now).filter(
            child__foyer_id=OuterRef("pk"), prestation__service_id=post.service_id
        )
        foyers = foyers.filter(Exists(bookings))
    return foyers.select_related("user").prefetch_related(
        Prefetch("responsables", queryset=Responsable.objects.order_by("rank"))
    )
