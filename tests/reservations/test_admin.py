"""The staff's admin of bookings and its sheets: which rows come back, what each action does.

Staff book and decide through the lifecycle: accept, refuse (with a motive the family
reads), cancel, book past the deadlines; the readers (régisseur, comptable) only read.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils.html import escape

from reservations.admin_bookings import MOTIVE_REQUIRED
from reservations.exceptions import OVERRIDE_MOTIVE_REQUIRED, SLOTS_OVERLAP_NAMED
from reservations.lifecycle import Reason, State
from reservations.models import Booking, WaitingListEntry
from tenants.models import Role
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    WaitingListEntryFactory,
)
from tests.reservations.conftest import DAY, paris

pytestmark = pytest.mark.django_db

BOOKINGS = "/admin/reservations/booking/"
NOW = paris(2026, 1, 13, 9)
NO_INLINE = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent_client(client_a, tenant_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


@pytest.fixture
def rows(garderie, cantine, tenant_a, in_tenant):
    """Bookings of three children of two foyers, in several states and for two services."""
    with in_tenant(tenant_a):
        roux = FoyerFactory(name="ROUX", email="roux@exemple.test")
        lea = ChildFactory(foyer=roux, last_name="ROUX", first_name="Léa")
        tom = ChildFactory(foyer=roux, last_name="ROUX", first_name="Tom")
        emma = ChildFactory(last_name="BLANC", first_name="Emma")
        garderie.requires_approval = True
        garderie.capacity = 3
        garderie.save()
        return {
            "pending": BookingFactory(child=lea, prestation=garderie, day=DAY, state="pending"),
            "validated": BookingFactory(child=tom, prestation=garderie, day=DAY),
            "absence": BookingFactory(
                child=emma,
                prestation=cantine,
                day=DAY,
                state=State.CANCELLED,
                state_reason=Reason.JUSTIFIED_ABSENCE,
            ),
            "other": BookingFactory(child=emma, prestation=garderie, day=DAY),
        }


def listed(client, **params) -> set[int]:
    response = client.get(BOOKINGS, params)
    assert response.status_code == 200
    return {booking.pk for booking in response.context["cl"].result_list}


def test_search_and_filters_bring_back_exactly_their_rows(agent_client, rows):
    ids = {name: booking.pk for name, booking in rows.items()}
    assert listed(agent_client) == set(ids.values())
    assert listed(agent_client, q="roux") == {ids["pending"], ids["validated"]}
    assert listed(agent_client, q="Emma") == {ids["absence"], ids["other"]}
    assert listed(agent_client, q="léa") == {ids["pending"]}
    assert listed(agent_client, state__exact="pending") == {ids["pending"]}
    assert listed(agent_client, state_reason__exact="justified_absence") == {ids["absence"]}
    cantine_service = rows["absence"].prestation.service_id
    assert listed(agent_client, prestation__service__id__exact=cantine_service) == {ids["absence"]}


def test_the_list_runs_the_same_queries_for_one_or_many_rows(
    agent_client, rows, garderie, tenant_a, in_tenant, django_assert_num_queries
):
    agent_client.get(BOOKINGS)  # the host lookup cached, as for every later page
    # search_path, session, account, role; the services and the prestations of two
    # filters; the count twice; the rows with their prestation, service and child; the date
    # hierarchy's range and days; the schools and the classes of two filters.
    with django_assert_num_queries(12):
        agent_client.get(BOOKINGS)
    with in_tenant(tenant_a):
        for _ in range(5):
            BookingFactory(prestation=garderie, day=DAY + dt.timedelta(days=1))
    with django_assert_num_queries(12):
        agent_client.get(BOOKINGS)


def test_accept_validates_the_pending_requests_and_tells_the_families(
    agent_client, rows, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    selected = [rows["pending"].pk, rows["validated"].pk]  # the validated one is left alone
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            BOOKINGS, {"action": "accept", "_selected_action": selected}, follow=True
        )
    assert "1 demande(s) acceptée(s)" in response.content.decode()
    with in_tenant(tenant_a):
        accepted = Booking.objects.get(pk=rows["pending"].pk)
        assert (accepted.state, accepted.state_reason) == (State.VALIDATED, Reason.APPROVAL)
        event = accepted.events.latest("pk")
        assert event.by_staff and event.reason == Reason.APPROVAL
    assert mail.outbox[-1].to == ["roux@exemple.test"]
    assert "La mairie a accepté" in mail.outbox[-1].body


def test_refuse_asks_for_a_motive_then_tells_it_to_the_family(
    agent_client, rows, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    pending = rows["pending"]
    form = {"action": "refuse", "_selected_action": [pending.pk]}
    asked = agent_client.post(BOOKINGS, form)
    assert asked.status_code == 200
    assert "Motif (obligatoire)" in asked.content.decode()
    missing = agent_client.post(BOOKINGS, {**form, "confirmer": "oui", "motif": ""})
    assert escape(MOTIVE_REQUIRED) in missing.content.decode()
    with in_tenant(tenant_a):
        assert Booking.objects.get(pk=pending.pk).state == State.PENDING_APPROVAL
    with django_capture_on_commit_callbacks(execute=True):
        done = agent_client.post(
            BOOKINGS, {**form, "confirmer": "oui", "motif": "Plus de place au car"}, follow=True
        )
    assert "Demandes refusées : 1" in done.content.decode()
    with in_tenant(tenant_a):
        refused = Booking.objects.get(pk=pending.pk)
        assert (refused.state, refused.state_reason) == (State.REFUSED, Reason.STAFF_REFUSAL)
        assert refused.events.latest("pk").note == "Plus de place au car"
    assert "Motif : Plus de place au car" in mail.outbox[-1].body


def test_cancel_by_the_mairie_keeps_the_booking_and_its_reason(
    agent_client, rows, tenant_a, in_tenant
):
    target = rows["validated"]
    agent_client.post(
        BOOKINGS,
        {"action": "cancel", "_selected_action": [target.pk], "confirmer": "oui", "motif": ""},
    )
    with in_tenant(tenant_a):
        cancelled = Booking.objects.get(pk=target.pk)
        assert (cancelled.state, cancelled.state_reason) == (
            State.CANCELLED,
            Reason.STAFF_CANCELLATION,
        )
        assert cancelled.events.count() == 2


def test_staff_book_past_the_deadline_and_the_child_leaves_the_waiting_list(
    agent_client, cantine, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        child = ChildFactory()
        entry = WaitingListEntryFactory(child=child, prestation=cantine, day=DAY)
    # Tuesday 13/01, past « Mardi avant 12h » of the week before: refused without the
    # explicit override, then with it but no motive, then booked.
    typed = {"child": child.pk, "prestation": cantine.pk, "day": "15/01/2026"}
    refused = agent_client.post(f"{BOOKINGS}add/", typed).content.decode()
    assert "Réservation close depuis le" in refused
    assert escape("cochez « Passer outre le délai ou la capacité »") in refused
    no_motive = agent_client.post(f"{BOOKINGS}add/", {**typed, "override": "on"})
    assert escape(OVERRIDE_MOTIVE_REQUIRED) in no_motive.content.decode()
    response = agent_client.post(f"{BOOKINGS}add/", {**typed, "override": "on", "note": "Oubli"})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        booking = Booking.objects.get(child=child)
        assert (booking.state, booking.state_reason) == (State.VALIDATED, Reason.DEADLINE_OVERRIDE)
        event = booking.events.get()
        assert (event.by_staff, event.reason) == (True, Reason.DEADLINE_OVERRIDE)
        assert event.note == (
            "Hors règle (Réservation close depuis le mardi 06/01/2026 à 12h00) : Oubli"
        )
        entry.refresh_from_db()
        assert entry.promoted_to == booking


def test_staff_cannot_book_overlapping_hours_either(agent_client, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        t1 = PrestationFactory(soir_t1=True)
        t2 = PrestationFactory(service=t1.service, soir_t2=True)
        held = BookingFactory(prestation=t1, day=DAY)
    response = agent_client.post(
        f"{BOOKINGS}add/", {"child": held.child_id, "prestation": t2.pk, "day": "15/01/2026"}
    )
    assert response.status_code == 200
    message = SLOTS_OVERLAP_NAMED.format(name=t2.name, other=t1.name)
    assert escape(message) in response.content.decode()
    with in_tenant(tenant_a):
        assert Booking.objects.filter(child_id=held.child_id).count() == 1


def test_the_change_page_offers_only_the_moves_of_the_lifecycle(
    agent_client, rows, tenant_a, in_tenant
):
    pending, validated = rows["pending"], rows["validated"]
    page = agent_client.get(f"{BOOKINGS}{pending.pk}/change/")
    choices = dict(page.context["adminform"].form.fields["new_state"].choices)
    assert set(choices) == {"", State.VALIDATED, State.REFUSED, State.CANCELLED}
    # A refusal needs its motive; a move the table does not allow is not offered.
    no_motive = agent_client.post(
        f"{BOOKINGS}{pending.pk}/change/", {"new_state": State.REFUSED, **NO_INLINE}
    )
    assert escape(MOTIVE_REQUIRED) in no_motive.content.decode()
    forged = agent_client.post(
        f"{BOOKINGS}{validated.pk}/change/", {"new_state": State.REFUSED, **NO_INLINE}
    )
    assert forged.status_code == 200
    with in_tenant(tenant_a):
        assert Booking.objects.get(pk=pending.pk).state == State.PENDING_APPROVAL
        assert Booking.objects.get(pk=validated.pk).state == State.VALIDATED


@pytest.mark.parametrize("role", [Role.REGISSEUR, Role.COMPTABLE])
def test_readers_read_bookings_and_decide_nothing(role, rows, client_a, tenant_a, in_tenant):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=role).user)
    response = client_a.get(BOOKINGS)
    assert response.status_code == 200
    assert "action_form" not in response.context or not response.context["action_form"]
    assert client_a.get(f"{BOOKINGS}add/").status_code == 403
    pending = rows["pending"]
    client_a.post(
        BOOKINGS,
        {"action": "accept", "_selected_action": [pending.pk]},
    )
    assert (
        client_a.post(
            f"{BOOKINGS}{pending.pk}/change/", {"new_state": State.VALIDATED, **NO_INLINE}
        ).status_code
        == 403
    )
    with in_tenant(tenant_a):
        assert Booking.objects.get(pk=pending.pk).state == State.PENDING_APPROVAL


def test_the_day_sheet_and_the_meals_count_what_holds_a_place_pending_apart(
    cantine, tenant_a, in_tenant, client_a
):
    with in_tenant(tenant_a):
        veggie = ChildFactory(last_name="VERT", first_name="Léa", classe="CE1", regime="vegetarien")
        classic = ChildFactory(last_name="BLEU", first_name="Tom", classe="CP")
        waiting = ChildFactory(last_name="GRIS", first_name="Zoé", classe="CP")
        BookingFactory(child=veggie, prestation=cantine, day=DAY)
        BookingFactory(child=classic, prestation=cantine, day=DAY, state=State.CANCEL_REQUESTED)
        BookingFactory(child=waiting, prestation=cantine, day=DAY, state=State.PENDING_APPROVAL)
        # Neither counts: a cart never sent, a hold that expired unpaid.
        BookingFactory(prestation=cantine, day=DAY, state=State.CART)
        BookingFactory(
            prestation=cantine, day=DAY, state=State.HELD, held_until=NOW - dt.timedelta(1)
        )
        service = cantine.service_id
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    sheet = client_a.get(
        f"/admin/reservations/service/{service}/feuille-du-jour/?jour={DAY.isoformat()}"
    ).content.decode()
    assert "3 enfants attendus, dont 1 en attente" in sheet
    # By class (CE1 before CP), then by name.
    assert sheet.index("VERT Léa") < sheet.index("BLEU Tom") < sheet.index("GRIS Zoé")
    assert "GRIS Zoé <em>(en attente)</em>" in sheet
    csv_export = client_a.get(
        f"/admin/reservations/service/{service}/repas/?debut={DAY.isoformat()}&format=csv"
    ).content.decode("utf-8-sig")
    assert csv_export.splitlines() == [
        "Jour;Classique;Végétarien;Sans porc;Total;Dont en attente",
        "12/01/2026;0;0;0;0;0",
        "13/01/2026;0;0;0;0;0",
        "14/01/2026;0;0;0;0;0",
        "15/01/2026;2;1;0;3;1",
        "16/01/2026;0;0;0;0;0",
        "Semaine;2;1;0;3;1",
    ]
    meals = client_a.get(
        f"/admin/reservations/service/{service}/repas/?debut={DAY.isoformat()}"
    ).content.decode()
    assert "dont 1 en attente" in meals
    with in_tenant(tenant_a):
        assert not WaitingListEntry.objects.exists()
