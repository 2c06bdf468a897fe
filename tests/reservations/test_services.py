"""Cart services judged by the deadline rules and closures, at the instant they run."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reservations.exceptions import FULL, NOT_RUNNING, CartRefused, ReservationsError
from reservations.models import (
    Booking,
    BookingEvent,
    BookingState,
    Closure,
    Prestation,
    PrestationDay,
    Service,
)
from reservations.services import (
    ALREADY_BOOKED,
    cancel_request,
    cancel_request_withdraw,
    cart_add,
    cart_clear,
    cart_validate,
    holds_release,
)
from tests.factories import ChildFactory, FoyerFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
# Thursday 15 January 2026: a school week in every zone, no public holiday.
DAY = dt.date(2026, 1, 15)


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def cantine(tenant_a, in_tenant):
    """Valdurenque's cantine: « Mardi avant 12h pour la semaine n+1 », 2 places here."""
    with in_tenant(tenant_a):
        service = Service.objects.create(name="ECOLE", billing_mode="postfacturation")
        prestation = Prestation.objects.create(
            service=service,
            name="CANTINE",
            weekdays=[1, 2, 4, 5],
            capacity=2,
            booking_rule="weekly",
            rule_weekday=2,
            rule_weeks_ahead=1,
            rule_time=dt.time(12),
            cancellation_rule="not_allowed",
        )
        yield prestation


