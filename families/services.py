"""Writes about foyers: adhesion codes, activation (flow 1) and joining by code (flow 2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_tenants.utils import tenant_context

from families import rules
from families.exceptions import (
    AccountAlreadyHasFoyer,
    ActivationEmailMismatch,
    CodeAlreadyUsed,
    CodeExpired,
    CodeOtherCollectivite,
    CodeRevoked,
    CodeUnknown,
    FoyerEmailTaken,
    FoyerHasNoEmail,
    FoyerTakenByAnotherAccount,
    ResponsableMissing,
)
from families.models import Foyer, Responsable
from portal.links import site_url
from portal.services import email_queue
from tenants.models import AdhesionCode, Collectivite
from tenants.services import adhesion_add


def _hash(code: str) -> str:
    return rules.code_hash(code, key=settings.SECRET_KEY)


def adhesion_code_issue(
    *, foyer: Foyer, created_by=None, now: datetime | None = None, code: str | None = None
) -> tuple[AdhesionCode, str]:
    """Create a new code for ``foyer`` (current collectivité); return (row, clear code).

    Earlier unused codes of the foyer are revoked: only the latest e-mail works. ``code``
    imposes the code instead of drawing one (demo data only: a code printed in the README).
    """
    now = now or timezone.now()
    collectivite = connection.tenant
    with transaction.atomic():
        AdhesionCode.objects.filter(
            collectivite=collectivite, foyer_id=foyer.pk, used_at__isnull=True, revoked_at=None
        ).update(revoked_at=now)
        for _ in range(5):
            code = code or rules.code_generate()
            try:
                with transaction.atomic():
                    row = AdhesionCode.objects.create(
                        collectivite=collectivite,
                        foyer_id=foyer.pk,
                        code_hash=_hash(code),
                        email=foyer.email,
                        created_by=created_by,
                        expires_at=now + timedelta(days=collectivite.adhesion_code_days),
                    )
                return row, code
            except IntegrityError:  # 25^10 codes: a collision is rare, never fatal
                code = None
                continue
    raise RuntimeError("Could not draw a unique adhesion code")


def activation_link(*, collectivite: Collectivite, code: str, email: str) -> str:
    """Return the « créer mon compte » link of flow 1 for ``code``."""
    query = urlencode({"activationCode": code, "email": email})
    with tenant_context(collectivite):
        path = reverse("families:activate")
    return site_url(collectivite.get_primary_domain().domain, f"{path}?{query}")


def adhesion_code_send(
    *, foyer: Foyer, sent_by=None, now: datetime | None = None, code: str | None = None
) -> AdhesionCode:
    """E-mail « Adhésion à un service » to the foyer: a new code and the activation link."""
    if not foyer.email:
        raise FoyerHasNoEmail()
    collectivite = connection.tenant
    row, code = adhesion_code_issue(foyer=foyer, created_by=sent_by, now=now, code=code)
    context = {
        "foyer": foyer,
        "collectivite": collectivite,
        "code": code,
        "link": activation_link(collectivite=collectivite, code=code, email=foyer.email),
        "portal_url": site_url(settings.PORTAL_DOMAIN, "/"),
        "expires_on": date_format(timezone.localtime(row.expires_at), "d/m/Y"),
    }
    email_queue(
        to=foyer.email,
        subject="Adhésion à un service sur Espace Famille",
        body=render_to_string("families/emails/adhesion.txt", context),
        key=f"adhesion-code:{row.pk}",
        secrets=[code],
    )
    return row


def adhesion_code_check(
    *, code: str, collectivite: Collectivite | None = None, lock: bool = False, now=None
) -> AdhesionCode:
    """Return the usable code row for ``code`` or raise the error that tells the user why.

    With ``collectivite``, a code of another collectivité is refused. With ``lock``, the row
    stays locked until the caller's transaction ends (two tabs redeeming the same code).
    """
    now = now or timezone.now()
    normalized = rules.code_normalize(code)
    if not rules.code_is_well_formed(normalized):
        raise CodeUnknown()
    rows = AdhesionCode.objects.select_related("collectivite")
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(code_hash=_hash(normalized)).first()
    if row is None:
        raise CodeUnknown()
    if collectivite is not None and row.collectivite_id != collectivite.pk:
        raise CodeOtherCollectivite(row.collectivite.name)
    if row.used_at is not None:
        raise CodeAlreadyUsed()
    if row.revoked_at is not None:
        raise CodeRevoked()
    if row.expires_at <= now:
        raise CodeExpired(date_format(timezone.localtime(row.expires_at), "d/m/Y"))
    return row


def _bind_foyer(*, row: AdhesionCode, user, now) -> Foyer:
    """Attach the code's foyer to ``user`` and spend the code. Caller holds the code's lock."""
    foyer = Foyer.objects.select_for_update().get(pk=row.foyer_id)
    if foyer.user_id is not None and foyer.user_id != user.pk:
        raise FoyerTakenByAnotherAccount()
    if Foyer.objects.filter(user=user).exclude(pk=foyer.pk).exists():
        raise AccountAlreadyHasFoyer()
    foyer.user = user
    if not foyer.email and not Foyer.objects.filter(email__iexact=user.email).exists():
        foyer.email = user.email
    foyer.save(update_fields=["user", "email"])
    adhesion_add(user=user, collectivite=row.collectivite)
    row.used_at = now
    row.used_by = user
    row.save(update_fields=["used_at", "used_by"])
    return foyer


def adhesion_code_redeem(*, code: str, user, collectivite: Collectivite | None = None, now=None):
    """Flow 2: join the collectivité of ``code`` with an existing account; return it.

    Nothing changes unless everything does: the code, the foyer and the adhesion are written
    in one transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = adhesion_code_check(code=code, collectivite=collectivite, lock=True, now=now)
        with tenant_context(row.collectivite):
            foyer = _bind_foyer(row=row, user=user, now=now)
            if not foyer.responsables.exists() and user.civilite:
                Responsable.objects.create(
                    foyer=foyer,
                    rank=1,
                    civilite=user.civilite,
                    last_name=user.last_name,
                    first_name=user.first_name,
                    phone=user.phone,
                    phone_secondary=user.phone_secondary,
                    email=user.email,
                    email_secondary=user.email_secondary,
                    notification=user.notification,
                )
    return row.collectivite


