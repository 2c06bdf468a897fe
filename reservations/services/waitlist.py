"""The waiting list of a full prestation-day: joining it, leaving it, and serving it.

A place that frees goes, under the same locks, to the first child in line
(reservations.places.WAITING_ORDER), who is booked the way a submitted request would be
(reservations.lifecycle: pending where the mairie approves, held where the family prepays)
and whose family is e-mailed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import reduce
from operator import or_

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from families.models import Child
from reservations import policy
from reservations.exceptions import ALREADY_BOOKED, ReservationsError
from reservations.lifecycle import Action, Reason
from reservations.models import Booking, Prestation, WaitingListEntry
from reservations.services import emails
from reservations.services.places import Key, days_lock, places_count
from reservations.services.records import booking_insert, overlap_error, slot_clash

WAITLIST_NOT_FULL = "Il reste des places ce jour-là : réservez-la directement."
ALREADY_WAITING = "Cet enfant est déjà sur la liste d'attente de ce jour."
NOT_WAITING = "Cet enfant n'est pas sur la liste d'attente de ce jour."


def waitlist_join(*, child: Child, prestation: Prestation, day: date, now=None) -> int:
    """Put ``child`` on the waiting list of a full prestation-day; return its rank."""
    now = now or timezone.now()
    refusal = policy.booking_refusal(prestation=prestation, day=day, now=now)
    if refusal:
        raise ReservationsError(refusal)
    with transaction.atomic():
        key = (prestation.pk, day)
        days_lock([key])
        capacity, taken = places_count([key], now)
        if taken[key] < capacity[key]:
            raise ReservationsError(WAITLIST_NOT_FULL)
        if Booking.objects.active().filter(child=child, prestation=prestation, day=day).exists():
            raise ReservationsError(ALREADY_BOOKED)
        # A place the child could not take: refused now rather than skipped when served.
        clash = slot_clash(child_id=child.pk, prestation=prestation, day=day)
        if clash is not None:
            raise overlap_error(prestation, clash)
        try:
            with transaction.atomic():
                entry = WaitingListEntry.objects.create(child=child, prestation=prestation, day=day)
        except IntegrityError as error:
            raise ReservationsError(ALREADY_WAITING) from error
    return waitlist_position(entry=entry)


def waitlist_leave(*, child: Child, prestation: Prestation, day: date) -> None:
    """Take ``child`` off the waiting list of a prestation-day (the next ones move up)."""
    deleted, _ = (
        WaitingListEntry.objects.waiting()
        .filter(child=child, prestation=prestation, day=day)
        .delete()
    )
    if not deleted:
        raise ReservationsError(NOT_WAITING)


def waitlist_position(*, entry: WaitingListEntry) -> int:
    """Return the 1-based rank of ``entry`` among those still waiting for its day."""
    return WaitingListEntry.objects.ahead_of(entry).count()


def _keys_q(keys: Iterable[Key]) -> Q:
    return reduce(or_, (Q(prestation_id=p, day=d) for p, d in keys))


def waitlist_serve(keys: list[Key], *, now: datetime) -> list[Booking]:
    """Give the free places of ``keys`` to the first children in line; e-mail their families.

    Caller must hold the capacity rows' locks of ``keys`` (places.days_lock): the places
    counted here cannot be taken by anyone else before this transaction commits. A child
    who got the day meanwhile, or hours overlapping it, is passed over for the next one.
    """
    if not keys:
        return []
    capacity, taken = places_count(keys, now)
    if all(taken[key] >= capacity[key] for key in keys):
        return []
    promoted = []
    entries = (
        WaitingListEntry.objects.in_line()
        .select_for_update(of=("self",))
        .filter(_keys_q(keys))
        .select_related("child__foyer", "prestation__service")
    )
    for entry in entries:
        key = (entry.prestation_id, entry.day)
        if taken[key] >= capacity[key]:
            continue
        try:
            booking = booking_insert(
                child=entry.child,
                prestation=entry.prestation,
                day=entry.day,
                action=Action.PROMOTE,
                reason=Reason.WAITLIST_PROMOTION,
                now=now,
            )
        except ReservationsError:
            continue
        entry.promoted_to = booking
        entry.save(update_fields=["promoted_to"])
        taken[key] += 1
        promoted.append(booking)
        emails.waitlist_promoted(booking=booking)
    return promoted


def capacity_raised(*, prestation: Prestation, days=None, now=None) -> list[Booking]:
    """After staff raised a capacity, give the new places to the waiting lists at once."""
    now = now or timezone.now()
    waiting = WaitingListEntry.objects.waiting().filter(prestation=prestation)
    if days is not None:
        waiting = waiting.filter(day__in=days)
    with transaction.atomic():
        keys = sorted({(prestation.pk, day) for day in waiting.values_list("day", flat=True)})
        if not keys:
            return []
        days_lock(keys)
        return waitlist_serve(keys, now=now)
