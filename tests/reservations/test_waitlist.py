"""The waiting list is served whenever a place frees, whatever frees it.

One test per path that frees a place: the family's cancellation, the mairie's refusal, a
staff edit in the admin, a hold that expired unpaid, a justified absence, a capacity
raised. Each proves the first child in line is booked (as its prestation's route says) and
its family e-mailed, and the second still waits.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from reservations.exceptions import SLOTS_OVERLAP_NAMED, ReservationsError
from reservations.lifecycle import Reason, State
from reservations.models import Booking, PrestationDay, WaitingListEntry
from reservations.services.absences import bookings_cancel_for_absence
from reservations.services.cart import cancel_request
from reservations.services.lifecycle import holds_release
from reservations.services.staff import bookings_decide
from reservations.services.validation import cart_validate
from reservations.services.waitlist import WAITLIST_NOT_FULL, waitlist_join, waitlist_position
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    ServiceFactory,
    WaitingListEntryFactory,
)
from tests.reservations.conftest import DAY, paris

pytestmark = pytest.mark.django_db
NOW = paris(2026, 1, 13, 9)
# The booking's history inline is read-only: its management form, with nothing to save.
NO_INLINE = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


def waiting_children(prestation, count=2):
    """Children of foyers with an e-mail, in line for ``prestation`` on DAY, in order."""
    children = []
    for index in range(count):
        child = ChildFactory(foyer=FoyerFactory(email=f"attente{index}@exemple.test"))
        WaitingListEntryFactory(child=child, prestation=prestation, day=DAY)
        children.append(child)
    return children


def assert_first_served(prestation, first, second, *, state=State.VALIDATED):
    booking = Booking.objects.get(child=first, prestation=prestation, day=DAY)
    assert (booking.state, booking.state_reason) == (state, Reason.WAITLIST_PROMOTION)
    assert booking.events.get().reason == Reason.WAITLIST_PROMOTION
    assert WaitingListEntry.objects.get(child=first).promoted_to == booking
    assert not Booking.objects.filter(child=second).exists()
    assert WaitingListEntry.objects.waiting().get().child == second
    promoted = [m for m in mail.outbox if m.to == [first.foyer.email]]
    assert [m.subject for m in promoted] == ["Une place s'est libérée pour votre enfant"]
    assert f"{prestation.name} le {DAY:%d/%m/%Y}" in promoted[0].body
    assert not [m for m in mail.outbox if m.to == [second.foyer.email]]
    return booking


def test_a_parents_cancellation_serves_the_list(
    garderie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            holder = BookingFactory(prestation=garderie, day=DAY)
            first, second = waiting_children(garderie)
            cancel_request(booking=holder, now=NOW)
            cart_validate(foyer=holder.child.foyer, now=NOW)
        booking = assert_first_served(garderie, first, second)
    assert "Votre réservation est validée" in mail.outbox[-1].body
    assert booking.day == DAY


def test_a_staff_refusal_serves_the_list(
    garderie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            garderie.requires_approval = True
            garderie.save()
            holder = BookingFactory(
                prestation=garderie,
                day=DAY,
                state=State.PENDING_APPROVAL,
                child__foyer__email="titulaire@exemple.test",
            )
            first, second = waiting_children(garderie)
            agent = MembershipFactory(collectivite=tenant_a, role="agent").user
            bookings_decide(bookings=[holder], accept=False, user=agent, note="Dossier incomplet")
            holder.refresh_from_db()
            assert (holder.state, holder.state_reason) == (State.REFUSED, Reason.STAFF_REFUSAL)
            assert holder.events.latest("pk").note == "Dossier incomplet"
            # The mairie approves this prestation: the freed place is a request it will answer.
        assert_first_served(garderie, first, second, state=State.PENDING_APPROVAL)
    (refusal,) = [m for m in mail.outbox if m.to == ["titulaire@exemple.test"]]
    assert "La mairie a refusé" in refusal.body and "Motif : Dossier incomplet" in refusal.body
    (promoted,) = [m for m in mail.outbox if m.to == [first.foyer.email]]
    assert "la mairie, qui doit encore la valider" in promoted.body


def test_a_staff_edit_in_the_admin_serves_the_list(
    garderie, tenant_a, in_tenant, client_a, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        holder = BookingFactory(prestation=garderie, day=DAY)
        first, second = waiting_children(garderie)
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role="agent").user)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            f"/admin/reservations/booking/{holder.pk}/change/",
            {"new_state": State.CANCELLED, "note": "Sortie scolaire", **NO_INLINE},
        )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        holder.refresh_from_db()
        assert (holder.state, holder.state_reason) == (State.CANCELLED, Reason.STAFF_CANCELLATION)
        assert_first_served(garderie, first, second)


def test_an_expired_hold_serves_the_list(tenant_a, in_tenant, django_capture_on_commit_callbacks):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            repas = PrestationFactory(
                service=ServiceFactory(prepaid=True), name="REPAS", capacity=1
            )
            BookingFactory(
                prestation=repas,
                day=DAY,
                state=State.HELD,
                held_until=NOW - dt.timedelta(minutes=1),
            )
            first, second = waiting_children(repas)
            assert holds_release(now=NOW) == 1
            # Paid in advance: the place is held for the family, told by e-mail to pay it.
        booking = assert_first_served(repas, first, second, state=State.HELD)
        assert booking.held_until == NOW + dt.timedelta(hours=48)
    assert "payez-la d'ici là" in mail.outbox[-1].body


def test_a_justified_absence_serves_the_list(
    cantine, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            cantine.capacity = 1
            cantine.save()
            holder = BookingFactory(prestation=cantine, day=DAY)
            first, second = waiting_children(cantine)
            agent = MembershipFactory(collectivite=tenant_a, role="agent").user
            # Thursday itself, long past « Mardi avant 12h »: the justificatif was accepted.
            (cancelled,) = bookings_cancel_for_absence(
                child=holder.child, start=DAY, end=DAY, user=agent, now=paris(2026, 1, 15, 8)
            )
            assert (cancelled.state, cancelled.state_reason) == (
                State.CANCELLED,
                Reason.JUSTIFIED_ABSENCE,
            )
        assert_first_served(cantine, first, second)


def test_a_raised_capacity_serves_the_list(
    garderie, tenant_a, in_tenant, client_a, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        BookingFactory(prestation=garderie, day=DAY)
        first, second = waiting_children(garderie)
        row = PrestationDay.objects.create(prestation=garderie, day=DAY)
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role="agent").user)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            f"/admin/reservations/prestationday/{row.pk}/change/",
            {"prestation": garderie.pk, "day": DAY.isoformat(), "capacity": 2},
        )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert_first_served(garderie, first, second)


def test_first_come_first_served_by_time_in_rank_and_in_promotion(
    garderie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            holder = BookingFactory(prestation=garderie, day=DAY)
            late, early = waiting_children(garderie)
            # ``early`` has the larger id but joined first: the time decides, the id breaks ties.
            late_entry, early_entry = WaitingListEntry.objects.order_by("pk")
            WaitingListEntry.objects.filter(pk=early_entry.pk).update(
                created_at=late_entry.created_at - dt.timedelta(seconds=5)
            )
            early_entry.refresh_from_db()
            assert (waitlist_position(entry=early_entry), waitlist_position(entry=late_entry)) == (
                1,
                2,
            )
            cancel_request(booking=holder, now=NOW)
            cart_validate(foyer=holder.child.foyer, now=NOW)
        assert_first_served(garderie, early, late)


def test_joining_needs_a_full_day_and_hours_the_child_can_take(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        t1 = PrestationFactory(soir_t1=True, capacity=1)
        t2 = PrestationFactory(service=t1.service, soir_t2=True, capacity=1)
        child = ChildFactory()
        with pytest.raises(ReservationsError, match=WAITLIST_NOT_FULL):
            waitlist_join(child=child, prestation=t2, day=DAY, now=NOW)
        BookingFactory(prestation=t2, day=DAY)
        BookingFactory(child=child, prestation=t1, day=DAY)
        # Promoted to T2, the child would hold T1 and T2 at once: refused now, with why.
        refusal = SLOTS_OVERLAP_NAMED.format(name=t2.name, other=t1.name)
        with pytest.raises(ReservationsError) as refused:
            waitlist_join(child=child, prestation=t2, day=DAY, now=NOW)
        assert refused.value.message == refusal
        assert not WaitingListEntry.objects.filter(child=child).exists()