@pytest.fixture
def child(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        yield ChildFactory()


def test_booking_before_the_tuesday_noon_deadline(cantine, child, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        # The deadline for Thursday 15/01 is Tuesday 06/01 at 12:00, Paris.
        booking = cart_add(child=child, prestation=cantine, day=DAY, now=paris(2026, 1, 6, 11, 59))
        assert booking.state == BookingState.CART
        with pytest.raises(ReservationsError, match="Réservation close depuis le"):
            cart_add(
                child=ChildFactory(),
                prestation=cantine,
                day=DAY,
                now=paris(2026, 1, 6, 12, 0),
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
        assert booking.state == BookingState.CART


def test_not_running_days_and_staff_closures_are_refused(cantine, child, tenant_a, in_tenant):
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        with pytest.raises(ReservationsError, match=NOT_RUNNING):
            cart_add(child=child, prestation=cantine, day=dt.date(2026, 1, 14), now=now)
        Closure.objects.create(service=cantine.service, day=DAY, reason="Grève")
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
        first, second, third = (ChildFactory(foyer=foyer) for _ in range(3))
        rivals = [ChildFactory() for _ in range(2)]
        for rival in rivals:
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
        assert Booking.objects.filter(child__foyer=foyer, state=BookingState.CART).count() == 4
        assert cart_clear(foyer=foyer) == 4


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
        kids = [ChildFactory() for _ in range(2)]
        for kid in kids:
            cart_add(child=kid, prestation=cantine, day=DAY, now=now)
        cart_validate(foyer=kids[0].foyer, now=now)
        with pytest.raises(CartRefused):
            cart_validate(foyer=kids[1].foyer, now=now)


@pytest.fixture
def repas(tenant_a, in_tenant):
    """A prépaiement meal of one place, bookable the day before at 10:00."""
    with in_tenant(tenant_a):
        regie = Service.objects.create(name="REGIE", billing_mode="prepaiement")
        yield Prestation.objects.create(
            service=regie,
            name="REPAS",
            weekdays=[1, 2, 4, 5],
            capacity=1,
            booking_rule="days_before",
            rule_time=dt.time(10),
        )


def test_a_prepaid_cart_holds_its_places_for_fifteen_minutes(repas, tenant_a, in_tenant):
    now = paris(2026, 1, 12, 9)
    with in_tenant(tenant_a):
        payer, rival = ChildFactory(), ChildFactory()
        cart_add(child=payer, prestation=repas, day=DAY, now=now)
        cart_add(child=rival, prestation=repas, day=DAY, now=now)
        (held,) = cart_validate(foyer=payer.foyer, now=now)
        assert held.state == BookingState.HELD
        assert held.held_until == now + dt.timedelta(minutes=15)
        with pytest.raises(CartRefused):  # the place is held
            cart_validate(foyer=rival.foyer, now=now + dt.timedelta(minutes=14))
        with time_machine.travel(now + dt.timedelta(minutes=16)):
            assert holds_release() == 1
        held.refresh_from_db()
        assert held.state == BookingState.CART
        assert BookingEvent.objects.filter(booking=held, state=BookingState.CART).count() == 2
        (validated,) = cart_validate(foyer=rival.foyer, now=now + dt.timedelta(minutes=16))
        assert validated.state == BookingState.HELD


@pytest.fixture
def garderie(tenant_a, in_tenant):
    """« La veille avant 17h00 pour le lendemain », for booking and cancelling."""
    with in_tenant(tenant_a):
        service = Service.objects.create(name="PERISCOLAIRE", billing_mode="postfacturation")
        yield Prestation.objects.create(
            service=service,
            name="GARDERIE MATIN",
            weekdays=[1, 2, 4, 5],
            capacity=1,
            booking_rule="days_before",
            rule_days_before=1,
            rule_time=dt.time(17),
        )


def test_cancelling_within_the_deadline_frees_the_place(
    garderie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    from django.core import mail

    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        foyer = FoyerFactory(email="parent@exemple.test")
        kid, other = ChildFactory(foyer=foyer), ChildFactory()
        cart_add(child=kid, prestation=garderie, day=DAY, now=now)
        (booking,) = cart_validate(foyer=foyer, now=now)
        assert booking.state == BookingState.VALIDATED
        cancel_request(booking=booking, now=now)
        (cancelled,) = cart_validate(foyer=foyer, now=now)
        assert cancelled.state == BookingState.CANCELLED
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
        assert booking.state == BookingState.CANCEL_REQUESTED
        cancel_request_withdraw(booking=booking)
        booking.refresh_from_db()
        assert booking.state == BookingState.VALIDATED


def test_cantine_cannot_be_cancelled_without_a_justified_absence(
    cantine, child, tenant_a, in_tenant
):
    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        cart_add(child=child, prestation=cantine, day=DAY, now=now)
        (booking,) = cart_validate(foyer=child.foyer, now=now)
        with pytest.raises(ReservationsError, match="Annulation non autorisée sans absence"):
            cancel_request(booking=booking, now=now)


def test_an_accepted_absence_cancels_past_the_deadline_and_frees_the_place(
    cantine, child, tenant_a, in_tenant
):
    from reservations.services import JUSTIFIED_ABSENCE, bookings_cancel_for_absence, waitlist_join
    from tests.factories import UserFactory

    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        other, waiting = ChildFactory(), ChildFactory()
        later = DAY + dt.timedelta(days=1)
        for kid in (child, other):
            cart_add(child=kid, prestation=cantine, day=DAY, now=now)
            cart_validate(foyer=kid.foyer, now=now)
        cart_add(child=child, prestation=cantine, day=later, now=now)
        cart_validate(foyer=child.foyer, now=now)
        waitlist_join(child=waiting, prestation=cantine, day=DAY, now=now)
        staff = UserFactory()
        # Thursday itself, long past « Mardi avant 12h »: staff accepted the justificatif.
        cancelled = bookings_cancel_for_absence(
            child=child, start=DAY, end=DAY, user=staff, now=paris(2026, 1, 15, 8)
        )
        assert [(b.day, b.state) for b in cancelled] == [(DAY, BookingState.CANCELLED)]
        event = BookingEvent.objects.filter(booking=cancelled[0]).latest("at")
        assert (event.by_user_id, event.by_staff, event.note) == (staff.pk, True, JUSTIFIED_ABSENCE)
        # The next day is untouched, the freed place went to the first in line.
        assert Booking.objects.get(child=child, day=later).state == BookingState.VALIDATED
        assert Booking.objects.get(child=waiting, day=DAY).state == BookingState.VALIDATED
        assert Booking.objects.get(child=other, day=DAY).state == BookingState.VALIDATED


def test_staff_approval_tells_the_family(
    garderie, tenant_a, in_tenant, client_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tests.factories import MembershipFactory

    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a):
        garderie.requires_approval = True
        garderie.save()
        foyer = FoyerFactory(email="attente@exemple.test")
        kid = ChildFactory(foyer=foyer)
        cart_add(child=kid, prestation=garderie, day=DAY, now=now)
        (booking,) = cart_validate(foyer=foyer, now=now)
        assert booking.state == BookingState.PENDING_APPROVAL
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role="agent").user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/admin/reservations/booking/",
            {"action": "accept", "_selected_action": [booking.pk]},
            follow=True,
        )
    assert "1 demande(s) acceptée(s)" in response.content.decode()
    with in_tenant(tenant_a):
        booking.refresh_from_db()
        assert booking.state == BookingState.VALIDATED
        assert booking.events.filter(by_staff=True).count() == 1
    assert mail.outbox[-1].subject == "Réponse de la mairie à vos demandes de réservation"
    assert "accepté" in mail.outbox[-1].body


def test_waiting_list_gets_a_freed_place_at_once(
    garderie, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    from django.core import mail

    from reservations.services import WAITLIST_NOT_FULL, waitlist_join

    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        holder, first, second = (ChildFactory() for _ in range(3))
        first.foyer.email = "premier@exemple.test"
        first.foyer.save()
        with pytest.raises(ReservationsError, match=WAITLIST_NOT_FULL):
            waitlist_join(child=first, prestation=garderie, day=DAY, now=now)
        cart_add(child=holder, prestation=garderie, day=DAY, now=now)
        (booking,) = cart_validate(foyer=holder.foyer, now=now)
        assert waitlist_join(child=first, prestation=garderie, day=DAY, now=now) == 1
        assert waitlist_join(child=second, prestation=garderie, day=DAY, now=now) == 2
        cancel_request(booking=booking, now=now)
        cart_validate(foyer=holder.foyer, now=now)
        promoted = Booking.objects.get(child=first, prestation=garderie, day=DAY)
        assert promoted.state == BookingState.VALIDATED
        assert not Booking.objects.filter(child=second).exists()
    assert mail.outbox[-1].to == ["premier@exemple.test"]
    assert "Une place s'est libérée" in mail.outbox[-1].subject


def test_raising_the_capacity_serves_the_waiting_list(garderie, tenant_a, in_tenant, client_a):
    from reservations.services import waitlist_join
    from tests.factories import MembershipFactory

    now = paris(2026, 1, 13, 9)
    with in_tenant(tenant_a):
        holder, waiting = ChildFactory(), ChildFactory()
        cart_add(child=holder, prestation=garderie, day=DAY, now=now)
        cart_validate(foyer=holder.foyer, now=now)
        with time_machine.travel(now, tick=False):
            waitlist_join(child=waiting, prestation=garderie, day=DAY)
        # The validation created the day's capacity row; staff raise it there.
        row = PrestationDay.objects.get(prestation=garderie, day=DAY)
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role="agent").user)
    with time_machine.travel(now, tick=False):
        response = client_a.post(
            f"/admin/reservations/prestationday/{row.pk}/change/",
            {"prestation": garderie.pk, "day": DAY.isoformat(), "capacity": 2},
        )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert Booking.objects.get(child=waiting).state == BookingState.VALIDATED


def test_the_periodic_task_releases_expired_holds_in_every_collectivite(repas, tenant_a, in_tenant):
    from reservations.tasks import holds_release_task

    now = paris(2026, 1, 12, 9)
    with in_tenant(tenant_a):
        kid = ChildFactory()
        cart_add(child=kid, prestation=repas, day=DAY, now=now)
        cart_validate(foyer=kid.foyer, now=now)
    with time_machine.travel(now + dt.timedelta(minutes=20)):
        assert holds_release_task.delay().get() == 1


def test_day_sheet_and_meal_counts_for_staff(cantine, tenant_a, in_tenant, client_a):
    from tests.factories import MembershipFactory

    now = paris(2026, 1, 5, 9)
    with in_tenant(tenant_a):
        cantine.is_meal = True
        cantine.save()
        veggie = ChildFactory(last_name="VERT", first_name="Léa", classe="CE1", regime="vegetarien")
        classic = ChildFactory(last_name="BLEU", first_name="Tom", classe="CP")
        for kid in (veggie, classic):
            cart_add(child=kid, prestation=cantine, day=DAY, now=now)
            cart_validate(foyer=kid.foyer, now=now)
        service_pk = cantine.service_id
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role="comptable").user)
    sheet = client_a.get(
        f"/admin/reservations/service/{service_pk}/feuille-du-jour/?jour={DAY.isoformat()}"
    ).content.decode()
    assert "2 enfants attendus" in sheet
    assert sheet.index("CE1") < sheet.index("VERT Léa")
    csv_export = client_a.get(
        f"/admin/reservations/service/{service_pk}/repas/?debut={DAY.isoformat()}&format=csv"
    ).content.decode("utf-8-sig")
    assert csv_export.splitlines() == [
        "Jour;Classique;Végétarien;Sans porc;Total",
        "15/01/2026;1;1;0;2",
    ]


