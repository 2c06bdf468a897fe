"""Services, prestations, closures and bookings, in the collectivité's schema."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    BigIntegerRangeField,
    DateRangeField,
    IntegerRangeField,
    RangeOperators,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone

from reservations.calendar import WEEKDAY_NAMES
from reservations.exceptions import ALREADY_BOOKED, SLOTS_OVERLAP
from reservations.lifecycle import ACTIVE_STATES, TAKEN_STATES, Reason, State
from reservations.places import WAITING_ORDER, BookingQuerySet, WaitingListQuerySet


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


def _weekday_date(day) -> str:
    return f"{WEEKDAY_NAMES[day.isoweekday()]} {day:%d/%m/%Y}"


class ClosureStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Appliquée"
    FAILED = "failed", "Échouée"


class Closure(models.Model):
    """Days staff closed, ``start`` to ``end``, for a whole service or some of its prestations.

    Saving one (reservations.services.closures) cancels the bookings of those days with the
    reason « fermeture » and tells each family once; the work runs as a job whose progress
    lives on this row. Two closures of one service whose days and prestations meet are
    refused (the service row is their lock).
    """

    service = models.ForeignKey(
        Service, verbose_name="service", on_delete=models.PROTECT, related_name="closures"
    )
    prestations = models.ManyToManyField(
        Prestation,
        verbose_name="prestations (aucune cochée : tout le service)",
        blank=True,
        related_name="closures",
    )
    start = models.DateField("du")
    end = models.DateField("au")
    reason = models.CharField(
        "motif", max_length=150, help_text="Envoyé aux familles : « Grève », « Sortie scolaire »…"
    )
    news_post = models.ForeignKey(
        "news.Post",
        verbose_name="actualité publiée",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Bare id: staff accounts live in the public schema.
    created_by = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField("créée le", default=timezone.now, editable=False)
    # The job that applies it (saved again: the bookings of the days it gained).
    revision = models.PositiveIntegerField("version", default=1, editable=False)
    status = models.CharField(
        "application",
        max_length=10,
        choices=ClosureStatus.choices,
        default=ClosureStatus.QUEUED,
        editable=False,
    )
    bookings_total = models.PositiveIntegerField("réservations à annuler", default=0)
    bookings_done = models.PositiveIntegerField("réservations annulées", default=0)
    foyers_notified = models.PositiveIntegerField("familles prévenues", default=0)
    credits_issued = models.PositiveIntegerField("avoirs émis", default=0)
    error = models.TextField("erreur", blank=True)
    finished_at = models.DateTimeField("appliquée le", null=True, blank=True)

    class Meta:
        verbose_name = "fermeture"
        verbose_name_plural = "fermetures"
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="closure_period_ordered")
        ]
        indexes = [models.Index(fields=["service", "end", "start"], name="closure_service_period")]

    def __str__(self) -> str:
        return f"{self.period_label} — {self.reason}"

    @property
    def period_label(self) -> str:
        """« le jeudi 12/03/2026 », « du lundi 09/03/2026 au vendredi 13/03/2026 »."""
        if self.start == self.end:
            return f"le {_weekday_date(self.start)}"
        return f"du {_weekday_date(self.start)} au {_weekday_date(self.end)}"

    @property
    def percent(self) -> int:
        if not self.bookings_total:
            return 100 if self.status == ClosureStatus.DONE else 0
        return min(100, round(100 * self.bookings_done / self.bookings_total))


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


BookingState = State  # the states and their labels live in reservations.lifecycle

__all__ = ["ACTIVE_STATES", "TAKEN_STATES", "BookingState", "Reason", "State"]


def _point(field: str, function: str, output) -> Func:
    """``function(field, field, '[]')``: a one-value range, so GiST can compare it by &&.

    The embedded PostgreSQL has no btree_gist: plain columns cannot take part in an
    exclusion constraint, ranges can.
    """
    return Func(F(field), F(field), Value("[]"), function=function, output_field=output)


class Booking(models.Model):
    child = models.ForeignKey(
        "families.Child", verbose_name="enfant", on_delete=models.PROTECT, related_name="bookings"
    )
    prestation = models.ForeignKey(
        Prestation, verbose_name="prestation", on_delete=models.PROTECT, related_name="bookings"
    )
    day = models.DateField("jour")
    state = models.CharField(
        "état", max_length=20, choices=State.choices(), default=State.CART.value
    )
    # Why the booking is in its state: billing tells a cancellation within the deadline
    # from a justified absence or a closure by this column.
    state_reason = models.CharField(
        "raison", max_length=20, choices=Reason.choices(), default=Reason.PARENT.value
    )
    held_until = models.DateTimeField("places retenues jusqu'au", null=True, blank=True)
    # Copied from the prestation by the database (trigger booking_slot_fill, migration
    # 0002) on insert: the hours booked, in minutes from midnight, for the constraint below.
    service = models.ForeignKey(
        Service,
        verbose_name="service",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        db_index=False,
        related_name="+",
    )
    slot = IntegerRangeField("horaire (minutes)", null=True, editable=False)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = "réservation"
        verbose_name_plural = "réservations"
        ordering = ["day", "prestation"]
        constraints = [
            # One child is booked at most once per prestation and day, whatever races.
            models.UniqueConstraint(
                fields=["child", "prestation", "day"],
                condition=Q(state__in=[str(s) for s in ACTIVE_STATES]),
                name="booking_once_per_child_day",
                violation_error_message=ALREADY_BOOKED,
            ),
            models.CheckConstraint(
                condition=Q(state=str(State.HELD), held_until__isnull=False)
                | (~Q(state=str(State.HELD)) & Q(held_until__isnull=True)),
                name="booking_held_until_when_held",
            ),
            # Garderie soir T1 (16:30–17:30) and T2 (16:30–18:30) of one service: not both.
            ExclusionConstraint(
                name="booking_slots_disjoint",
                expressions=[
                    (_point("child", "int8range", BigIntegerRangeField()), RangeOperators.OVERLAPS),
                    (
                        _point("service", "int8range", BigIntegerRangeField()),
                        RangeOperators.OVERLAPS,
                    ),
                    (_point("day", "daterange", DateRangeField()), RangeOperators.OVERLAPS),
                    ("slot", RangeOperators.OVERLAPS),
                ],
                condition=Q(state__in=[str(s) for s in ACTIVE_STATES]),
                violation_error_message=SLOTS_OVERLAP,
            ),
        ]
        indexes = [
            models.Index(fields=["prestation", "day", "state"], name="booking_places"),
            models.Index(fields=["child", "state"], name="booking_child_state"),
        ]

    def __str__(self) -> str:
        return f"{self.child} — {self.prestation} {self.day:%d/%m/%Y}"


class BookingEvent(models.Model):
    """Who did what to a booking, when and why: never changed nor deleted (migration 0002)."""

    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, related_name="events", verbose_name="réservation"
    )
    state = models.CharField("nouvel état", max_length=20, choices=State.choices())
    reason = models.CharField("raison", max_length=20, choices=Reason.choices())
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
    # The instant of the move as the service saw it (its ``now``), for every writer alike.
    at = models.DateTimeField("le", default=timezone.now)

    class Meta:
        verbose_name = "historique de réservation"
        verbose_name_plural = "historique des réservations"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        # Stored in UTC, read in Paris: « Annulée le 30/11/2026 06:58 », as the page shows it.
        return f"{self.get_state_display()} le {timezone.localtime(self.at):%d/%m/%Y %H:%M}"


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

    objects = WaitingListQuerySet.as_manager()

    class Meta:
        verbose_name = "liste d'attente"
        verbose_name_plural = "listes d'attente"
        ordering = ["prestation", "day", *WAITING_ORDER]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "prestation", "day"],
                condition=Q(promoted_to__isnull=True),
                name="waiting_once_per_child_day",
            )
        ]
        indexes = [
            models.Index(
                fields=["prestation", "day", *WAITING_ORDER],
                condition=Q(promoted_to__isnull=True),
                name="waiting_line",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child} attend {self.prestation} le {self.day:%d/%m/%Y}"
