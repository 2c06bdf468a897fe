"""Days staff close a service or some of its prestations."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from reservations.calendar import WEEKDAY_NAMES
from reservations.models.prestations import Prestation, Service


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
