"""Collectivités (tenants), their domains, their staff and the families who joined them.

All in the public schema: these rows say who may enter which schema.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_public_schema_name

from portal.storage import platform_storage

LOGO_MAX_BYTES = 1024 * 1024


class HolidayZone(models.TextChoices):
    A = "A", "Zone A"
    B = "B", "Zone B"
    C = "C", "Zone C"


class CollectiviteQuerySet(models.QuerySet):
    def collectivites(self) -> CollectiviteQuerySet:
        """Return the real collectivités, without the public schema's own row."""
        return self.exclude(schema_name=get_public_schema_name())


def logo_upload_to(instance: Collectivite, filename: str) -> str:
    return f"logos/{instance.schema_name}/{filename}"


def validate_logo_size(file) -> None:
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError("Le logo ne doit pas dépasser 1 Mo.")


class Collectivite(TenantMixin):
    """A commune (or syndicat) using the portal, with its own PostgreSQL schema."""

    name = models.CharField("nom", max_length=200)
    address = models.TextField("adresse", blank=True)
    phone = models.CharField("téléphone", max_length=60, blank=True)
    email = models.EmailField("e-mail", blank=True)
    opening_hours = models.TextField("horaires d'ouverture", blank=True)
    contact_person = models.CharField("personne à contacter", max_length=200, blank=True)
    holiday_zone = models.CharField(
        "zone de vacances scolaires", max_length=1, choices=HolidayZone.choices, default="C"
    )
    logo = models.ImageField(
        "logo",
        upload_to=logo_upload_to,
        storage=platform_storage,
        blank=True,
        validators=[
            FileExtensionValidator(["png", "jpg", "jpeg", "webp"]),
            validate_logo_size,
        ],
        help_text="PNG, JPEG ou WebP, 1 Mo au plus.",
    )
    payfip_identifier = models.CharField(
        "identifiant structure publique (PayFiP)",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "L'identifiant PayFiP compte 6 chiffres.")],
    )
    reglement = models.TextField(
        "règlement",
        blank=True,
        help_text="Règles de réservation et de paiement montrées aux familles.",
    )
    adhesion_code_days = models.PositiveSmallIntegerField(
        "validité des codes d'adhésion (jours)", default=60
    )
    data_retention_years = models.PositiveSmallIntegerField(
        "conservation des données des familles parties (années)", default=3
    )
    # The DPO (délégué à la protection des données) families write to, shown on « Données
    # personnelles » (RGPD art. 13: the notice names the DPO's contact).
    dpo_name = models.CharField(
        "délégué à la protection des données (DPO)", max_length=200, blank=True
    )
    dpo_email = models.EmailField("e-mail du DPO", blank=True)
    dpo_address = models.TextField("adresse postale du DPO", blank=True, max_length=500)
    parents_may_edit_children = models.BooleanField(
        "les familles peuvent corriger école, classe et régime de leurs enfants", default=False
    )
    created_on = models.DateTimeField("créée le", auto_now_add=True)

    # Creating a collectivité creates and migrates its schema; deleting one never drops data.
    auto_create_schema = True
    auto_drop_schema = False

    objects = CollectiviteQuerySet.as_manager()

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == get_public_schema_name()


class Domain(DomainMixin):
    class Meta:
        verbose_name = "domaine"
        verbose_name_plural = "domaines"

    def __str__(self) -> str:
        return self.domain


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    REGISSEUR = "regisseur", "Régisseur"
    COMPTABLE = "comptable", "Comptable"
    ADMINISTRATEUR = "administrateur", "Administrateur"


# What each role does, in one line, where an administrateur chooses one (tenants.rules has
# the exact rights).
ROLE_SUMMARIES = {
    Role.AGENT: (
        "gère les familles, les réservations, la facturation, les actualités et les demandes"
    ),
    Role.REGISSEUR: "encaisse les paiements et consulte le reste",
    Role.COMPTABLE: "consulte et exporte tout, sans rien modifier",
    Role.ADMINISTRATEUR: "a tous les droits, y compris sur le personnel de la collectivité",
}


class Membership(models.Model):
    """A staff member of one collectivité, with the role that decides what they may change."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="compte",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    created_at = models.DateTimeField("depuis le", auto_now_add=True)
    # An invitation is a membership not yet accepted: it gives no right until its person
    # follows the e-mailed link and accepts (tenants.services.membership_accept).
    accepted_at = models.DateTimeField(
        "invitation acceptée le", null=True, blank=True, default=timezone.now
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="invité par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "membre du personnel"
        verbose_name_plural = "membres du personnel"
        ordering = ["collectivite__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "collectivite"], name="membership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.collectivite})"


class Adhesion(models.Model):
    """A family account's access to a collectivité (« Adhésion aux collectivités »).

    The foyer itself lives in the collectivité's schema; this row lets the public portal list
    an account's collectivités without entering every schema.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="compte",
        on_delete=models.CASCADE,
        related_name="adhesions",
    )
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.CASCADE,
        related_name="adhesions",
    )
    created_at = models.DateTimeField("adhésion le", auto_now_add=True)

    class Meta:
        verbose_name = "adhésion"
        verbose_name_plural = "adhésions"
        ordering = ["collectivite__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "collectivite"], name="adhesion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.collectivite}"


class AdhesionCode(models.Model):
    """A single-use code that binds a family account to one foyer of one collectivité.

    Kept in the public schema so that « Gérer mes abonnements » on the root portal finds the
    collectivité of a code without entering every schema. Only a keyed hash of the code is
    stored; the code itself exists in the e-mail sent to the family.
    """

    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.CASCADE,
        related_name="adhesion_codes",
    )
    # The foyer lives in the collectivité's schema: no cross-schema foreign key.
    foyer_id = models.BigIntegerField("foyer")
    code_hash = models.CharField("empreinte du code", max_length=64, unique=True)
    email = models.EmailField("envoyé à", blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField("expire le")
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "code d'adhésion"
        verbose_name_plural = "codes d'adhésion"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["collectivite", "foyer_id"], name="adhesion_code_foyer")]

    def __str__(self) -> str:
        return f"Code du foyer {self.foyer_id} ({self.collectivite})"
