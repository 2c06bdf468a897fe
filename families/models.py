"""Foyers, their responsables and their children, in the collectivité's schema."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import BigIntegerRangeField, DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower

from portal.models import Civilite, NotificationPreference
from portal.validators import ADDRESS_MAX_LENGTH, phone_validator, plain_text_validator

FOYER_EMAIL_TAKEN = (
    "Un autre foyer a déjà cette adresse e-mail de connexion : chaque foyer a la sienne "
    "(les majuscules ne comptent pas). Vérifiez l'adresse, ou retrouvez ce foyer par la "
    "recherche."
)


class Foyer(models.Model):
    """A family as the collectivité knows it; linked to a global account once activated."""

    name = models.CharField("nom du foyer", max_length=150, validators=[plain_text_validator])
    email = models.EmailField(
        "e-mail de connexion",
        blank=True,
        validators=[plain_text_validator],
        help_text="Adresse à laquelle la mairie envoie l'adhésion ; elle devient l'identifiant.",
    )
    # The account lives in the public schema; one account may hold foyers in several
    # collectivités (one per schema). DO_NOTHING: Django's cascade runs in the current schema
    # and cannot reach the foyers of other schemas; the database constraint refuses to delete
    # an account still bound to a foyer, which must be unbound first in its collectivité.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="compte",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    left_on = models.DateField(
        "a quitté les services le",
        null=True,
        blank=True,
        help_text=(
            "Date de départ de la famille. Ses données sont anonymisées après la durée de "
            "conservation de la collectivité, comptée depuis son départ ou sa dernière activité."
        ),
    )
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "foyer"
        verbose_name_plural = "foyers"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(user__isnull=False), name="foyer_one_per_user"
            ),
            # The login e-mail identifies one foyer, whatever its case.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="foyer_login_email_once",
                violation_error_message=FOYER_EMAIL_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Responsable(models.Model):
    """Responsable 1 or 2 of a foyer."""

    foyer = models.ForeignKey(
        Foyer, verbose_name="foyer", on_delete=models.CASCADE, related_name="responsables"
    )
    rank = models.PositiveSmallIntegerField(
        "rang", choices=[(1, "Responsable 1"), (2, "Responsable 2")], default=1
    )
    civilite = models.CharField("civilité", max_length=3, choices=Civilite.choices)
    last_name = models.CharField("nom", max_length=150, validators=[plain_text_validator])
    first_name = models.CharField("prénom", max_length=150, validators=[plain_text_validator])
    phone = models.CharField(
        "téléphone principal", max_length=20, blank=True, validators=[phone_validator]
    )
    phone_secondary = models.CharField(
        "téléphone secondaire", max_length=20, blank=True, validators=[phone_validator]
    )
    email = models.EmailField("e-mail principal", blank=True, validators=[plain_text_validator])
    email_secondary = models.EmailField(
        "e-mail secondaire", blank=True, validators=[plain_text_validator]
    )
    address = models.TextField(
        "adresse", blank=True, max_length=ADDRESS_MAX_LENGTH, validators=[plain_text_validator]
    )
    notification = models.CharField(
        "notification",
        max_length=10,
        choices=NotificationPreference.choices,
        default=NotificationPreference.EMAIL,
    )

    class Meta:
        verbose_name = "responsable"
        verbose_name_plural = "responsables"
        ordering = ["foyer", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["foyer", "rank"], name="responsable_rank_once"),
            models.CheckConstraint(
                condition=models.Q(rank__in=[1, 2]), name="responsable_rank_1_2"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_civilite_display()} {self.first_name} {self.last_name}"


class Sexe(models.TextChoices):
    FILLE = "F", "Fille"
    GARCON = "G", "Garçon"


class Regime(models.TextChoices):
    # CNIL: school catering may record dietary choices, never a religious label.
    CLASSIQUE = "classique", "Classique"
    VEGETARIEN = "vegetarien", "Végétarien"
    SANS_PORC = "sans_porc", "Sans porc"


class Child(models.Model):
    foyer = models.ForeignKey(
        Foyer, verbose_name="foyer", on_delete=models.CASCADE, related_name="children"
    )
    last_name = models.CharField("nom", max_length=150, validators=[plain_text_validator])
    first_name = models.CharField("prénom", max_length=150, validators=[plain_text_validator])
    birth_date = models.DateField("date de naissance")
    sexe = models.CharField("sexe", max_length=1, choices=Sexe.choices)
    school = models.CharField(
        "école / site", max_length=150, blank=True, validators=[plain_text_validator]
    )
    classe = models.CharField(
        "classe", max_length=50, blank=True, validators=[plain_text_validator]
    )
    regime = models.CharField(
        "régime alimentaire", max_length=12, choices=Regime.choices, default=Regime.CLASSIQUE
    )
    # Health data: shown only to staff roles holding families.view_health (tenants.rules).
    allergies = models.TextField("allergies", blank=True)
    pai = models.BooleanField("PAI (projet d'accueil individualisé)", default=False)

    class Meta:
        verbose_name = "enfant"
        verbose_name_plural = "enfants"
        ordering = ["foyer", "birth_date", "first_name"]
        permissions = [("view_health", "Voir les allergies et PAI")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class QuotientSource(models.TextChoices):
    CAF = "CAF", "CAF"
    MSA = "MSA", "MSA"


QUOTIENTS_OVERLAP = (
    "Ce foyer a déjà un quotient familial sur cette période : "
    "clôturez l'ancien avant d'en saisir un nouveau."
)


class QuotientFamilial(models.Model):
    """A quotient familial of a foyer over a period, set by staff, read-only for parents."""

    foyer = models.ForeignKey(
        Foyer, verbose_name="foyer", on_delete=models.CASCADE, related_name="quotients"
    )
    value = models.PositiveIntegerField("quotient familial")
    source = models.CharField("source", max_length=3, choices=QuotientSource.choices)
    valid_from = models.DateField("valable du")
    valid_to = models.DateField("au", null=True, blank=True)
    # History of who typed it; kept as a bare id when the staff account goes (see Foyer.user).
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="saisi par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("saisi le", auto_now_add=True)

    class Meta:
        verbose_name = "quotient familial"
        verbose_name_plural = "quotients familiaux"
        ordering = ["foyer", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="quotient_period_ordered",
            ),
            # One quotient at a time per foyer, whoever writes it (admin, import, shell).
            # Ranges only: the embedded PostgreSQL has no btree_gist for a plain foyer_id.
            # Model validation (full_clean) runs the same check and shows this message.
            ExclusionConstraint(
                name="quotient_periods_disjoint",
                expressions=[
                    (
                        Func(
                            F("foyer"),
                            F("foyer"),
                            Value("[]"),
                            function="int8range",
                            output_field=BigIntegerRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                    (
                        Func(
                            F("valid_from"),
                            F("valid_to"),
                            Value("[]"),
                            function="daterange",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message=QUOTIENTS_OVERLAP,
            ),
        ]

    def __str__(self) -> str:
        return f"QF {self.value} ({self.source})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "La fin de validité précède son début."})

    def validate_constraints(self, exclude=None):
        # In the foyer's admin page the foyer is the inline's parent, left out of the checks
        # (Django's InlineForeignKeyField): the periods of that foyer are checked all the
        # same, by the constraint quotient_periods_disjoint itself.
        if exclude and self.foyer_id is not None:
            exclude = set(exclude) - {"foyer"}
        super().validate_constraints(exclude=exclude)


class ImportStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Refusé"


class ImportJob(models.Model):
    """A confirmed import of foyers and children, run by a Celery worker, not the request.

    Progress (rows done) lives in the shared cache while the job runs: the rows are written
    in one transaction, invisible to the page that polls until the end.
    """

    file_name = models.CharField("fichier", max_length=255)
    storage_name = models.CharField("fichier temporaire", max_length=255, editable=False)
    format_index = models.PositiveSmallIntegerField("format", editable=False)
    # Bare id: staff accounts live in the public schema.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="lancé par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("lancé le", auto_now_add=True)
    status = models.CharField(
        "statut", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField("lignes", default=0)
    summary = models.JSONField("résultat", default=dict, blank=True)
    errors = models.JSONField("erreurs", default=list, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "import de foyers"
        verbose_name_plural = "imports de foyers"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.file_name} ({self.get_status_display()})"
