"""Justified absences: the bookings of the days a mairie accepted a justificatif for."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from families.models import Child
from reservations.lifecycle import Action, Reason
from reservations.models import Booking
from reservations.services.lifecycle import LOCK_ORDER, bookings_transition

JUSTIFIED_ABSENCE = "Absence justifiée acceptée par la mairie"


def bookings_cancel_for_absence(
    *, child: Child, start: date, end: date, user, note: str = "", now=None
) -> list[Booking]:
    """Cancel ``child``'s bookings from ``start`` to ``end`` for an accepted justified absence.

    Deadlines do not apply: the mairie accepted the justificatif. Cart lines of those days
    are cancelled too. Each booking keeps the reason « absence justifiée » (billing reads
    it), freed places go to the waiting lists under the same locks. The caller checked the
    user's capability (requests_inbox.decide_absence).
    """
    with transaction.atomic():
        lines = list(
            Booking.objects.active()
            .filter(child=child, day__range=(start, end))
            .select_for_update(of=("self",))
            .order_by(*LOCK_ORDER)
        )
        done = bookings_transition(
            bookings=lines,
            action=Action.CANCEL,
            reason=Reason.JUSTIFIED_ABSENCE,
            user=user,
            by_staff=True,
            note=note or JUSTIFIED_ABSENCE,
            now=now,
        )
    return done.bookings