@dataclass
class ActivationData:
    """What the three steps of the activation wizard collected."""

    household_name: str
    email: str
    password: str
    responsables: list[dict]
    children: list[dict]


def foyer_activate(*, code: str, data: ActivationData, existing_user=None, now=None):
    """Flow 1: create (or reuse) the account, update the foyer from the wizard, spend the code.

    Runs in the current collectivité's schema, in one transaction: if any step fails nothing
    is created. ``existing_user`` is the account that already owns ``data.email`` (its
    password was checked by the wizard). Returns the account.
    """
    now = now or timezone.now()
    collectivite = connection.tenant
    if not data.responsables:
        raise ResponsableMissing()
    with transaction.atomic():
        row = adhesion_code_check(code=code, collectivite=collectivite, lock=True, now=now)
        # The link went to the address the mairie recorded: that address, and only it, is
        # confirmed by following it, and it stays the foyer's.
        recorded = Foyer.objects.filter(pk=row.foyer_id).values_list("email", flat=True).first()
        if not recorded or data.email.lower() != recorded.lower():
            raise ActivationEmailMismatch()
        first = data.responsables[0]
        user = existing_user
        if user is None:
            user = get_user_model().objects.create_user(
                email=data.email,
                password=data.password,
                first_name=first["first_name"],
                last_name=first["last_name"],
                household_name=data.household_name,
                civilite=first["civilite"],
                phone=first.get("phone", ""),
                email_confirmed_at=now,  # the link came to this address
            )
        foyer = _bind_foyer(row=row, user=user, now=now)
        if Foyer.objects.filter(email__iexact=data.email).exclude(pk=foyer.pk).exists():
            raise FoyerEmailTaken()
        foyer.name = data.household_name
        foyer.save(update_fields=["name"])
        for rank, values in enumerate(data.responsables, start=1):
            Responsable.objects.update_or_create(foyer=foyer, rank=rank, defaults=values)
        foyer.responsables.filter(rank__gt=len(data.responsables)).delete()
        children = {child.pk: child for child in foyer.children.all()}
        for values in data.children:
            child = children.get(values["id"])
            if child is None:  # not this foyer's child: ignore a forged id
                continue
            for field in ("last_name", "first_name", "birth_date"):
                setattr(child, field, values[field])
            child.full_clean()
            child.save()
    return user
