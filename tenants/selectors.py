"""Reads about collectivités, their staff and their families."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q

from tenants.models import Adhesion, Collectivite, Domain, Membership


def membership_role(*, user, collectivite: Collectivite) -> str | None:
    """Return the user's staff role in ``collectivite`` (None if not staff there).

    Cached on the user object for the request: the admin asks it for every model it lists.
    """
    # getattr/setattr, not __dict__: request.user is a lazy proxy that forwards attributes
    # to the account, so the admin site and the permission backend share one cache.
    cache = getattr(user, "_tenant_roles", None)
    if cache is None:
        cache = {}
        user._tenant_roles = cache
    if collectivite.pk not in cache:
        cache[collectivite.pk] = (
            # An invitation not yet accepted gives no right.
            Membership.objects.filter(
                user=user, collectivite=collectivite, accepted_at__isnull=False
            )
            .values_list("role", flat=True)
            .first()
        )
    return cache[collectivite.pk]


def user_has_adhesion(*, user, collectivite: Collectivite) -> bool:
    """Tell whether a family account has joined ``collectivite``."""
    return Adhesion.objects.filter(user=user, collectivite=collectivite).exists()


@dataclass(frozen=True)
class AccountCollectivite:
    collectivite: Collectivite
    domain: str | None
    is_family: bool
    is_staff: bool


def collectivites_for_user(*, user) -> list[AccountCollectivite]:
    """Return the collectivités an account belongs to, as a family or as staff.

    Two queries whatever the number of collectivités: the collectivités, then their domains.
    """
    rows = (
        Collectivite.objects.collectivites()
        .annotate(
            is_family=Exists(Adhesion.objects.filter(collectivite=OuterRef("pk"), user=user)),
            is_staff=Exists(
                Membership.objects.filter(
                    collectivite=OuterRef("pk"), user=user, accepted_at__isnull=False
                )
            ),
        )
        .filter(Q(is_family=True) | Q(is_staff=True))
        .prefetch_related(
            Prefetch("domains", queryset=Domain.objects.filter(is_primary=True), to_attr="primary")
        )
        .order_by("name")
    )
    return [
        AccountCollectivite(
            collectivite=c,
            domain=c.primary[0].domain if c.primary else None,
            is_family=c.is_family,
            is_staff=c.is_staff,
        )
        for c in rows
    ]
