"""The cart and its validation, judged by the deadlines, closures and the lifecycle table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from families.models import QuotientFamilial
from reservations.exceptions import (
    ALREADY_BOOKED,
    FULL,
    NOT_RUNNING,
    CartRefused,
    ReservationsError,
)
from reservations.lifecycle import (
    ALREADY_CANCELLED,
    ALREADY_REFUSED,
    Action,
    Reason,
    State,
    TransitionRefused,
)
from reservations.models import Booking, BookingEvent, Closure, PrestationDay
from reservations.pricing import prepaid_total
from reservations.services.cart import (
    agenda_add,
    cancel_request,
    cancel_request_withdraw,
    cart_add,
    cart_clear,
    forfait_add,
)
from reservations.services.lifecycle import bookings_transition, holds_release
from reservations.services.staff import bookings_decide
from reservations.services.validation import cart_validate
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    ServiceFactory,
)
from tests.reservations.conftest import DAY, paris

pytestmark = pytest.mark.django_db


def events(booking) -> list[tuple[str, str]]:
    return list(booking.events.order_by("pk").values_list("state", "reason"))


def test_booking_before_the_tuesday_noon_deadline(cantine, child, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        # The deadline for Thursday 15/01 is Tuesday 06/01 at 12:00, Paris.
        booking = cart_add(child=child, prestation=cantine, day=DAY, now=paris(2026, 1, 6, 11, 59))
        assert booking.state == State.CART
        assert events(booking) == [(State.CART, Reason.PARENT)]
        with pytest.raises(ReservationsError, match="Réservation close depuis le"):
            cart_add(
                child=ChildFactory(), prestation=cantine, day=DAY, now=paris(2026, 1, 6, 12, 0)
            )


def test_validation_rechecks_the_deadline_at_that_instant(cantine, child, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        booking = cart_add(child=child, prestation=cantine, day=DAY, now=paris(2026, 1, 6, 11))
        with pytest.raises(CartRefused) as refused:
            cart_validate(foyer=child.foyer, now=paris(2026, 1, 6, 12, 1))
        (line,) = refused.value.lines
        assert line.booking_id == booking.pk
        assert line.reason.startswith("Réservation close depuis le")
        booking.refresh_from_db()
        assert booking.state == State.CART


def test_not_running_days_and_staff_closures_are_refused(cantine, child, tenant_a, in_tenant):
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        with pytest.raises(ReservationsError, match=NOT_RUNNING):
            cart_add(child=child, prestation=cantine, day=dt.date(2026, 1, 14), now=now)
        Closure.objects.create(service=cantine.service, start=DAY, end=DAY, reason="Grève")
        with pytest.raises(ReservationsError, match="Fermeture : Grève"):
            cart_add(child=child, prestation=cantine, day=DAY, now=now)


def test_school_holidays_of_the_collectivites_zone_are_closed(cantine, child, tenant_a, in_tenant):
    # Zone C (alpha): winter holidays from 21/02/2026 to 09/03/2026.
    with in_tenant(tenant_a), pytest.raises(ReservationsError, match="Vacances scolaires"):
        cart_add(
            child=child, prestation=cantine, day=dt.date(2026, 2, 26), now=paris(2026, 2, 2, 9)
        )


def test_all_or_nothing_with_every_refused_line(cantine, tenant_a, in_tenant):
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        foyer = FoyerFactory()
        first, second, third = ChildFactory.create_batch(3, foyer=foyer)
        for rival in ChildFactory.create_batch(2):
            cart_add(child=rival, prestation=cantine, day=DAY, now=now)
            cart_validate(foyer=rival.foyer, now=now)
        for kid in (first, second, third):
            cart_add(child=kid, prestation=cantine, day=DAY + dt.timedelta(days=1), now=now)
        cart_add(child=first, prestation=cantine, day=DAY, now=now)
        with pytest.raises(CartRefused) as refused:
            cart_validate(foyer=foyer, now=now)
        # Thursday is full (the rivals), and Friday's 2 places go to two of the three.
        assert [line.reason for line in refused.value.lines] == [FULL, FULL]
        assert "15/01/2026" in refused.value.lines[0].label + refused.value.lines[1].label
        assert Booking.objects.filter(child__foyer=foyer, state=State.CART).count() == 4
        assert cart_clear(foyer=foyer) == 4
        assert not BookingEvent.objects.filter(booking__child__foyer=foyer).exists()


def test_a_child_cannot_be_in_two_carts_for_the_same_day(cantine, child, tenant_a, in_tenant):
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        cart_add(child=child, prestation=cantine, day=DAY, now=now)
        with pytest.raises(ReservationsError, match=ALREADY_BOOKED):
            cart_add(child=child, prestation=cantine, day=DAY, now=now)


def test_a_capacity_override_for_one_day(cantine, tenant_a, in_tenant):
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        PrestationDay.objects.create(prestation=cantine, day=DAY, capacity=1)
        kids = ChildFactory.create_batch(2)
        for kid in kids:
            cart_add(child=kid, prestation=cantine, day=DAY, now=now)
        cart_validate(foyer=kids[0].foyer, now=now)
        with pytest.raises(CartRefused):
            cart_validate(foyer=kids[1].foyer, now=now)


def test_a_validation_runs_as_many_statements_as_before(cantine, tenant_a, in_tenant):
    """Four statements (bench/bench_cart_race.py's hot path): the lines locked with the
    places of their days, the closures, the new states with their events and the capacity
    locks, the places again. The test's own savepoint and its release make six."""
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        kid = ChildFactory()
        cart_add(child=kid, prestation=cantine, day=DAY, now=now)
        with CaptureQueriesContext(connection) as statements:
            (line,) = cart_validate(foyer=kid.foyer, now=now)
        assert len(statements.captured_queries) == 6
        line.refresh_from_db()
        assert (line.state, line.state_reason) == (State.VALIDATED, Reason.PARENT)
        assert events(line) == [(State.CART, Reason.PARENT), (State.VALIDATED, Reason.PARENT)]


def test_a_prepaid_cart_holds_its_places_for_fifteen_minutes(repas, tenant_a, in_tenant):
    now = paris(2026, 1, 12, 9)
    with in_tenant(tenant_a):
        payer, rival = ChildFactory(), ChildFactory()
        cart_add(child=payer, prestation=repas, day=DAY, now=now)
        cart_add(child=rival, prestation=repas, day=DAY, now=now)
        (held,) = cart_validate(foyer=payer.foyer, now=now)
        assert held.state == State.HELD
        assert held.held_until == now + dt.timedelta(minutes=15)
        with pytest.raises(CartRefused):  # the place is held
            cart_validate(foyer=rival.foyer, now=now + dt.timedelta(minutes=14))
        with time_machine.travel(now + dt.timedelta(minutes=16)):
            assert holds_release() == 1
        held.refresh_from_db()
        # Unpaid in time: cancelled for that reason, the history kept.
        assert (held.state, held.state_reason, held.held_until) == (
            State.CANCELLED,
            Reason.HOLD_EXPIRED,
            None,
        )
        assert events(held)[-1] == (State.CANCELLED, Reason.HOLD_EXPIRED)
        (validated,) = cart_validate(foyer=rival.foyer, now=now + dt.timedelta(minutes=16))
        assert validated.state == State.HELD


def test_the_periodic_task_releases_expired_holds_in_every_collectivite(repas, tenant_a, in_tenant):
    from reservations.tasks import holds_release_task

    now = paris(2026, 1, 12, 9)
    with in_tenant(tenant_a):
        kid = ChildFactory()
        cart_add(child=kid, prestation=repas, day=DAY, now=now)
        cart_validate(foyer=kid.foyer, now=now)
    with time_machine.travel(now + dt.timedelta(minutes=20)):
        assert holds_release_task.delay().get() == 1


def test_cancelling_within_the_deadline_frees_the_place(
    garderie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        foyer = FoyerFactory(email="parent@exemple.test")
        kid, other = ChildFactory(foyer=foyer), ChildFactory()
        cart_add(child=kid, prestation=garderie, day=DAY, now=now)
        (booking,) = cart_validate(foyer=foyer, now=now)
        assert booking.state == State.VALIDATED
        cancel_request(booking=booking, now=now)
        (cancelled,) = cart_validate(foyer=foyer, now=now)
        assert cancelled.state == State.CANCELLED
        cancelled.refresh_from_db()
        assert cancelled.state_reason == Reason.PARENT  # within the deadline, by the family
        cart_add(child=other, prestation=garderie, day=DAY, now=now)
        cart_validate(foyer=other.foyer, now=now)  # the freed place
    assert [m.subject for m in mail.outbox] == [
        "Vos demandes de réservation ont été enregistrées"
    ] * 2  # one per validation of this family; the other family has no e-mail


def test_a_cancellation_after_the_deadline_is_refused(garderie, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        kid = ChildFactory()
        cart_add(child=kid, prestation=garderie, day=DAY, now=paris(2026, 1, 13, 9))
        (booking,) = cart_validate(foyer=kid.foyer, now=paris(2026, 1, 13, 9))
        cancel_request(booking=booking, now=paris(2026, 1, 14, 16, 59))
        with pytest.raises(CartRefused, match="Annulation close depuis le"):
            cart_validate(foyer=kid.foyer, now=paris(2026, 1, 14, 17, 0))
        booking.refresh_from_db()
        assert booking.state == State.CANCEL_REQUESTED
        cancel_request_withdraw(booking=booking)
        booking.refresh_from_db()
        assert booking.state == State.VALIDATED


def test_a_withdrawn_request_on_a_pending_booking_leaves_it_pending(garderie, tenant_a, in_tenant):
    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a):
        garderie.requires_approval = True
        garderie.save()
        kid = ChildFactory()
        cart_add(child=kid, prestation=garderie, day=DAY, now=now)
        (booking,) = cart_validate(foyer=kid.foyer, now=now)
        assert booking.state == State.PENDING_APPROVAL
        cancel_request(booking=booking, now=now)
        withdrawn = cancel_request_withdraw(booking=booking, now=now)
        # Not validated behind the mairie's back: back where it was.
        assert withdrawn.state == State.PENDING_APPROVAL


def test_cantine_cannot_be_cancelled_without_a_justified_absence(
    cantine, child, tenant_a, in_tenant
):
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        cart_add(child=child, prestation=cantine, day=DAY, now=now)
        (booking,) = cart_validate(foyer=child.foyer, now=now)
        with pytest.raises(ReservationsError, match="Annulation non autorisée sans absence"):
            cancel_request(booking=booking, now=now)


def test_forged_moves_are_refused_and_change_nothing(garderie, tenant_a, in_tenant):
    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a):
        cancelled = BookingFactory(prestation=garderie, day=DAY, state=State.CANCELLED)
        refused = BookingFactory(
            prestation=garderie, day=DAY, state=State.REFUSED, state_reason=Reason.STAFF_REFUSAL
        )
        with pytest.raises(TransitionRefused, match=ALREADY_CANCELLED):
            cancel_request(booking=cancelled, now=now)
        with pytest.raises(TransitionRefused, match=ALREADY_CANCELLED):
            bookings_transition(
                bookings=[cancelled],
                action=Action.CANCEL,
                reason=Reason.STAFF_CANCELLATION,
                by_staff=True,
                now=now,
            )
        # « Validate a refused one »: not by the family's cart, not by the mairie.
        with pytest.raises(TransitionRefused, match=ALREADY_REFUSED):
            bookings_transition(
                bookings=[refused],
                action=Action.ACCEPT,
                reason=Reason.APPROVAL,
                by_staff=True,
                now=now,
            )
        with pytest.raises(TransitionRefused, match=ALREADY_REFUSED):
            bookings_transition(
                bookings=[refused], action=Action.PAY, reason=Reason.PAYMENT_RECEIVED, now=now
            )
        # All or nothing: with one refused move, the allowed one is not made either.
        validated = BookingFactory(prestation=garderie, day=DAY + dt.timedelta(days=1))
        with pytest.raises(TransitionRefused):
            bookings_transition(
                bookings=[validated, cancelled],
                action=Action.CANCEL,
                reason=Reason.STAFF_CANCELLATION,
                by_staff=True,
                now=now,
            )
        for booking, state in ((cancelled, State.CANCELLED), (refused, State.REFUSED)):
            booking.refresh_from_db()
            assert booking.state == state and booking.events.count() == 1
        validated.refresh_from_db()
        assert validated.state == State.VALIDATED and validated.events.count() == 1


def test_prepaid_and_approved_asks_the_mairie_first_then_the_payment(
    tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    now = paris(2026, 1, 12, 9)
    with in_tenant(tenant_a):
        loisirs = PrestationFactory(
            service=ServiceFactory(prepaid=True),
            name="CENTRE DE LOISIRS",
            requires_approval=True,
            price=Decimal("8.00"),
        )
        agent = MembershipFactory(collectivite=tenant_a, role="agent").user
        kid = ChildFactory(foyer=FoyerFactory(email="loisirs@exemple.test"))
        cart_add(child=kid, prestation=loisirs, day=DAY, now=now)
        (booking,) = cart_validate(foyer=kid.foyer, now=now)
        # Approval first: nothing is held, nothing is to pay before the mairie says yes.
        assert (booking.state, booking.held_until) == (State.PENDING_APPROVAL, None)
        later = now + dt.timedelta(hours=3)
        with django_capture_on_commit_callbacks(execute=True):
            assert bookings_decide(bookings=[booking], accept=True, user=agent, now=later) == 1
        booking.refresh_from_db()
        # The hold starts at acceptance, long enough for an e-mail to be read.
        assert (booking.state, booking.held_until) == (State.HELD, later + dt.timedelta(hours=48))
        assert "payez-les d'ici là" in mail.outbox[-1].body
        bookings_transition(
            bookings=[booking], action=Action.PAY, reason=Reason.PAYMENT_RECEIVED, now=later
        )
        booking.refresh_from_db()
        assert (booking.state, booking.state_reason) == (State.VALIDATED, Reason.PAYMENT_RECEIVED)
        assert [state for state, _ in events(booking)] == [
            State.CART,
            State.PENDING_APPROVAL,
            State.HELD,
            State.VALIDATED,
        ]


def test_a_family_cannot_take_a_place_by_a_move_when_the_day_is_full(garderie, tenant_a, in_tenant):
    # A held line whose hold expired no longer holds its place; paid late, it would
    # overbook the day someone else took meanwhile.
    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a):
        late = BookingFactory(
            prestation=garderie, day=DAY, state=State.HELD, held_until=now - dt.timedelta(1)
        )
        BookingFactory(prestation=garderie, day=DAY)
        with pytest.raises(ReservationsError, match=FULL):
            bookings_transition(
                bookings=[late], action=Action.PAY, reason=Reason.PAYMENT_RECEIVED, now=now
            )
        late.refresh_from_db()
        assert late.state == State.HELD


def test_vue_agenda_adds_every_open_day_and_says_what_it_skipped(
    cantine, child, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        Closure.objects.create(
            service=cantine.service,
            start=dt.date(2026, 3, 19),
            end=dt.date(2026, 3, 19),
            reason="Sortie",
        )
        # Mondays and Thursdays of March 2026, zone C: winter holidays until 08/03.
        result = agenda_add(
            child=child,
            prestation=cantine,
            start=dt.date(2026, 3, 1),
            end=dt.date(2026, 3, 31),
            weekdays=[1, 4],
            now=paris(2026, 2, 2, 9),
        )
    added = [b.day.day for b in result.added]
    skipped = {day.day: reason for day, reason in result.skipped}
    assert added == [9, 12, 16, 23, 26, 30]
    assert skipped == {2: "Vacances scolaires", 5: "Vacances scolaires", 19: "Fermeture : Sortie"}


def test_vue_agenda_even_weeks_only(cantine, child, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        result = agenda_add(
            child=child,
            prestation=cantine,
            start=dt.date(2026, 3, 9),
            end=dt.date(2026, 3, 31),
            weekdays=[1],
            week_parity="even",
            now=paris(2026, 2, 2, 9),
        )
    # ISO weeks 12 (16/03) and 14 (30/03) are even.
    assert [b.day for b in result.added] == [dt.date(2026, 3, 16), dt.date(2026, 3, 30)]


def test_a_forfait_is_booked_for_its_whole_week_in_one_click(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        forfait = PrestationFactory(
            name="GARDERIE AU FORFAIT SOIR", kind="forfait", forfait_period="week", capacity=30
        )
        result = forfait_add(
            child=ChildFactory(),
            prestation=forfait,
            day=dt.date(2026, 1, 14),
            now=paris(2026, 1, 5, 9),
        )
    assert [b.day.day for b in result.added] == [12, 13, 15, 16]


def test_the_prepaid_total_is_the_tariff_engines_with_the_foyers_qf(tenant_a, in_tenant):
    from billing.models import Tariff, TariffBracket

    with in_tenant(tenant_a):
        repas = PrestationFactory(service=ServiceFactory(prepaid=True), price=Decimal("2.55"))
        loisirs = PrestationFactory(service=repas.service, name="CENTRE DE LOISIRS")
        tariff = Tariff.objects.create(
            prestation=loisirs, valid_from=dt.date(2000, 1, 1), price_mode="brackets"
        )
        for low, high, price in ((0, 499, "4.00"), (500, None, "8.00")):
            TariffBracket.objects.create(
                tariff=tariff, qf_min=low, qf_max=high, price=Decimal(price)
            )
        kid = ChildFactory()
        QuotientFamilial.objects.create(
            foyer=kid.foyer, value=450, source="CAF", valid_from=dt.date(2026, 1, 1)
        )
        meals = [Booking(child=kid, prestation=repas, day=DAY) for _ in range(3)]
        # Seed 004: three meals at 2,55 € are 7,65 €; a QF of 450 pays the centre 4,00 €.
        assert prepaid_total(foyer_id=kid.foyer_id, bookings=meals) == Decimal("7.65")
        day = Booking(child=kid, prestation=loisirs, day=DAY)
        assert prepaid_total(foyer_id=kid.foyer_id, bookings=[*meals, day]) == Decimal("11.65")
        other = ChildFactory()  # no QF: the highest bracket
        assert prepaid_total(
            foyer_id=other.foyer_id, bookings=[Booking(child=other, prestation=loisirs, day=DAY)]
        ) == Decimal("8.00")
