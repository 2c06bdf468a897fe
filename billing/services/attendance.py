"""Pointage: staff mark who came; a booked day left unmarked bills as booked.

Each tap is saved at once (``attendance_mark``) and logged (``AttendanceMark``). Once a
run has billed a service's period, its marks are locked; an unlock is logged with who and
why, and lasts until a later run of that period finishes.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.exceptions import BillingError
from billing.models import (
    Attendance,
    AttendanceMark,
    AttendanceStatus,
    AttendanceUnlock,
    InvoiceRun,
    RunStatus,
)
from billing.services.invoicing import BILLED_STATES
from families.models import Child
from reservations.models import Booking, BookingState, Prestation, Service

LOCKED = (
    "Le pointage du {day:%d/%m/%Y} est verrouillé : cette période est facturée. Rouvrez-le "
    "(Facturation › Réouvertures du pointage) en indiquant pourquoi."
)
NOT_ENROLLED = (
    "{child} n'est pas inscrit à ce service : réservez d'abord une prestation pour cet enfant."
)
FUTURE_DAY = "On ne pointe pas un jour à venir."
UNKNOWN_STATUS = "État de pointage inconnu."
UNLOCK_REASON_NEEDED = "Indiquez pourquoi vous rouvrez un pointage déjà facturé."
UNLOCK_NOT_LOCKED = "Ce pointage n'est pas verrouillé : rien à rouvrir."


def attendance_locked(*, service: Service, day: date) -> bool:
    """Tell whether ``day``'s marks of ``service`` are locked by a finished run (two queries)."""
    last_run = (
        InvoiceRun.objects.filter(
            service=service, status=RunStatus.DONE, period_start__lte=day, period_end__gte=day
        )
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if last_run is None:
        return False
    return not AttendanceUnlock.objects.filter(
        service=service, period_start__lte=day, period_end__gte=day, at__gte=last_run
    ).exists()


def _enrolled(child: Child, prestation: Prestation) -> bool:
    """A child may be pointed present without a booking if it uses this service at all."""
    return (
        Booking.objects.filter(child=child, prestation__service_id=prestation.service_id)
        .exclude(state=BookingState.CART)
        .exists()
        or Attendance.objects.filter(
            child=child, prestation__service_id=prestation.service_id
        ).exists()
    )


def attendance_mark(
    *,
    child: Child,
    prestation: Prestation,
    day: date,
    status: str,
    user,
    note: str = "",
    absence=None,
    booking=None,
    now: datetime | None = None,
) -> Attendance:
    """Record ``status`` for ``child`` at ``prestation`` on ``day``; return the mark.

    Safe to send twice (a retried tap): the same status again changes nothing but the log.
    The mark is linked to the day's booking when there is one.
    """
    now = now or timezone.now()
    if status not in AttendanceStatus.values:
        raise BillingError(UNKNOWN_STATUS)
    if day > timezone.localdate(now):
        raise BillingError(FUTURE_DAY)
    service = prestation.service
    with transaction.atomic():
        if attendance_locked(service=service, day=day):
            raise BillingError(LOCKED.format(day=day))
        booking = booking or (
            Booking.objects.filter(
                child=child, prestation=prestation, day=day, state__in=BILLED_STATES
            )
            .order_by("-pk")
            .first()
        )
        if booking is None and absence is None and not _enrolled(child, prestation):
            raise BillingError(NOT_ENROLLED.format(child=f"{child.first_name} {child.last_name}"))
        defaults = {"status": status, "booking": booking, "marked_by": user, "marked_at": now}
        if absence is not None:
            defaults["absence"] = absence
        try:
            with transaction.atomic():
                attendance, created = Attendance.objects.select_for_update().get_or_create(
                    child=child, prestation=prestation, day=day, defaults=defaults
                )
        except IntegrityError:  # two taps at once: the other one created it
            attendance, created = (
                Attendance.objects.select_for_update().get(
                    child=child, prestation=prestation, day=day
                ),
                False,
            )
        if not created:
            for name, value in defaults.items():
                setattr(attendance, name, value)
            attendance.save(update_fields=list(defaults))
        AttendanceMark.objects.create(
            attendance=attendance, status=status, by_user=user, note=note[:255], at=now
        )
    return attendance


def attendance_unlock_refusal(*, service: Service, start: date, end: date) -> str | None:
    """Return why the marks of ``start`` … ``end`` cannot be reopened (None: they can)."""
    invoiced = InvoiceRun.objects.filter(
        service=service, status=RunStatus.DONE, period_start__lte=end, period_end__gte=start
    )
    return None if invoiced.exists() else UNLOCK_NOT_LOCKED


def attendance_unlock(
    *, service: Service, start: date, end: date, reason: str, user
) -> AttendanceUnlock:
    """Reopen the marks of an invoiced period, logging who and why."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(UNLOCK_REASON_NEEDED)
    refusal = attendance_unlock_refusal(service=service, start=start, end=end)
    if refusal:
        raise BillingError(refusal)
    return AttendanceUnlock.objects.create(
        service=service, period_start=start, period_end=end, reason=reason[:255], by_user=user
    )


def absence_marks(*, absence, bookings, user, now: datetime | None = None) -> list[Attendance]:
    """Mark « absent justifié » the days of an accepted absence: one mark per booking it
    cancelled, linked to the booking and to the absence (its thread is the evidence).

    Days to come are only cancelled (nothing to point yet); days of an invoiced period are
    left to staff (a credit note corrects what was billed).
    """
    today = timezone.localdate(now or timezone.now())
    bookings = Booking.objects.filter(
        pk__in=[b.pk for b in bookings], day__lte=today
    ).select_related("child", "prestation__service")
    marks = []
    for booking in bookings.order_by("day", "prestation_id"):
        if attendance_locked(service=booking.prestation.service, day=booking.day):
            continue
        marks.append(
            attendance_mark(
                child=booking.child,
                prestation=booking.prestation,
                day=booking.day,
                status=AttendanceStatus.ABSENT_JUSTIFIED,
                user=user,
                note="Absence justifiée acceptée",
                absence=absence,
                booking=booking,
                now=now,
            )
        )
    return marks