def test_vue_agenda_adds_every_open_day_and_says_what_it_skipped(
    cantine, child, tenant_a, in_tenant
):
    from reservations.services import agenda_add

    with in_tenant(tenant_a):
        Closure.objects.create(service=cantine.service, day=dt.date(2026, 3, 19), reason="Sortie")
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
    from reservations.services import agenda_add

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
    from reservations.services import forfait_add

    with in_tenant(tenant_a):
        service = Service.objects.create(name="PERI", billing_mode="postfacturation")
        forfait = Prestation.objects.create(
            service=service,
            name="GARDERIE AU FORFAIT SOIR",
            kind="forfait",
            forfait_period="week",
            weekdays=[1, 2, 4, 5],
            capacity=30,
            booking_rule="days_before",
            rule_time=dt.time(17),
        )
        kid = ChildFactory()
        result = forfait_add(
            child=kid, prestation=forfait, day=dt.date(2026, 1, 14), now=paris(2026, 1, 5, 9)
        )
    assert [b.day.day for b in result.added] == [12, 13, 15, 16]


def test_the_prepaid_total_is_rounded_once():
    from decimal import Decimal

    from reservations.pricing import cart_total

    assert cart_total([Decimal("2.55")] * 3) == Decimal("7.65")
    assert cart_total([Decimal("2.55")] * 6) == Decimal("15.30")
    assert cart_total([Decimal("0.333")] * 3 + [None]) == Decimal("1.00")
