"""One history per child and per foyer: every kind of event, who and when in Paris time,
newest first, page by page, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from datetime import UTC
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Attendance, AttendanceMark, Invoice
from families.models import Child
from families.timeline import timeline_page
from requests_inbox.models import Absence, Category, Message, Thread
from reservations.lifecycle import Reason, State
from reservations.models import Booking, BookingEvent
from tenants.models import Role
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def booked(child, prestation, day, *, at, state=State.VALIDATED, **event) -> Booking:
    """A booking with its first event at ``at`` (events are never changed afterwards)."""
    booking = Booking.objects.create(child=child, prestation=prestation, day=day, state=state)
    BookingEvent.objects.create(
        booking=booking, state=state, reason=event.pop("reason", Reason.PARENT), at=at, **event
    )
    return booking


@pytest.fixture
def history(tenant_a, in_tenant):
    """Léa ROUX's winter, one event of each kind, a minute apart (UTC)."""
    agent = UserFactory(first_name="Agnès", last_name="AGENT")
    parent = UserFactory(first_name="Paul", last_name="ROUX")
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="ROUX", user=parent)
        lea = ChildFactory(foyer=foyer, first_name="Léa", last_name="ROUX")
        tom = ChildFactory(foyer=foyer, first_name="Tom", last_name="ROUX")
        cantine = PrestationFactory(cantine=True)
        booking = booked(lea, cantine, dt.date(2026, 1, 15), at=utc(2026, 1, 5, 9), by_user=parent)
        BookingEvent.objects.create(
            booking=booking,
            state=State.CANCELLED,
            reason=Reason.STAFF_CANCELLATION,
            by_user=agent,
            by_staff=True,
            note="Sortie scolaire",
            at=utc(2026, 1, 6, 9, 0),
        )
        thread = Thread.objects.create(
            foyer=foyer, category=Category.ABSENCES, subject="Absence de Léa"
        )
        Message.objects.create(
            thread=thread, body="Certificat", author=parent, created_at=utc(2026, 1, 7, 9, 0)
        )
        Absence.objects.create(  # declared a minute after its message
            thread=thread,
            child=lea,
            start=dt.date(2026, 1, 8),
            end=dt.date(2026, 1, 9),
            motif="Angine",
            status="accepted",
            decided_by=agent,
            decided_at=utc(2026, 1, 8, 9, 0),
            created_at=utc(2026, 1, 7, 9, 1),
        )
        attendance = Attendance.objects.create(
            child=lea,
            prestation=cantine,
            day=dt.date(2026, 1, 12),
            status="present",
            marked_at=utc(2026, 1, 12, 11, 0),
        )
        AttendanceMark.objects.create(
            attendance=attendance, status="present", by_user=agent, at=utc(2026, 1, 12, 11, 0)
        )
        LogEntry.objects.create(
            user_id=agent.pk,
            content_type=ContentType.objects.get_for_model(Child),
            object_id=str(lea.pk),
            object_repr=str(lea),
            action_flag=CHANGE,
            change_message="Allergies modifiées",
            action_time=utc(2026, 1, 13, 9, 0),
        )
        # Not Léa's: her brother's booking and a request about the canteen menu.
        booked(tom, cantine, dt.date(2026, 1, 15), at=utc(2026, 1, 14, 9))
        other = Thread.objects.create(foyer=foyer, category=Category.AUTRE, subject="Menu")
        Message.objects.create(
            thread=other, body="?", author=parent, created_at=utc(2026, 1, 14, 10)
        )
        Invoice.objects.create(
            number="2026-GS-000001",
            service=cantine.service,
            foyer=foyer,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
            issued_on=dt.date(2026, 2, 1),
            due_on=dt.date(2026, 3, 1),
            total=Decimal("44.80"),
            payer_name="M. ROUX Paul",
            foyer_name="ROUX",
            service_name=cantine.service.name,
        )
    return {"foyer": foyer, "lea": lea, "agent": agent}


def texts(page) -> list[tuple[str, str]]:
    return [(entry.label, entry.who) for entry in page.object_list]


