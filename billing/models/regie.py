"""The régie's records: SEPA mandates and debit runs, reminders, and the logged exceptions
to the segregation of duties."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from billing.models._fields import MONEY


class SepaMandate(models.Model):
    """A foyer's authorisation to debit its account (one active at a time)."""

    foyer = models.ForeignKey(
        "families.Foyer", verbose_name="foyer", on_delete=models.PROTECT, related_name="mandates"
    )
    rum = models.CharField("référence unique du mandat (RUM)", max_length=35, unique=True)
    holder = models.CharField("titulaire du compte", max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    signed_on = models.DateField("signé le")
    revoked_on = models.DateField("révoqué le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "mandat de prélèvement SEPA"
        verbose_name_plural = "mandats de prélèvement SEPA"
        ordering = ["foyer", "-signed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["foyer"], condition=Q(revoked_on__isnull=True), name="mandate_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rum} — {self.holder}"

    @property
    def iban_masked(self) -> str:
        return f"{self.iban[:4]} **** **** {self.iban[-4:]}"


class DebitRun(models.Model):
    """One pain.008 file: the invoices debited on a collection date."""

    collection_date = models.DateField("date d'échéance du prélèvement")
    message_id = models.CharField("identifiant du message", max_length=35, unique=True)
    total = models.DecimalField("montant", **MONEY)
    count = models.PositiveIntegerField("prélèvements")
    xml = models.TextField("fichier pain.008")
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "lot de prélèvements"
        verbose_name_plural = "lots de prélèvements"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Prélèvements du {self.collection_date:%d/%m/%Y} ({self.count})"


class DebitItem(models.Model):
    run = models.ForeignKey(
        DebitRun, verbose_name="lot", on_delete=models.PROTECT, related_name="items"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", verbose_name="facture", on_delete=models.PROTECT, related_name="+"
    )
    mandate = models.ForeignKey(
        SepaMandate, verbose_name="mandat", on_delete=models.PROTECT, related_name="+"
    )
    end_to_end_id = models.CharField("référence de bout en bout", max_length=35, unique=True)
    amount = models.DecimalField("montant", **MONEY)
    payment = models.OneToOneField(
        "billing.Payment", verbose_name="paiement", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "prélèvement"
        verbose_name_plural = "prélèvements"
        ordering = ["run", "pk"]

    def __str__(self) -> str:
        return self.end_to_end_id


class Reminder(models.Model):
    """A reminder e-mail sent for an unpaid invoice: once per level (delay)."""

    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name="facture",
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    level = models.PositiveSmallIntegerField("relance n°")
    days = models.PositiveSmallIntegerField("jours après l'échéance")
    balance = models.DecimalField("reste dû", **MONEY)
    sent_at = models.DateTimeField("envoyée le", auto_now_add=True)

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="reminder_once_per_level")
        ]

    def __str__(self) -> str:
        return f"Relance {self.level}"


class DutyCapability(models.TextChoices):
    COLLECT = "billing.collect", "Encaisser et rapprocher les paiements"
    ISSUE = "billing.issue", "Émettre des factures"
    CORRECT = "billing.correct", "Émettre des avoirs"


class DutyException(models.Model):
    """An administrateur lets one staff member do what the régie rule keeps from their role,
    explicitly, with a reason; logged, revocable, never deleted."""

    user = models.ForeignKey(
        "portal.User",
        verbose_name="agent",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    user_email = models.EmailField("e-mail de l'agent")
    capability = models.CharField("droit accordé", max_length=20, choices=DutyCapability.choices)
    reason = models.CharField("motif", max_length=255)
    granted_by = models.ForeignKey(
        "portal.User",
        verbose_name="accordé par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    granted_by_email = models.EmailField("e-mail de l'administrateur")
    granted_at = models.DateTimeField("accordé le", auto_now_add=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "exception à la séparation des tâches"
        verbose_name_plural = "exceptions à la séparation des tâches"
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "capability"],
                condition=Q(revoked_at__isnull=True),
                name="duty_exception_once",
            ),
            models.CheckConstraint(
                condition=~Q(user=models.F("granted_by")), name="duty_exception_not_to_oneself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_email} : {self.get_capability_display()}"
