"""Segregation of duties (régie): who bills is not who collects, unless an administrateur
grants an explicit exception, with a reason, recorded and revocable.

``may`` is what every screen and service of billing asks instead of ``has_perm`` alone.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.exceptions import BillingError
from billing.models import DutyCapability, DutyException
from tenants.selectors import membership_role

GRANT = "billing.grant_exception"
NOT_ALLOWED = "Seul un administrateur de la collectivité peut accorder une exception."
REASON_NEEDED = "Indiquez pourquoi cette exception est accordée : elle est journalisée."
NOT_STAFF = "Cette personne ne fait pas partie du personnel de la collectivité."
NOT_TO_ONESELF = "On ne s'accorde pas une exception à soi-même."
ALREADY = "Cette personne dispose déjà de ce droit."
UNKNOWN_CAPABILITY = "Ce droit ne fait pas l'objet d'exceptions."


def may(user, capability: str) -> bool:
    """Tell whether ``user`` may use ``capability`` here: by role, or by an active exception."""
    if user is None or not user.is_authenticated:
        return False
    if user.has_perm(capability):
        return True
    return DutyException.objects.filter(
        user_id=user.pk, capability=capability, revoked_at__isnull=True
    ).exists()


def duty_exception_grant(*, granted_by, user, capability: str, reason: str) -> DutyException:
    """Let ``user`` use ``capability`` despite their role; the administrateur says why."""
    reason = (reason or "").strip()
    if not granted_by.has_perm(GRANT):
        raise BillingError(NOT_ALLOWED)
    if capability not in DutyCapability.values:
        raise BillingError(UNKNOWN_CAPABILITY)
    if not reason:
        raise BillingError(REASON_NEEDED)
    if user.pk == granted_by.pk:
        raise BillingError(NOT_TO_ONESELF)
    if membership_role(user=user, collectivite=connection.tenant) is None:
        raise BillingError(NOT_STAFF)
    if user.has_perm(capability):
        raise BillingError(ALREADY)
    try:
        with transaction.atomic():
            return DutyException.objects.create(
                user_id=user.pk,
                user_email=user.email,
                capability=capability,
                reason=reason[:255],
                granted_by_id=granted_by.pk,
                granted_by_email=granted_by.email,
            )
    except IntegrityError as error:
        raise BillingError(ALREADY) from error


def duty_exception_revoke(*, exception: DutyException, by) -> None:
    """End an exception (kept in the record with the instant it ended)."""
    if not by.has_perm(GRANT):
        raise BillingError(NOT_ALLOWED)
    DutyException.objects.filter(pk=exception.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
