"""Services, prestations, closures and bookings, in the collectivité's schema."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
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
    # What a prépaiement cart shows to pay; tariffs by quotient familial come with billing.
    unit_price = models.DecimalField(
        "prix à l'unité", max_digits=12, decimal_places=2, null=True, blank=True
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


class Closure(models.Model):
    """A day staff closed, for a whole service or one prestation."""

    service = models.ForeignKey(
        Service, verbose_name="service", on_delete=models.CASCADE, related_name="closures"
    )
    prestation = models.ForeignKey(
        Prestation,
        verbose_name="prestation (vide : tout le service)",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
    )
    day = models.DateField("jour")
    reason = models.CharField("motif", max_length=150)

    class Meta:
        verbose_name = "fermeture"
        verbose_name_plural = "fermetures"
        ordering = ["day"]
        indexes = [models.Index(fields=["service", "day"], name="closure_service_day")]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} — {self.reason}"


class PrestationDay(models.Model):
    """The capacity row of one prestation on one day: locked while places are counted.

    Created on first use; validations lock it (select_for_update) before counting the
    places taken, so two parents racing for the last place are served one after the other.
    """

    prestation = models.ForeignKey(
        Prestation, on_delete=models.CASCADE, related_name="days", verbose_name="prestation"
    )
    day = models.DateField("jour")
    capacity = models.PositiveIntegerField(
        "places (si différent)", null=True, blank=True, help_text="Vide : capacité habituelle."
    )

    class Meta:
        verbose_name = "jour de prestation"
        verbose_name_plural = "jours de prestation"
        constraints = [
            models.UniqueConstraint(fields=["prestation", "day"], name="prestation_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.prestation} {self.day:%d/%m/%Y}"


class BookingState(models.TextChoices):
    CART = "cart", "Dans le panier"
    HELD = "held", "En attente de paiement"
    PENDING_APPROVAL = "pending", "En attente de validation par la mairie"
    VALIDATED = "validated", "Demande validée"
    CANCEL_REQUESTED = "cancel_requested", "Demande d'annulation"
    CANCELLED = "cancelled", "Annulée"
    REFUSED = "refused", "Refusée"


# States that hold a place. A held prépaiement cart counts until its hold expires.
TAKEN_STATES = (
    BookingState.HELD,
    BookingState.PENDING_APPROVAL,
    BookingState.VALIDATED,
    BookingState.CANCEL_REQUESTED,
)
# States that block another booking of the same child, prestation and day.
ACTIVE_STATES = (BookingState.CART, *TAKEN_STATES)


class Booking(models.Model):
    child = models.ForeignKey(
        "families.Child", verbose_name="enfant", on_delete=models.PROTECT, related_name="bookings"
    )
    prestation = models.ForeignKey(
        Prestation, verbose_name="prestation", on_delete=models.PROTECT, related_name="bookings"
    )
    day = models.DateField("jour")
    state = models.CharField(
        "état", max_length=20, choices=BookingState.choices, default=BookingState.CART
    )
    held_until = models.DateTimeField("places retenues jusqu'au", null=True, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "réservation"
        verbose_name_plural = "réservations"
        ordering = ["day", "prestation"]
        constraints = [
            # One child is booked at most once per prestation and day, whatever races.
            models.UniqueConstraint(
                fields=["child", "prestation", "day"],
                condition=models.Q(state__in=[s.value for s in ACTIVE_STATES]),
                name="booking_once_per_child_day",
            )
        ]
        indexes = [
            models.Index(fields=["prestation", "day", "state"], name="booking_places"),
            models.Index(fields=["child", "state"], name="booking_child_state"),
        ]

    def __str__(self) -> str:
        return f"{self.child} — {self.prestation} {self.day:%d/%m/%Y}"


class BookingEvent(models.Model):
    """Who did what to a booking, and when (parents, staff overriding deadlines, the system)."""

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="events", verbose_name="réservation"
    )
    state = models.CharField("nouvel état", max_length=20, choices=BookingState.choices)
    # Bare id: the account lives in the public schema (see families.models.Foyer.user).
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    by_staff = models.BooleanField("par la mairie", default=False)
    note = models.CharField("motif", max_length=255, blank=True)
    at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "historique de réservation"
        verbose_name_plural = "historique des réservations"
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.get_state_display()} le {self.at:%d/%m/%Y %H:%M}"


class WaitingListEntry(models.Model):
    """A child waiting for a place on a full prestation-day; first come, first served."""

    child = models.ForeignKey(
        "families.Child", verbose_name="enfant", on_delete=models.CASCADE, related_name="+"
    )
    prestation = models.ForeignKey(
        Prestation, verbose_name="prestation", on_delete=models.CASCADE, related_name="waiting"
    )
    day = models.DateField("jour")
    created_at = models.DateTimeField("inscrit le", auto_now_add=True)
    promoted_to = models.OneToOneField(
        Booking,
        verbose_name="réservation obtenue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "liste d'attente"
        verbose_name_plural = "listes d'attente"
        ordering = ["prestation", "day", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "prestation", "day"],
                condition=models.Q(promoted_to__isnull=True),
                name="waiting_once_per_child_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child} attend {self.prestation} le {self.day:%d/%m/%Y}"
