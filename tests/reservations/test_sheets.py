"""The field's sheets: who comes to each prestation, their needs, the parents' phones, the meals.

The clock: Monday 11/05/2026 in Paris (zone C, a school week; Thursday 14/05 is Ascension).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from reservations.admin import BAD_DATE
from reservations.lifecycle import State
from reservations.models import Closure
from reservations.selectors import reports
from tenants.models import Role
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    ResponsableFactory,
    ServiceFactory,
)
from tests.reservations.conftest import paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 5, 11, 8)
MONDAY = dt.date(2026, 5, 11)
TUESDAY = dt.date(2026, 5, 12)
ASCENSION = dt.date(2026, 5, 14)
FRIDAY = dt.date(2026, 5, 15)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def site(tenant_a, in_tenant):
    """A school with its cantine and morning garderie; Noé (peanut allergy, PAI) and Léa."""
    with in_tenant(tenant_a):
        service = ServiceFactory(name="GROUPE SCOLAIRE")
        cantine = PrestationFactory(service=service, cantine=True, display_order=1)
        garderie = PrestationFactory(service=service, matin=True, display_order=2)
        lefevre = FoyerFactory(name="LEFÈVRE")
        ResponsableFactory(
            foyer=lefevre, first_name="Anne", last_name="LEFÈVRE", phone="06 12 34 56 78"
        )
        noe = ChildFactory(
            foyer=lefevre,
            last_name="LEFÈVRE",
            first_name="Noé",
            classe="CP",
            allergies="Arachide",
            pai=True,
        )
        lea = ChildFactory(last_name="DURAND", first_name="Léa", classe="CE1", regime="vegetarien")
        BookingFactory(child=noe, prestation=cantine, day=TUESDAY)
        BookingFactory(child=noe, prestation=garderie, day=TUESDAY)
        BookingFactory(child=lea, prestation=cantine, day=TUESDAY, state=State.PENDING_APPROVAL)
    return {"service": service, "cantine": cantine, "garderie": garderie}


def sheet_url(service, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/admin/reservations/service/{service.pk}/feuille-du-jour/?{query}"


def login(client, tenant, role):
    client.force_login(MembershipFactory(collectivite=tenant, role=role).user)
    return client


def test_the_sheet_lists_each_prestation_with_needs_and_phones_for_those_allowed(
    site, client_a, tenant_a
):
    login(client_a, tenant_a, Role.AGENT)
    page = client_a.get(sheet_url(site["service"], jour="2026-05-12")).content.decode()
    assert "<title>Feuille du mardi 12/05/2026 — GROUPE SCOLAIRE" in page
    assert "2 enfants attendus, dont 1 en attente" in page
    cantine = page[page.index('<h2 id="prestation-' + str(site["cantine"].pk)) :]
    assert "CANTINE (12h00–13h30) — mardi 12/05/2026" in cantine
    assert "2 enfants, dont 1 en attente — Classique : 1 · Végétarien : 1" in cantine
    assert '<td class="health">Arachide</td><td class="health">PAI</td>' in page
    assert "Anne LEFÈVRE : 06 12 34 56 78" in page
    assert page.index("UNITE DE GARDERIE MATIN") > page.index("CANTINE (12h00")
    export = client_a.get(sheet_url(site["service"], jour="2026-05-12", format="csv"))
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Jour;Prestation;Classe;Enfant;Régime;Allergies;PAI;Parents;État"
    assert "12/05/2026;CANTINE;CP;LEFÈVRE Noé;Classique;Arachide;oui;" in lines[2]


@pytest.mark.parametrize("role", [Role.COMPTABLE, Role.REGISSEUR])
def test_health_data_stays_off_the_sheet_for_the_other_roles(role, site, client_a, tenant_a):
    login(client_a, tenant_a, role)
    page = client_a.get(sheet_url(site["service"], jour="2026-05-12")).content.decode()
    assert "LEFÈVRE Noé" in page
    assert "Arachide" not in page and "PAI" not in page and "Allergies" not in page
    export = client_a.get(sheet_url(site["service"], jour="2026-05-12", format="csv"))
    text = export.content.decode("utf-8-sig")
    assert "Arachide" not in text and "PAI" not in text


def test_cells_that_would_be_formulas_are_made_inert(site, client_a, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        child = ChildFactory(last_name='=HYPERLINK("http://x";"Léa")', first_name="Zoé")
        BookingFactory(child=child, prestation=site["cantine"], day=TUESDAY)
    login(client_a, tenant_a, Role.AGENT)
    export = client_a.get(sheet_url(site["service"], jour="2026-05-12", format="csv"))
    assert ';"\'=HYPERLINK(""http://x"";""Léa"") Zoé";' in export.content.decode("utf-8-sig")


def test_navigation_skips_the_days_without_service(site, tenant_a, in_tenant):
    next_monday = dt.date(2026, 5, 18)

    def around(day):
        sheet = reports.day_sheet(service=site["service"], day=day, now=NOW, with_health=False)
        return sheet.previous, sheet.next

    with in_tenant(tenant_a):
        # Monday ← the Friday before; Tuesday → Friday (no Wednesday, Ascension Thursday).
        assert around(next_monday) == (FRIDAY, dt.date(2026, 5, 19))
        assert around(TUESDAY) == (MONDAY, FRIDAY)
        # Friday 08/05 is a public holiday (Victoire 1945): Monday 11 goes back to Thursday.
        assert around(MONDAY) == (dt.date(2026, 5, 7), TUESDAY)
        Closure.objects.create(service=site["service"], start=FRIDAY, end=FRIDAY, reason="Pont")
        assert around(TUESDAY) == (MONDAY, next_monday)
        closed = reports.day_sheet(service=site["service"], day=FRIDAY, now=NOW, with_health=False)
    assert closed.closures == ["Pont"] and closed.prestations == []


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1989-12-31", "lundi", "2026-02-30"])
def test_dates_out_of_bounds_or_garbage_answer_400(value, site, client_a, tenant_a):
    login(client_a, tenant_a, Role.AGENT)
    for url in (
        sheet_url(site["service"], jour=value),
        f"/admin/reservations/service/{site['service'].pk}/repas/?debut={value}",
    ):
        response = client_a.get(url)
        assert response.status_code == 400
        message = BAD_DATE.format(first="01/01/1990", last="31/12/2100")
        assert escape(message) in response.content.decode()


@pytest.mark.parametrize("value", ["1990-01-01", "2100-12-31"])
def test_the_first_and_last_days_answer_a_page(value, site, client_a, tenant_a):
    login(client_a, tenant_a, Role.AGENT)
    assert client_a.get(sheet_url(site["service"], jour=value)).status_code == 200
    meals = f"/admin/reservations/service/{site['service'].pk}/repas/?debut={value}"
    assert client_a.get(meals).status_code == 200


def test_the_sheet_runs_the_same_queries_for_one_child_or_twenty(
    site, client_a, tenant_a, in_tenant
):
    login(client_a, tenant_a, Role.AGENT)
    url = sheet_url(site["service"], jour="2026-05-12")
    client_a.get(url)  # the session and the account, as any later page has them

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_a.get(url).status_code == 200
        return len(queries)

    few = count()
    with in_tenant(tenant_a):
        for _ in range(20):
            foyer = FoyerFactory()
            ResponsableFactory(foyer=foyer, phone="0612345678")
            BookingFactory(child__foyer=foyer, prestation=site["garderie"], day=TUESDAY)
    # Session, account, role (3), the service, its prestations, the closures around the
    # day, the bookings with children and foyers, their responsables.
    assert (few, count()) == (8, 8)


def test_the_meals_have_daily_and_weekly_totals_and_say_the_closed_days(
    site, client_a, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        week = reports.meal_counts(service=site["service"], start=MONDAY, end=FRIDAY, now=NOW)
    assert [(d.day, d.total, d.closed) for d in week.days] == [
        (MONDAY, 0, None),
        (TUESDAY, 2, None),
        (dt.date(2026, 5, 13), 0, "Pas de service le mercredi"),
        (ASCENSION, 0, "Jour férié : Ascension"),
        (FRIDAY, 0, None),
    ]
    assert (week.total, week.awaiting, week.by_regime["Végétarien"]) == (2, 1, 1)
    login(client_a, tenant_a, Role.AGENT)
    page = client_a.get(
        f"/admin/reservations/service/{site['service'].pk}/repas/?debut=2026-05-13"
    ).content.decode()
    assert (
        '<th scope="row">Semaine</th><td>1</td><td>1</td><td>0</td>'
        "<td>2 repas, dont 1 en attente</td>" in page
    )
    assert "data-print>Imprimer</button>" in page
    assert "Jour férié : Ascension" in page
