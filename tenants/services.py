"""Writes about collectivités and their staff."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from tenants.models import Adhesion, Collectivite, Domain, Membership


@transaction.atomic
def collectivite_create(*, schema_name: str, name: str, domain: str, **fields) -> Collectivite:
    """Create a collectivité, its schema (migrated) and its primary domain."""
    collectivite = Collectivite(schema_name=schema_name, name=name, **fields)
    collectivite.full_clean()
    collectivite.save()
    Domain.objects.create(domain=domain, tenant=collectivite, is_primary=True)
    return collectivite


@transaction.atomic
def membership_add(*, collectivite: Collectivite, email: str, role: str) -> Membership:
    """Make the account of ``email`` staff of ``collectivite`` with ``role``.

    An unknown e-mail gets a new account without a password: its owner sets one through
    « Mot de passe oublié ».
    """
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_model.objects.create_user(email=email)
    member = Membership(user=user, collectivite=collectivite, role=role)
    member.full_clean()
    member.save()
    return member


def adhesion_add(*, user, collectivite: Collectivite) -> Adhesion:
    """Record that a family account joined ``collectivite`` (idempotent)."""
    adhesion, _ = Adhesion.objects.get_or_create(user=user, collectivite=collectivite)
    return adhesion
