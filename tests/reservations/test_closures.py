"""Closures as a workflow: they cancel, tell each family once, credit, and are never billed.

The clock: Monday 02/03/2026 09:00 in Paris (alpha is zone C, back from the winter
holidays on the 9th). The strike is on Thursday 12/03/2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from billing.models import CreditNote, Invoice, InvoiceKind, InvoiceLine
from billing.services.invoicing import draft_bills
from reservations import policy
from reservations.exceptions import (
    CLOSURE_IN_PAST,
    CLOSURE_NOT_ALLOWED,
    CLOSURE_OTHER_SERVICE,
    CLOSURE_REASON_EMPTY,
    CLOSURE_RUNNING,
    CLOSURE_TOO_LONG,
    CLOSURE_UPSIDE_DOWN,
    ClosureError,
    ReservationsError,
)
from reservations.lifecycle import Reason, State
from reservations.models import Booking, BookingEvent, Closure, ClosureStatus, WaitingListEntry
from reservations.selectors import reports
from reservations.services import closures
from reservations.services.closure_job import closure_apply
from reservations.services.closures import closure_create, closure_delete, closure_update
from reservations.services.staff import booking_staff_create
from tenants.models import Role
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    ServiceFactory,
    WaitingListEntryFactory,
)
from tests.reservations.conftest import paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 3, 2, 9)
STRIKE = dt.date(2026, 3, 12)  # a Thursday
FRIDAY = dt.date(2026, 3, 13)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent(tenant_a):
    return MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user


@pytest.fixture
def school(tenant_a, in_tenant):
    """A service with its cantine and garderie; two families booked on the strike day.

    MARTIN: Léa (cantine and garderie), Tom (cantine, awaiting approval); DURAND: Noé
    (cantine), and a cart line; Noé also has the Friday. A child of DUPONT waits for a
    place on the strike day.
    """
    with in_tenant(tenant_a):
        service = ServiceFactory(name="GROUPE SCOLAIRE")
        cantine = PrestationFactory(service=service, cantine=True, price=Decimal("3.60"))
        garderie = PrestationFactory(service=service, name="GARDERIE MATIN", matin=True)
        martin = FoyerFactory(name="MARTIN", email="martin@exemple.test")
        durand = FoyerFactory(name="DURAND", email="durand@exemple.test")
        lea = ChildFactory(foyer=martin, first_name="Léa")
        tom = ChildFactory(foyer=martin, first_name="Tom")
        noe = ChildFactory(foyer=durand, first_name="Noé")
        bookings = {
            "lea_cantine": BookingFactory(child=lea, prestation=cantine, day=STRIKE),
            "lea_garderie": BookingFactory(child=lea, prestation=garderie, day=STRIKE),
            "tom": BookingFactory(
                child=tom, prestation=cantine, day=STRIKE, state=State.PENDING_APPROVAL
            ),
            "noe": BookingFactory(child=noe, prestation=cantine, day=STRIKE),
            "noe_cart": BookingFactory(
                child=noe, prestation=garderie, day=STRIKE, state=State.CART
            ),
            "noe_friday": BookingFactory(child=noe, prestation=cantine, day=FRIDAY),
        }
        waiting = WaitingListEntryFactory(prestation=cantine, day=STRIKE)
    return {
        "service": service,
        "cantine": cantine,
        "garderie": garderie,
        "martin": martin,
        "durand": durand,
        "waiting": waiting,
        **bookings,
    }


def close(school, agent, **fields):
    values = {
        "service": school["service"],
        "prestations": [],
        "start": STRIKE,
        "end": STRIKE,
        "reason": "Grève",
        "user": agent,
    }
    return closure_create(**{**values, **fields})


def states(school) -> dict[str, tuple[str, str]]:
    return {
        name: tuple(Booking.objects.filter(pk=booking.pk).values_list("state", "state_reason")[0])
        for name, booking in school.items()
        if isinstance(booking, Booking)
    }


def test_a_closure_cancels_its_days_tells_each_family_once_and_frees_no_place(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            closure = close(school, agent)
        closure.refresh_from_db()
        after = states(school)
        events = BookingEvent.objects.filter(booking=school["lea_cantine"]).order_by("pk")
        last = events.last()
        waiting = WaitingListEntry.objects.filter(pk=school["waiting"].pk).exists()
        promoted = Booking.objects.filter(day=STRIKE).exclude(state=State.CANCELLED).count()
    cancelled = (State.CANCELLED, Reason.CLOSURE)
    assert after == {
        "lea_cantine": cancelled,
        "lea_garderie": cancelled,
        "tom": cancelled,
        "noe": cancelled,
        "noe_cart": cancelled,
        "noe_friday": (State.VALIDATED, Reason.PARENT),  # another day: untouched
    }
    assert (last.reason, last.by_user_id, last.by_staff) == (Reason.CLOSURE, agent.pk, True)
    assert last.note == "Fermeture le jeudi 12/03/2026 : Grève"
    # The waiting list of a closed day is emptied: no child is booked into the closure.
    assert (waiting, promoted) == (False, 0)
    assert (closure.status, closure.bookings_total, closure.bookings_done) == ("done", 5, 5)
    assert (closure.foyers_notified, closure.percent) == (2, 100)
    sent = sorted(mail.outbox, key=lambda m: m.to)
    assert [m.to for m in sent] == [["durand@exemple.test"], ["martin@exemple.test"]]
    martin = sent[1]
    assert martin.subject == "Fermeture le jeudi 12/03/2026 : vos réservations sont annulées"
    assert "Motif : Grève" in martin.body
    assert martin.body.count("le 12/03/2026") == 3  # Léa twice, Tom once, in one e-mail


def test_a_closure_saved_where_the_transaction_outlives_the_collectivite_runs_in_it(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    # seed_demo wraps a collectivité's data in a transaction that commits after leaving its
    # schema: the job, queued at commit, ran in « public » and failed (« relation
    # reservations_closure does not exist »). It runs in the schema the closure was saved in.
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        in_tenant(tenant_a),
    ):
        closure = close(school, agent)
    with in_tenant(tenant_a):
        closure.refresh_from_db()
    assert (closure.status, closure.bookings_done) == ("done", 5)
    assert sorted(m.to[0] for m in mail.outbox) == ["durand@exemple.test", "martin@exemple.test"]


def test_the_closed_days_leave_the_sheets_the_counts_and_billing(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        service = school["service"]
        before = reports.meal_counts(service=service, start=STRIKE, end=FRIDAY, now=NOW)
        with django_capture_on_commit_callbacks(execute=True):
            close(school, agent)
        sheet = reports.day_sheet(service=service, day=STRIKE, now=NOW, with_health=True)
        after = reports.meal_counts(service=service, start=STRIKE, end=FRIDAY, now=NOW)
        bills = draft_bills(
            service=service,
            start=dt.date(2026, 3, 1),
            end=dt.date(2026, 3, 31),
            foyer_ids=[school["martin"].pk, school["durand"].pk],
        )
        billed = {line.booking_id for bill in bills for line in bill.lines}
        refusal = policy.booking_refusal(prestation=school["cantine"], day=STRIKE, now=NOW)
    assert [day.total for day in before.days] == [3, 1]
    assert sheet.total == 0 and sheet.closures == ["Grève"]
    assert [day.total for day in after.days] == [0, 1] and after.total == 1
    assert billed == {school["noe_friday"].pk}
    assert refusal == "Fermeture : Grève"


def test_staff_cannot_book_a_closed_day_even_with_the_override(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            close(school, agent, prestations=[school["cantine"]])
        child = ChildFactory()
        with pytest.raises(ReservationsError, match="Fermeture : Grève"):
            booking_staff_create(
                child=child,
                prestation=school["cantine"],
                day=STRIKE,
                user=agent,
                override=True,
                note="Urgence",
            )
        # The garderie stays open that day: only the cantine was closed.
        booked = booking_staff_create(
            child=child, prestation=school["garderie"], day=STRIKE, user=agent
        )
    assert booked.state == State.VALIDATED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "  "}, CLOSURE_REASON_EMPTY),
        ({"end": STRIKE - dt.timedelta(days=1)}, CLOSURE_UPSIDE_DOWN),
        ({"start": dt.date(2026, 3, 1)}, CLOSURE_IN_PAST),
        ({"end": STRIKE + dt.timedelta(days=closures.MAX_DAYS)}, None),
    ],
)
def test_bad_closures_are_refused_and_change_nothing(
    school, agent, tenant_a, in_tenant, fields, message
):
    message = message or CLOSURE_TOO_LONG.format(days=closures.MAX_DAYS)
    with in_tenant(tenant_a):
        with pytest.raises(ClosureError) as error:
            close(school, agent, **fields)
        count = Closure.objects.count()
        cancelled = Booking.objects.filter(state=State.CANCELLED).count()
    assert (error.value.message, count, cancelled) == (message, 0, 0)


def test_a_prestation_of_another_service_and_a_reader_are_refused(
    school, tenant_a, in_tenant, agent
):
    regisseur = MembershipFactory(collectivite=tenant_a, role=Role.REGISSEUR).user
    with in_tenant(tenant_a):
        other = PrestationFactory(name="AUTRE")
        with pytest.raises(ClosureError) as error:
            close(school, agent, prestations=[other])
        assert error.value.message == CLOSURE_OTHER_SERVICE.format(name="AUTRE")
        with pytest.raises(ClosureError) as error:
            close(school, regisseur)
        assert error.value.message == CLOSURE_NOT_ALLOWED
        assert not Closure.objects.exists()


def test_overlapping_closures_of_the_same_prestations_are_refused(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            close(school, agent, prestations=[school["garderie"]], end=FRIDAY, reason="Sortie")
            # Another prestation on the same days: allowed.
            close(school, agent, prestations=[school["cantine"]])
        for prestations in ([school["garderie"]], []):  # the same one, or the whole service
            with pytest.raises(ClosureError) as error:
                close(school, agent, prestations=prestations, start=FRIDAY, end=FRIDAY)
            assert error.value.message.startswith(
                "Une fermeture de ce service couvre déjà « GARDERIE MATIN » du jeudi "
                "12/03/2026 au vendredi 13/03/2026 (« Sortie »)"
            )
        assert Closure.objects.count() == 2


def test_the_job_works_by_families_and_run_again_sends_nothing_twice(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        closure = close(school, agent)  # the job not run: on_commit not executed
        assert closure.status == ClosureStatus.QUEUED and closure.bookings_total == 5
        done = closure_apply(closure_id=closure.pk, batch_foyers=1)
        again = closure_apply(closure_id=closure.pk, batch_foyers=1)
    assert (done.bookings_done, done.foyers_notified, done.status) == (5, 2, "done")
    assert (again.bookings_done, again.foyers_notified, again.bookings_total) == (5, 2, 5)
    assert len(mail.outbox) == 0  # journaled here, sent once the transaction commits
    with in_tenant(tenant_a):
        from portal.models import OutgoingEmail

        keys = set(OutgoingEmail.objects.values_list("key", flat=True))
    assert keys == {
        f"closure:{closure.pk}:1:{school['durand'].pk}",
        f"closure:{closure.pk}:1:{school['martin'].pk}",
    }


def test_a_changed_closure_cancels_what_it_gained_and_tells_those_families(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            closure = close(school, agent, prestations=[school["garderie"]])
        assert [m.to for m in mail.outbox] == [["martin@exemple.test"]]
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            closure = closure_update(
                closure=closure,
                prestations=[],
                start=STRIKE,
                end=FRIDAY,
                reason="Grève prolongée",
                user=agent,
            )
        closure.refresh_from_db()
        after = states(school)
    assert all(state == State.CANCELLED for state, _ in after.values())
    assert (closure.revision, closure.bookings_done, closure.bookings_total) == (2, 6, 6)
    assert sorted(m.to[0] for m in mail.outbox) == ["durand@exemple.test", "martin@exemple.test"]
    assert all("Grève prolongée" in m.body for m in mail.outbox)


def test_a_closure_being_applied_cannot_change_nor_go(school, agent, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        closure = close(school, agent)  # queued, its job not run yet
        for attempt in (
            lambda: closure_update(
                closure=closure, prestations=[], start=STRIKE, end=STRIKE, reason="X", user=agent
            ),
            lambda: closure_delete(closure=closure, user=agent),
        ):
            with pytest.raises(ClosureError) as error:
                attempt()
            assert error.value.message == CLOSURE_RUNNING


def test_undoing_a_closure_opens_its_days_again_and_restores_nothing(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            closure = close(school, agent, publish_news=True)
        post = closure.news_post
        assert (post.category, post.service_id, post.publish_at) == (
            "fermeture",
            school["service"].pk,
            NOW,
        )
        assert post.title == "Fermeture le jeudi 12/03/2026 : GROUPE SCOLAIRE"
        cancelled = closure_delete(closure=closure, user=agent)
        post.refresh_from_db()
        refusal = policy.booking_refusal(prestation=school["cantine"], day=STRIKE, now=NOW)
        still = Booking.objects.filter(day=STRIKE, state=State.CANCELLED).count()
    assert (cancelled, still, refusal) == (5, 5, None)
    assert post.unpublish_at is not None and post.unpublish_at <= NOW + dt.timedelta(seconds=1)


def _prepaid_ticket(foyer, booking, *, paid: bool) -> Invoice:
    ticket = Invoice.objects.create(
        kind=InvoiceKind.PREPAID,
        number=f"2026-PRE-{booking.pk:06d}",
        service=booking.prestation.service,
        foyer=foyer,
        period_start=booking.day,
        period_end=booking.day,
        issued_on=dt.date(2026, 3, 2),
        due_on=dt.date(2026, 3, 2),
        total=Decimal("3.60"),
        amount_paid=Decimal("3.60") if paid else Decimal("0"),
        status="paid" if paid else "due",
        payer_name=foyer.name,
        foyer_name=foyer.name,
        service_name=booking.prestation.service.name,
    )
    InvoiceLine.objects.create(
        invoice=ticket,
        child=booking.child,
        child_name=str(booking.child),
        prestation=booking.prestation,
        label=booking.prestation.name,
        day=booking.day,
        quantity=1,
        unit_price=Decimal("3.60"),
        amount=Decimal("3.60"),
        booking=booking,
    )
    return ticket


def test_prepaid_days_are_credited_the_paid_ones_to_the_foyers_account(
    school, agent, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    from billing.services.accounts import account_balance

    with in_tenant(tenant_a):
        due = _prepaid_ticket(school["durand"], school["noe"], paid=False)
        paid = _prepaid_ticket(school["martin"], school["lea_cantine"], paid=True)
        with django_capture_on_commit_callbacks(execute=True):
            closure = close(school, agent)
        closure.refresh_from_db()
        due.refresh_from_db()
        paid.refresh_from_db()
        credits = {c.invoice_id: c for c in CreditNote.objects.all()}
        martin_balance = account_balance(foyer_id=school["martin"].pk)
    assert (credits[due.pk].total, due.status) == (Decimal("3.60"), "credited")
    assert credits[due.pk].reason == "Fermeture le jeudi 12/03/2026 : Grève"
    # The paid ticket is cancelled by its avoir too; the 3,60 € paid wait on the family's
    # account for its next payment.
    assert (credits[paid.pk].total, paid.status, martin_balance) == (
        Decimal("3.60"),
        "credited",
        Decimal("3.60"),
    )
    assert (closure.status, closure.credits_issued, closure.error) == ("done", 2, "")
