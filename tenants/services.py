"""Writes about collectivités and their staff."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import tenant_context

from tenants.exceptions import AlreadyStaff, LastAdministrateur
from tenants.models import ROLE_SUMMARIES, Adhesion, Collectivite, Domain, Membership, Role


@transaction.atomic
def collectivite_create(*, schema_name: str, name: str, domain: str, **fields) -> Collectivite:
    """Create a collectivité, its schema (migrated) and its primary domain."""
    collectivite = Collectivite(schema_name=schema_name, name=name, **fields)
    collectivite.full_clean()
    collectivite.save()
    Domain.objects.create(domain=domain, tenant=collectivite, is_primary=True)
    return collectivite


def _administrateurs_locked(collectivite: Collectivite) -> set[int]:
    """Lock and return the ids of the collectivité's active administrateurs.

    Two administrateurs demoting each other at the same time serialise here: the second
    sees that the first is no longer one. Locked in pk order, always the same.
    """
    return set(
        Membership.objects.select_for_update()
        .filter(collectivite=collectivite, role=Role.ADMINISTRATEUR, accepted_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def membership_role_change(*, member: Membership, role: str) -> Membership:
    """Give ``member`` the role ``role``; refuse to demote the last administrateur."""
    administrateurs = _administrateurs_locked(member.collectivite)
    if member.pk in administrateurs and role != Role.ADMINISTRATEUR and len(administrateurs) == 1:
        raise LastAdministrateur()
    member.role = role
    member.full_clean()
    member.save(update_fields=["role"])
    return member


@transaction.atomic
def membership_remove(*, collectivite: Collectivite, members) -> int:
    """Remove ``members`` from the staff of ``collectivite``; never its last administrateur."""
    ids = {member.pk for member in members}
    administrateurs = _administrateurs_locked(collectivite)
    if administrateurs and not administrateurs - ids:
        raise LastAdministrateur()
    deleted, _ = Membership.objects.filter(collectivite=collectivite, pk__in=ids).delete()
    return deleted


def invitation_url(member: Membership) -> str:
    """Return the absolute link of ``member``'s invitation, on its collectivité's domain."""
    from portal.links import site_url
    from portal.tokens import staff_invitation_token

    with tenant_context(member.collectivite):
        path = reverse(
            "staff_invitation",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
                "token": staff_invitation_token.make_token(member),
            },
        )
    return site_url(member.collectivite.get_primary_domain().domain, path)


@transaction.atomic
def membership_invite(
    *, collectivite: Collectivite, email: str, role: str, invited_by=None
) -> Membership:
    """Invite the person of ``email`` to the staff of ``collectivite`` with ``role``.

    Nothing is granted yet: the membership waits for its person to accept through the
    e-mailed link (single use, expiring). An unknown e-mail gets a new account without a
    password, chosen when accepting; an existing account consents the same way.
    """
    from portal.services import email_queue

    user_model = get_user_model()
    email = email.strip().lower()
    if Membership.objects.filter(collectivite=collectivite, user__email__iexact=email).exists():
        raise AlreadyStaff()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_model.objects.create_user(email=email)
    member = Membership(
        user=user, collectivite=collectivite, role=role, accepted_at=None, invited_by=invited_by
    )
    member.full_clean()
    member.save()
    url = invitation_url(member)
    email_queue(
        to=user.email,
        subject=f"Invitation au personnel de {collectivite.name} — Espace Famille",
        body=render_to_string(
            "portal/emails/staff_invitation.txt",
            {
                "member": member,
                "collectivite": collectivite,
                "role_summary": ROLE_SUMMARIES[Role(role)],
                "invited_by": invited_by,
                "url": url,
                "new_account": not user.has_usable_password(),
            },
        ),
        key=f"staff-invitation:{member.pk}",
        secrets=[url],
    )
    return member


@transaction.atomic
def membership_accept(*, member: Membership, password: str | None = None) -> Membership:
    """Accept ``member``'s invitation (its person consented); set the password if given."""
    locked = Membership.objects.select_for_update().select_related("user").get(pk=member.pk)
    if locked.accepted_at is None:
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
    user = locked.user
    fields = []
    if password:
        user.set_password(password)
        fields.append("password")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()  # the link came to this address
        fields.append("email_confirmed_at")
    if fields:
        user.save(update_fields=fields)
    return locked


@transaction.atomic
def membership_decline(*, member: Membership) -> None:
    """Withdraw an invitation its person declined (an accepted membership stays)."""
    Membership.objects.filter(pk=member.pk, accepted_at__isnull=True).delete()


def adhesion_add(*, user, collectivite: Collectivite) -> Adhesion:
    """Record that a family account joined ``collectivite`` (idempotent)."""
    adhesion, _ = Adhesion.objects.get_or_create(user=user, collectivite=collectivite)
    return adhesion
