"""Migration 0002 on rows written before it: reasons from the old notes, holds made
consistent, overlapping hours resolved so that the constraint can be created.

The migration's own functions and SQL run here on rows shaped as the old code wrote them;
the history triggers are off for this test's transaction only (they come last in 0002).
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from reservations.lifecycle import Reason, State
from reservations.models import Booking, BookingEvent
from tests.factories import BookingFactory, ChildFactory, PrestationFactory
from tests.reservations.conftest import DAY, paris

pytestmark = pytest.mark.django_db
migration = importlib.import_module("reservations.migrations.0002_history_and_places")


@pytest.fixture
def old_rows(tenant_a, in_tenant):
    with in_tenant(tenant_a), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        yield


def old_event(booking, state, *, note="", by_staff=False):
    return BookingEvent.objects.create(
        booking=booking, state=state, reason=Reason.PARENT, note=note, by_staff=by_staff
    )


def test_old_notes_become_reasons_and_each_booking_takes_its_last(old_rows, garderie):
    promoted = BookingFactory(prestation=garderie, day=DAY)
    old_event(promoted, State.VALIDATED, note="Place libérée : liste d'attente")
    absent = BookingFactory(prestation=garderie, day=DAY, state=State.CANCELLED)
    old_event(
        absent, State.CANCELLED, note="Absence justifiée acceptée (demande n° 12)", by_staff=True
    )
    refused = BookingFactory(prestation=garderie, day=DAY, state=State.REFUSED)
    old_event(refused, State.REFUSED, by_staff=True)
    typed = BookingFactory(prestation=garderie, day=DAY)
    old_event(typed, State.VALIDATED, note="Saisie par la mairie", by_staff=True)
    expired = BookingFactory(prestation=garderie, day=DAY, state=State.CART)
    old_event(expired, State.CART, note="Paiement non reçu à temps")
    parent = BookingFactory(prestation=garderie, day=DAY, state=State.CANCELLED)
    old_event(parent, State.CANCELLED)
    migration.reasons_infer(apps, None)
    expected = {
        promoted: Reason.WAITLIST_PROMOTION,
        absent: Reason.JUSTIFIED_ABSENCE,
        refused: Reason.STAFF_REFUSAL,
        typed: Reason.DEADLINE_OVERRIDE,
        expired: Reason.HOLD_EXPIRED,
        parent: Reason.PARENT,
    }
    for booking, reason in expected.items():
        booking.refresh_from_db()
        assert booking.state_reason == reason, booking
        assert booking.events.latest("pk").reason == reason


def test_holds_are_made_consistent(old_rows, garderie):
    cancelled = BookingFactory(prestation=garderie, day=DAY, state=State.CANCELLED)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE reservations_booking DROP CONSTRAINT booking_held_until_when_held"
        )
        cursor.execute(
            "UPDATE reservations_booking SET held_until = %s WHERE id = %s",
            [paris(2026, 1, 1), cancelled.pk],
        )
        held = BookingFactory(prestation=garderie, day=DAY, state=State.HELD)
        cursor.execute("UPDATE reservations_booking SET held_until = NULL WHERE id = %s", [held.pk])
    migration.reasons_infer(apps, None)
    cancelled.refresh_from_db()
    held.refresh_from_db()
    assert cancelled.held_until is None
    assert held.held_until == held.updated_at


def test_overlapping_hours_booked_before_keep_the_first_and_cancel_the_later(old_rows):
    t1 = PrestationFactory(soir_t1=True)
    t2 = PrestationFactory(service=t1.service, soir_t2=True)
    child = ChildFactory()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE reservations_booking DROP CONSTRAINT booking_slots_disjoint")
        first = BookingFactory(child=child, prestation=t1, day=DAY)
        later = BookingFactory(child=child, prestation=t2, day=DAY)
        # Written by the old code: no hours on the rows until the migration copies them.
        cursor.execute(migration.SLOT_BACKFILL)
        cursor.execute(migration.OVERLAPS_CANCEL)
    first.refresh_from_db()
    later.refresh_from_db()
    assert first.state == State.VALIDATED
    assert (later.state, later.state_reason) == (State.CANCELLED, Reason.STAFF_CANCELLATION)
    assert later.events.latest("pk").note.startswith("Horaires en chevauchement")
    assert Booking.objects.filter(child=child, state=State.VALIDATED).count() == 1
