"""« Aujourd'hui »: the staff's home, its counts per role, its fixed queries, the way in.

The clock: Thursday 12/03/2026 08:00 in Paris; the next working day is Friday 13/03, and
last month is February 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, InvoiceLine, InvoiceRun
from requests_inbox.models import Absence, Category, Message, Thread
from requests_inbox.services import thread_mark_read
from reservations.lifecycle import State
from tenants.models import Role
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    ServiceFactory,
    UserFactory,
)
from tests.reservations.conftest import paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 3, 12, 8)
TODAY, FRIDAY = dt.date(2026, 3, 12), dt.date(2026, 3, 13)
FEBRUARY = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def invoice(foyer, service, *, total, paid="0", status="due", number="2026-GS-000001", month=1):
    return Invoice.objects.create(
        number=number,
        service=service,
        foyer=foyer,
        period_start=dt.date(2025, month, 1),
        period_end=dt.date(2025, month, 28),
        issued_on=dt.date(2026, 2, 1),
        due_on=dt.date(2026, 3, 1),
        total=Decimal(total),
        amount_paid=Decimal(paid),
        status=status,
        payer_name=foyer.name,
        foyer_name=foyer.name,
        service_name=service.name,
    )


def request_thread(foyer, subject, *, absence_of=None):
    thread = Thread.objects.create(
        foyer=foyer,
        category=Category.ABSENCES if absence_of else Category.RESERVATIONS,
        subject=subject,
    )
    Message.objects.create(thread=thread, body="Bonjour", from_staff=False)
    if absence_of:
        Absence.objects.create(
            thread=thread, child=absence_of, start=FRIDAY, end=FRIDAY, motif="Fièvre"
        )
    return thread


@pytest.fixture
def morning(tenant_a, in_tenant):
    """Two sites: bookings today and tomorrow, requests, an absence, February to bill."""
    with in_tenant(tenant_a):
        school = ServiceFactory(name="GROUPE SCOLAIRE", display_order=1)
        cantine = PrestationFactory(service=school, cantine=True)
        garderie = PrestationFactory(service=school, matin=True)
        loisirs = ServiceFactory(name="ACCUEIL DE LOISIRS", display_order=2)
        centre = PrestationFactory(service=loisirs, name="CENTRE", weekdays=[1, 2, 3, 4, 5])
        foyer = FoyerFactory(name="ROUX")
        lea = ChildFactory(foyer=foyer, first_name="Léa", regime="vegetarien")
        tom = ChildFactory(foyer=foyer, first_name="Tom")
        BookingFactory(child=lea, prestation=cantine, day=TODAY)
        BookingFactory(child=tom, prestation=cantine, day=TODAY, state=State.PENDING_APPROVAL)
        BookingFactory(child=tom, prestation=garderie, day=TODAY)
        BookingFactory(child=lea, prestation=cantine, day=FRIDAY)
        BookingFactory(child=lea, prestation=centre, day=FRIDAY, state=State.PENDING_APPROVAL)
        BookingFactory(child=tom, prestation=cantine, day=TODAY - dt.timedelta(days=20))
        centre_day = BookingFactory(child=tom, prestation=centre, day=dt.date(2026, 2, 11))
        # February: the school is served and not invoiced; the centre's day is on an invoice.
        BookingFactory(child=lea, prestation=cantine, day=dt.date(2026, 2, 12))
        InvoiceRun.objects.create(
            service=loisirs, period_start=FEBRUARY[0], period_end=FEBRUARY[1], status="done"
        )
        billed = invoice(
            foyer, loisirs, total="8.00", paid="8.00", status="paid", number="2026-AL-000001"
        )
        InvoiceLine.objects.create(
            invoice=billed,
            child=tom,
            child_name="Tom ROUX",
            prestation=centre,
            label="CENTRE",
            day=centre_day.day,
            quantity=1,
            unit_price=Decimal("8.00"),
            amount=Decimal("8.00"),
            booking=centre_day,
        )
        invoice(foyer, school, total="44.80", paid="10.00", status="partial")
        invoice(foyer, school, total="7.20", number="2026-GS-000002", month=2)
        invoice(
            foyer,
            school,
            total="3.60",
            paid="3.60",
            status="paid",
            number="2026-GS-000003",
            month=3,
        )
        thread = request_thread(foyer, "Question")
        request_thread(foyer, "Absence de Tom", absence_of=tom)
    return {"school": school, "loisirs": loisirs, "thread": thread, "foyer": foyer}


def staff_client(client, tenant, role):
    user = MembershipFactory(collectivite=tenant, role=role).user
    client.force_login(user)
    return client, user


def test_the_agent_sees_what_to_do_today_and_tomorrow_and_what_to_bill(morning, client_a, tenant_a):
    client, _ = staff_client(client_a, tenant_a, Role.AGENT)
    page = client.get("/admin/").content.decode()
    assert "<h1>Aujourd'hui, jeudi 12 mars 2026</h1>" in page
    assert '?state__exact=pending"><strong>2</strong> demandes de réservation à valider' in page
    assert "<strong>2</strong> demandes de famille non lues par vous" in page
    assert "<strong>1</strong> absence à décider" in page
    today = page[page.index("Aujourd'hui : jeudi 12/03/2026") : page.index("Prochain jour")]
    assert "CANTINE</th><td>2 enfants attendus, dont 1 en attente" in today
    assert "UNITE DE GARDERIE MATIN</th><td>1 enfant attendu</td>" in today
    assert "Repas : <strong>2</strong> — Classique : 1 · Végétarien : 1 · Sans porc : 0" in today
    friday = page[page.index("Prochain jour : vendredi 13/03/2026") :]
    assert friday.index("GROUPE SCOLAIRE") < friday.index("ACCUEIL DE LOISIRS")
    assert "CENTRE</th><td>1 enfant attendu, dont 1 en attente" in friday
    assert "GROUPE SCOLAIRE : février 2026 est à facturer" in page
    assert "ACCUEIL DE LOISIRS : février" not in page
    assert "<strong>2</strong> factures impayées : 42,00 € restant à régler" in page


def test_a_reader_sees_the_money_and_the_days_not_the_decisions(morning, client_a, tenant_a):
    client, _ = staff_client(client_a, tenant_a, Role.COMPTABLE)
    page = client.get("/admin/").content.decode()
    assert "à valider" not in page and "absence à décider" not in page
    assert "non lues par vous" in page  # the comptable reads requests (about payments)
    assert "CANTINE</th><td>2 enfants attendus" in page
    assert "factures impayées" in page


def test_unread_is_per_staff_member(morning, client_a, tenant_a, in_tenant):
    agent = MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user
    colleague = MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user
    client_a.force_login(agent)
    thread = morning["thread"]
    client_a.get(f"/admin/requests_inbox/thread/{thread.pk}/change/")  # the agent reads it
    assert (
        "<strong>1</strong> demande de famille non lue par vous"
        in client_a.get("/admin/").content.decode()
    )
    client_a.force_login(colleague)
    page = client_a.get("/admin/").content.decode()
    assert "<strong>2</strong> demandes de famille non lues par vous" in page
    listed = client_a.get("/admin/requests_inbox/thread/?lecture=non_lues")
    assert {t.pk for t in listed.context["cl"].result_list} >= {thread.pk}
    with in_tenant(tenant_a):
        # A later family message is unread again for the one who had read it.
        Message.objects.create(
            thread=thread, body="Relance", from_staff=False, created_at=NOW + dt.timedelta(1)
        )
        thread_mark_read(thread=thread, by_staff=True, user=colleague)
    client_a.force_login(agent)
    assert (
        "<strong>2</strong> demandes de famille non lues par vous"
        in client_a.get("/admin/").content.decode()
    )


def test_the_page_runs_the_same_queries_whatever_the_volume(morning, client_a, tenant_a, in_tenant):
    client, _ = staff_client(client_a, tenant_a, Role.AGENT)
    client.get("/admin/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/").status_code == 200
        return len(queries)

    few = count()
    with in_tenant(tenant_a):
        site = ServiceFactory(name="AUTRE SITE")
        prestation = PrestationFactory(service=site, cantine=True)
        for n in range(15):
            child = ChildFactory()
            BookingFactory(child=child, prestation=prestation, day=TODAY)
            BookingFactory(child=child, prestation=prestation, day=FRIDAY)
            request_thread(child.foyer, f"Demande {n}", absence_of=child)
            invoice(child.foyer, site, total="3.60", number=f"2026-AS-{n:06d}")
    # Session, account, role (3); pending bookings, unread requests, absences, the two
    # days' counts, the services to invoice, the unpaid invoices (6); the chart of
    # collections and arrears by month: payments, then invoices due (2).
    assert (few, count()) == (11, 11)


def test_staff_logging_in_on_the_portal_land_on_today_and_families_at_home(client_a, tenant_a):
    user = UserFactory(password="Mot-de-passe-2026!")
    MembershipFactory(collectivite=tenant_a, role=Role.AGENT, user=user)
    staff = client_a.post("/connexion/", {"username": user.email, "password": "Mot-de-passe-2026!"})
    assert staff.status_code == 302 and staff["Location"] == "/admin/"
    client_a.logout()
    family = client_a.post(
        "/connexion/", {"username": SESSION_PARENT, "password": SESSION_PASSWORD}
    )
    assert family.status_code == 302 and family["Location"] == "/"
    client_a.logout()
    # An explicit destination is followed.
    asked = client_a.post(
        "/connexion/?next=/demandes/",
        {"username": user.email, "password": "Mot-de-passe-2026!", "next": "/demandes/"},
    )
    assert asked["Location"] == "/demandes/"
