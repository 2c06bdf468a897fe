"""Global accounts and the e-mail journal, both in the public schema."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from portal.validators import plain_text_validator


class Civilite(models.TextChoices):
    MADAME = "MME", "Madame"
    MONSIEUR = "M", "Monsieur"


class NotificationPreference(models.TextChoices):
    EMAIL = "email", "E-mail"
    COURRIER = "courrier", "Courrier"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One person's account, shared by every collectivité: parents and staff log in by e-mail.

    What the person may do in a collectivité comes from their staff membership or their
    adhesion there, never from this row alone; ``is_staff`` only opens the platform admin.
    """

    email = models.EmailField("adresse e-mail", unique=True, validators=[plain_text_validator])
    first_name = models.CharField(
        "prénom", max_length=150, blank=True, validators=[plain_text_validator]
    )
    last_name = models.CharField(
        "nom", max_length=150, blank=True, validators=[plain_text_validator]
    )
    is_active = models.BooleanField("actif", default=True)
    is_staff = models.BooleanField(
        "équipe plateforme",
        default=False,
        help_text="Donne accès à l'administration de la plateforme (avec « superutilisateur »).",
    )
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)
    # What a parent gives when creating an account on the portal (seed 002), before any
    # collectivité knows them; copied to the foyer's responsable 1 when they join one.
    household_name = models.CharField(
        "nom du foyer", max_length=150, blank=True, validators=[plain_text_validator]
    )
    civilite = models.CharField("civilité", max_length=3, choices=Civilite.choices, blank=True)
    phone = models.CharField("téléphone principal", max_length=20, blank=True)
    phone_secondary = models.CharField("téléphone secondaire", max_length=20, blank=True)
    email_secondary = models.EmailField(
        "e-mail secondaire", blank=True, validators=[plain_text_validator]
    )
    notification = models.CharField(
        "notification",
        max_length=10,
        choices=NotificationPreference.choices,
        default=NotificationPreference.EMAIL,
    )
    email_confirmed_at = models.DateTimeField("e-mail confirmé le", null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "compte"
        verbose_name_plural = "comptes"
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class OutgoingEmail(models.Model):
    """One e-mail to one recipient for one event: sent once, retried until it is.

    The unique key makes queuing the same event twice harmless; the row is locked while
    sending so two workers never send it both.
    """

    schema_name = models.CharField("schéma", max_length=63, db_index=True)
    key = models.CharField("événement", max_length=200)
    recipient = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=255)
    # Links and codes are masked here (portal.sealing); the real ones wait, encrypted, in
    # ``sealed_secrets`` until the e-mail is sent, then are erased.
    body = models.TextField("texte")
    html_body = models.TextField("HTML", blank=True)
    sealed_secrets = models.TextField("secrets chiffrés", blank=True, editable=False)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)

    class Meta:
        verbose_name = "e-mail"
        verbose_name_plural = "e-mails"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["schema_name", "key", "recipient"], name="outgoing_email_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outgoing_email_pending",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
