"""Pointage: what staff marked, every tap kept, and reopenings of invoiced periods."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from billing.rules import Attendance as AttendanceKind


class AttendanceStatus(models.TextChoices):
    # The values are the engine's (billing.rules.Attendance).
    PRESENT = AttendanceKind.PRESENT.value, "Présent"
    ABSENT_JUSTIFIED = AttendanceKind.ABSENT_JUSTIFIED.value, "Absent justifié"
    ABSENT_UNJUSTIFIED = AttendanceKind.ABSENT_UNJUSTIFIED.value, "Absent non justifié"


class Attendance(models.Model):
    """What staff marked for one child, prestation and day. A booked day left unmarked bills
    as booked; a child present without booking has no ``booking``.

    Each mark is also logged (``AttendanceMark``); once the period is invoiced the marks are
    locked until staff unlock them with a reason (``AttendanceUnlock``).
    """

    child = models.ForeignKey(
        "families.Child",
        verbose_name="enfant",
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    prestation = models.ForeignKey(
        "reservations.Prestation",
        verbose_name="prestation",
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    day = models.DateField("jour")
    status = models.CharField("pointage", max_length=20, choices=AttendanceStatus.choices)
    booking = models.ForeignKey(
        "reservations.Booking",
        verbose_name="réservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
    )
    # The justified absence accepted in « Mes demandes » that made this mark: its evidence.
    absence = models.ForeignKey(
        "requests_inbox.Absence",
        verbose_name="absence justifiée",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
    )
    # Bare id: accounts live in the public schema.
    marked_by = models.ForeignKey(
        "portal.User",
        verbose_name="pointé par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    marked_at = models.DateTimeField("pointé le")

    class Meta:
        verbose_name = "pointage"
        verbose_name_plural = "pointages"
        ordering = ["day", "prestation", "child"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "prestation", "day"], name="attendance_once_per_child_day"
            ),
        ]
        indexes = [models.Index(fields=["prestation", "day"], name="attendance_prestation_day")]

    def __str__(self) -> str:
        return f"{self.child} — {self.prestation} {self.day:%d/%m/%Y} : {self.get_status_display()}"


class AttendanceMark(models.Model):
    """Every tap, kept: who marked what, when. Never changed nor deleted (trigger)."""

    attendance = models.ForeignKey(
        Attendance, verbose_name="pointage", on_delete=models.PROTECT, related_name="marks"
    )
    status = models.CharField("pointage", max_length=20, choices=AttendanceStatus.choices)
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField("motif", max_length=255, blank=True)
    at = models.DateTimeField("le")

    class Meta:
        verbose_name = "historique de pointage"
        verbose_name_plural = "historique des pointages"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} le {timezone.localtime(self.at):%d/%m/%Y %H:%M}"


class AttendanceUnlock(models.Model):
    """Staff reopened the attendance of an invoiced period: who, when and why.

    It stays open until a run of that service covering the days finishes after it.
    """

    service = models.ForeignKey(
        "reservations.Service",
        verbose_name="service",
        on_delete=models.PROTECT,
        related_name="attendance_unlocks",
    )
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    reason = models.CharField("motif", max_length=255)
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "réouverture du pointage"
        verbose_name_plural = "réouvertures du pointage"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.service} du {self.period_start:%d/%m/%Y} au {self.period_end:%d/%m/%Y}"
