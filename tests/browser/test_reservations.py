"""A parent books in Chromium: a week in Vue Période, a month in Vue Agenda, validates,
cancels within the deadline and is refused after it. Screenshots of each step.

The clock of the whole process (server threads included) is set to Monday 12/01/2026
09:00 Paris, so the deadlines are the same whatever day the suite runs.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections
from django_tenants.utils import tenant_context

from families.models import Child
from reservations.models import Booking, Prestation, PrestationDay, Service, WaitingListEntry
from reservations.selectors.cells import CellState
from tenants.models import Collectivite
from tests.cleanup import bookings_purge
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
NOW = dt.datetime(2026, 1, 12, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def school(browser, django_db_blocker):
    """Committed: alpha's cantine (Tuesday noon, week n+1) and garderie (the day before 17h)."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            service = Service.objects.create(name="ECOLE ALPHA", billing_mode="postfacturation")
            cantine = Prestation.objects.create(
                service=service,
                name="CANTINE",
                weekdays=[1, 2, 4, 5],
                capacity=85,
                booking_rule="weekly",
                rule_weekday=2,
                rule_time=dt.time(12),
                cancellation_rule="not_allowed",
                display_order=0,
            )
            garderie = Prestation.objects.create(
                service=service,
                name="GARDERIE MATIN",
                weekdays=[1, 2, 4, 5],
                capacity=50,
                booking_rule="days_before",
                rule_time=dt.time(17),
                display_order=1,
            )
            child = Child.objects.get(foyer__user__email=SESSION_PARENT)
        connections.close_all()
    yield service, cantine, garderie, child
    with django_db_blocker.unblock():
        with tenant_context(alpha):
            WaitingListEntry.objects.filter(prestation__service=service).delete()
            bookings_purge(Booking.objects.filter(prestation__service=service))
            PrestationDay.objects.filter(prestation__service=service).delete()
            Prestation.objects.filter(service=service).delete()
            service.delete()
        connections.close_all()


def cell(page, prestation, day):
    return page.locator(f"#cellule-{prestation.pk}-{day:%Y%m%d}")


def click_until(page, prestation, day, state):
    cell(page, prestation, day).locator("button").click()
    page.locator(f'#cellule-{prestation.pk}-{day:%Y%m%d}[data-state="{state}"]').wait_for()


def test_book_validate_cancel_and_be_refused(school, desktop, live_url, tmp_path):
    service, cantine, garderie, _ = school
    page = desktop
    with time_machine.travel(NOW, tick=True):
        page.goto(live_url(ALPHA, "/connexion/"))
        page.get_by_label("Adresse e-mail").fill(SESSION_PARENT)
        page.get_by_label("Mot de passe").fill(SESSION_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(live_url(ALPHA))

        # Vue Période: the week of 19/01, cantine every school day (deadline Tue 13/01 noon).
        page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-01-12"))
        week = [dt.date(2026, 1, d) for d in (19, 20, 22, 23)]
        for day in week:
            click_until(page, cantine, day, CellState.IN_CART)
        assert "4 CANTINE" in page.locator("#panier").inner_text()
        page.screenshot(path=tmp_path / "1-vue-periode-semaine.png", full_page=True)

        # Vue Agenda: garderie on Mondays and Thursdays of February (zone C holidays from 21/02).
        page.get_by_role("link", name="Réserver en Vue Agenda").click()
        page.get_by_label("Prestation").select_option(label=f"{service.name} — GARDERIE MATIN")
        page.locator("#id_start").fill("2026-02-01")  # « Pour la période du »
        page.locator("#id_end").fill("2026-02-28")  # « au »
        page.get_by_label("Lundi").check()
        page.get_by_label("Jeudi").check()
        page.get_by_role("button", name="Ajouter au panier").click()
        summary = page.locator("#bilan").locator("..").inner_text()
        assert "6 jours ajoutés au panier" in summary
        assert "Vacances scolaires" in summary
        page.screenshot(path=tmp_path / "2-vue-agenda-mois.png", full_page=True)

        page.get_by_role("link", name="Voir mon panier et le valider").click()
        page.get_by_role("button", name="Valider").click()
        page.get_by_text("Vos demandes ont été validées.").wait_for()
        page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-01-19"))
        for day in week:
            assert cell(page, cantine, day).get_attribute("data-state") == CellState.VALIDATED
        page.screenshot(path=tmp_path / "3-valide.png", full_page=True)

        # Cancel the garderie of Monday 02/02 within its deadline (the day before, 17:00).
        page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-02-02"))
        feb2 = dt.date(2026, 2, 2)
        click_until(page, garderie, feb2, CellState.CANCEL_REQUESTED)
        page.get_by_role("button", name="Valider").click()
        page.get_by_text("Vos demandes ont été validées.").wait_for()
        assert cell(page, garderie, feb2).get_attribute("data-state") == CellState.BOOKABLE

        # Refused: the cantine is never cancelled without a justified absence, and this
        # week's cells are past their deadline.
        page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-01-12"))
        cell(page, cantine, dt.date(2026, 1, 19)).locator("button").click()
        page.get_by_text("Annulation non autorisée sans absence justifiée").first.wait_for()
        # A locked cell is aria-disabled but still explains itself when pressed.
        cell(page, cantine, dt.date(2026, 1, 13)).locator("button").click(force=True)
        page.get_by_text("Réservation close depuis le").first.wait_for()
        page.screenshot(path=tmp_path / "4-refus.png", full_page=True)
