"""Services and the prestations they offer, with their booking rules."""

from __future__ import annotations

from django.contrib.postgres.fields import (
    ArrayField,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class BillingMode(models.TextChoices):
    PREPAIEMENT = "prepaiement", "Prépaiement"
    POSTFACTURATION = "postfacturation", "Post-facturation"


class Service(models.Model):
    """A service / site (« REGIE CANTINE - prépaiement », « BRENS - postfacturation »)."""

    name = models.CharField("nom", max_length=150)
    billing_mode = models.CharField(
        "mode de facturation", max_length=20, choices=BillingMode.choices
    )
    closed_during_school_holidays = models.BooleanField(
        "fermé pendant les vacances scolaires",
        default=True,
        help_text="Décochez pour un accueil de loisirs ouvert pendant les vacances.",
    )
    display_order = models.PositiveSmallIntegerField("ordre d'affichage", default=0)

    class Meta:
        verbose_name = "service / site"
        verbose_name_plural = "services / sites"
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class ForfaitPeriod(models.TextChoices):
    WEEK = "week", "La semaine"
    MONTH = "month", "Le mois"


class PrestationKind(models.TextChoices):
    UNIT = "unit", "À l'unité"
    HOURLY = "hourly", "À l'heure"
    FORFAIT = "forfait", "Forfait"


class BookingRuleKind(models.TextChoices):
    WEEKLY = "weekly", "Jour et heure, N semaines avant"
    DAYS_BEFORE = "days_before", "N jours avant, à une heure"


class CancellationRuleKind(models.TextChoices):
    SAME_AS_BOOKING = "same", "Même délai que la réservation"
    NOT_ALLOWED = "not_allowed", "Non autorisé sans absence justifiée"


WEEKDAYS = [(1, "Lundi"), (2, "Mardi"), (3, "Mercredi"), (4, "Jeudi"), (5, "Vendredi")]


class Prestation(models.Model):
    """What a child can be booked for on a day: « CANTINE », « UNITE DE GARDERIE MATIN »."""

    service = models.ForeignKey(
        Service, verbose_name="service", on_delete=models.PROTECT, related_name="prestations"
    )
    name = models.CharField("nom", max_length=150)
    kind = models.CharField(
        "type", max_length=10, choices=PrestationKind.choices, default=PrestationKind.UNIT
    )
    # ISO weekdays the prestation runs (1 = lundi … 5 = vendredi).
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(7)]),
        verbose_name="jours",
        default=list,
    )
    start_time = models.TimeField("début", null=True, blank=True)
    end_time = models.TimeField("fin", null=True, blank=True)
    capacity = models.PositiveIntegerField("places par jour")
    forfait_period = models.CharField(
        "période du forfait", max_length=5, choices=ForfaitPeriod.choices, blank=True
    )
    booking_rule = models.CharField(
        "délai de réservation", max_length=12, choices=BookingRuleKind.choices
    )
    rule_weekday = models.PositiveSmallIntegerField(
        "jour limite", choices=WEEKDAYS, null=True, blank=True
    )
    rule_weeks_ahead = models.PositiveSmallIntegerField("semaines d'avance", default=1)
    rule_days_before = models.PositiveSmallIntegerField("jours d'avance", default=1)
    rule_skip_non_working_days = models.BooleanField(
        "compter en jours ouvrés (la veille d'un lundi est le vendredi)", default=True
    )
    rule_time = models.TimeField("heure limite")
    cancellation_rule = models.CharField(
        "délai d'annulation",
        max_length=12,
        choices=CancellationRuleKind.choices,
        default=CancellationRuleKind.SAME_AS_BOOKING,
    )
    opening_date = models.DateField("réservable à partir du", null=True, blank=True)
    requires_approval = models.BooleanField("demandes validées par la mairie", default=False)
    is_meal = models.BooleanField("repas (compté dans la commande de la cuisine)", default=False)
    display_order = models.PositiveSmallIntegerField("ordre d'affichage", default=0)

    class Meta:
        verbose_name = "prestation"
        verbose_name_plural = "prestations"
        ordering = ["service", "display_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(booking_rule="weekly") | models.Q(rule_weekday__isnull=False),
                name="prestation_weekly_rule_has_weekday",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="forfait") | ~models.Q(forfait_period=""),
                name="prestation_forfait_has_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name