def test_the_child_s_history_has_every_kind_newest_first(history, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        page = timeline_page(child=history["lea"])
    assert texts(page) == [
        ("Fiche", "Mairie — Agnès AGENT"),
        ("Pointage", "Mairie — Agnès AGENT"),
        ("Absence", "Mairie — Agnès AGENT"),
        ("Absence", "Famille — Paul ROUX"),
        ("Demande", "Famille — Paul ROUX"),
        ("Réservation", "Mairie — Agnès AGENT"),
        ("Réservation", "Famille — Paul ROUX"),
    ]
    cancelled = page.object_list[5]
    assert cancelled.text == ("Léa — CANTINE le 15/01/2026 : Annulée (annulée par la mairie)")
    assert cancelled.note == "Sortie scolaire"
    assert page.object_list[2].text == "Absence acceptée : Léa, du 08/01/2026 au 09/01/2026"


def test_the_foyer_s_history_adds_its_other_children_requests_and_invoices(
    history, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        first = timeline_page(foyer=history["foyer"], per_page=4)
        second = timeline_page(foyer=history["foyer"], per_page=4, page=2)
        last = timeline_page(foyer=history["foyer"], per_page=4, page="9999")
    assert first.paginator.count == 9  # Léa's 6 (not her record), Tom's, the menu, the invoice
    labels = [e.label for e in first.object_list]
    assert labels[0] == "Facture" and "Demande" in labels
    assert first.object_list[0].text.endswith(": 44,80 € (à régler)")
    assert [e.label for e in second.object_list] == ["Absence", "Absence", "Demande", "Réservation"]
    assert last.number == 3


def test_a_page_costs_the_same_queries_for_a_short_or_long_history(history, tenant_a, in_tenant):
    def count(**kwargs) -> int:
        with in_tenant(tenant_a):
            connection.ensure_connection()
            with CaptureQueriesContext(connection) as queries:
                timeline_page(**kwargs)
        return len([q for q in queries.captured_queries if not q["sql"].startswith("SET")])

    # The count, the page of the UNION, then one query per kind on the page (bookings,
    # absences declared and decided together, messages, pointage, the record's log).
    assert count(child=history["lea"]) == 2 + 5
    with in_tenant(tenant_a):
        booking = BookingFactory(
            child=history["lea"], prestation=PrestationFactory(), day=dt.date(2026, 2, 2)
        )
        BookingEvent.objects.bulk_create(
            BookingEvent(booking=booking, state=State.VALIDATED, reason=Reason.PARENT)
            for _ in range(40)
        )
    assert count(child=history["lea"]) == 2 + 1  # a page of bookings only, the newest


def test_the_pages_show_it_in_paris_time(history, client_a, tenant_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    lea = history["lea"]
    page = client_a.get(f"/admin/families/child/{lea.pk}/change/").content.decode()
    assert "Historique (7)" in page
    assert '<time datetime="2026-01-06T10:00:00+01:00">06/01/2026 10:00</time>' in page
    full = client_a.get(f"/admin/families/child/{lea.pk}/history/").content.decode()
    assert "Sortie scolaire" in full and "Page 1 sur 1" in full
    foyer = client_a.get(f"/admin/families/foyer/{history['foyer'].pk}/history/?p=abc")
    assert foyer.status_code == 200 and "Historique (9)" in foyer.content.decode()


@pytest.mark.parametrize(
    ("instant", "paris"),
    [
        (utc(2026, 3, 29, 0, 30), "29/03/2026 01:30"),  # winter time, UTC+1
        (utc(2026, 3, 29, 1, 30), "29/03/2026 03:30"),  # summer time, UTC+2
        (utc(2026, 10, 25, 0, 30), "25/10/2026 02:30"),  # still summer time
        (utc(2026, 10, 25, 1, 30), "25/10/2026 02:30"),  # back to winter: 02:30 again
    ],
)
def test_booking_history_captions_are_in_paris_time_on_both_sides_of_a_change(
    instant, paris, tenant_a, in_tenant, client_a
):
    with in_tenant(tenant_a):
        booking = booked(
            ChildFactory(),
            PrestationFactory(),
            dt.date(2026, 3, 30),
            at=instant,
            state=State.CANCELLED,
            reason=Reason.STAFF_CANCELLATION,
        )
        assert str(booking.events.get()) == f"Annulée le {paris}"
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    page = client_a.get(f"/admin/reservations/booking/{booking.pk}/change/").content.decode()
    # The caption of the history row and its « le » column agree.
    assert f"Annulée le {paris}" in page
    assert page.count(paris.split()[1]) >= 2
