"""Bookings, their history, the capacity row of a day and the waiting list."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    BigIntegerRangeField,
    DateRangeField,
    IntegerRangeField,
    RangeOperators,
)
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone

from reservations.exceptions import ALREADY_BOOKED, SLOTS_OVERLAP
from reservations.lifecycle import ACTIVE_STATES, Reason, State
from reservations.models.prestations import Prestation, Service
from reservations.places import WAITING_ORDER, BookingQuerySet, WaitingListQuerySet


class PrestationDay(models.Model):
    """The capacity row of one prestation on one day: locked while places are counted.

    Created on first use; validations lock it (select_for_update) before counting the
    places taken, so two parents racing for the last place are served one after the other.
    """

    # CASCADE, not history: a capacity row and lock goes with its prestation, which bookings
    # PROTECT (only a prestation nobody booked can be deleted).
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


def _point(field: str, function: str, output) -> Func:
    """``function(field, field, '[]')``: a one-value range, so GiST can compare it by &&.

    The embedded PostgreSQL has no btree_gist: plain columns cannot take part in an
    exclusion constraint, ranges can.
    """
    return Func(F(field), F(field), Value("[]"), function=function, output_field=output)


class Booking(models.Model):
    # No index of their own: booking_child_state (child, state) and booking_places
    # (prestation, day, state) lead with them, and every index is one more write for each
    # state change of the Tuesday rush (bench/bench_cart_race.py).
    child = models.ForeignKey(
        "families.Child",
        verbose_name="enfant",
        on_delete=models.PROTECT,
        related_name="bookings",
        db_index=False,
    )
    prestation = models.ForeignKey(
        Prestation,
        verbose_name="prestation",
        on_delete=models.PROTECT,
        related_name="bookings",
        db_index=False,
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
            # Counting the places of a day reads only this index (held_until: an expired
            # hold frees its place): 12 800 bookings of a 4-week grid counted in 3 ms, not
            # 8 ms from the table (docs/scaling.md).
            models.Index(
                fields=["prestation", "day", "state"],
                include=["held_until"],
                name="booking_places",
            ),
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
    # Never searched by: no index to write with each event.
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
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

    # CASCADE, not history: a wish for a place, not a booking nor money. An entry that got
    # its place points to the booking (promoted_to), whose own history records the promotion;
    # that booking PROTECTs the child and the prestation, so only entries never served can
    # go with them (a child's data erased on request, a prestation nobody booked).
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
