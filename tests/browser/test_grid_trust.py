"""The Vue Période in Chromium: the keyboard alone, a phone's tap, a refused line, a timeout.

Issue 12 (browser run): the grid is used with Tab and Enter/Space and says what happened
in its live region; on a 390 px phone the answer to a tap was drawn 700 px above the
screen; a line refused as full stayed in the cart until clicked away; a database timeout
during « Valider » replaced the grid with the bare 503 page. The process's clock is Monday
12/01/2026 09:00 in Paris (tests/browser/test_reservations.py's).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from portal.middleware import DATABASE_BUSY
from reservations.lifecycle import State
from reservations.models import Booking, PrestationDay
from reservations.selectors.cells import CellState
from reservations.views import REFUSED, VALIDATE_AGAIN, VALIDATED
from tenants.models import Collectivite
from tests.browser import test_reservations
from tests.browser.test_reservations import NOW, cell, click_until
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
TUESDAY = dt.date(2026, 1, 13)
LIVE_REGION = "#annonce-grille"
# The committed school of test_reservations: a cantine and a garderie at alpha.
school = test_reservations.school


def log_in(page, live_url) -> None:
    page.goto(live_url(ALPHA, "/connexion/"))
    page.get_by_label("Adresse e-mail").fill(SESSION_PARENT)
    page.get_by_label("Mot de passe").fill(SESSION_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_url(ALPHA))


def grid(page, live_url, service) -> None:
    page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-01-12"))


def state_of(page, prestation, day) -> str:
    return cell(page, prestation, day).get_attribute("data-state")


def lines_of(django_db_blocker, child, service) -> list[tuple[dt.date, str]]:
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            found = sorted(
                Booking.objects.filter(child=child, prestation__service=service).values_list(
                    "day", "state"
                )
            )
        connections.close_all()
    return found


def test_the_grid_works_with_the_keyboard_alone(school, desktop, live_url):
    service, _cantine, garderie, _child = school
    page = desktop
    target = f"bouton-{garderie.pk}-{TUESDAY:%Y%m%d}"
    with time_machine.travel(NOW, tick=True):
        log_in(page, live_url)
        grid(page, live_url, service)
        presses = 0
        while page.evaluate("document.activeElement.id") != target:
            page.keyboard.press("Tab")
            presses += 1
            assert presses < 120, "Tab never reaches the cell"
        page.keyboard.press("Enter")
        page.locator(f"#cellule-{garderie.pk}-{TUESDAY:%Y%m%d}[data-state=cart]").wait_for()
        region = page.locator(LIVE_REGION)
        assert "13/01/2026 : ajouté à votre panier" in region.inner_text()
        assert region.get_attribute("role") == "status"
        # The cell was swapped, the focus stays on it: Space takes the day back out.
        expect(page.locator(f"#{target}")).to_be_focused()
        page.keyboard.press("Space")
        page.locator(f"#cellule-{garderie.pk}-{TUESDAY:%Y%m%d}[data-state=bookable]").wait_for()
        assert "retiré de votre panier" in region.inner_text()
        # The next cell is one Tab away, and Space books it (htmx gives the focus back to the
        # swapped button a moment after the new cell is drawn: Tab waits for it).
        expect(page.locator(f"#{target}")).to_be_focused()
        page.keyboard.press("Tab")
        # (no garderie on Wednesdays: a closed day is not a button, Thursday comes next)
        assert page.evaluate("document.activeElement.id") == f"bouton-{garderie.pk}-20260115"
        page.keyboard.press("Space")
        page.locator(f"#cellule-{garderie.pk}-20260115[data-state=cart]").wait_for()
    print(f"Tab presses from the top of the page to the cell: {presses}")


def test_on_a_phone_the_answer_to_a_tap_is_on_the_screen(school, phone, live_url, tmp_path):
    service, _cantine, garderie, _child = school
    page = phone
    day = dt.date(2026, 1, 29)  # the third week: far below the top of the page
    with time_machine.travel(NOW, tick=True):
        log_in(page, live_url)
        grid(page, live_url, service)
        target = cell(page, garderie, day)
        target.scroll_into_view_if_needed()
        target.locator("button").click()
        page.locator(f"#cellule-{garderie.pk}-20260129[data-state=cart]").wait_for()
        toast = page.locator(f"{LIVE_REGION} .alert")
        toast.wait_for()
        box = toast.bounding_box()
        height = page.viewport_size["height"]
        # The message is drawn inside the screen, at its bottom, not above the grid.
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height
        assert box["y"] > height / 2
        assert "29/01/2026 : ajouté à votre panier" in toast.inner_text()
        page.screenshot(path=tmp_path / "telephone-toast.png")
        # It can be dismissed, and the cell under it tapped again.
        toast.get_by_role("button", name="Fermer le message").click()
        assert page.locator(f"{LIVE_REGION} .alert").count() == 0
    print(f"Toast at y={box['y']:.0f}..{box['y'] + box['height']:.0f} of {height} px")


def test_a_line_refused_as_full_leaves_the_cart(school, phone, live_url, django_db_blocker):
    service, _cantine, garderie, child = school
    page = phone
    full_day, other_day = dt.date(2026, 1, 15), dt.date(2026, 1, 16)
    with time_machine.travel(NOW, tick=True):
        log_in(page, live_url)
        grid(page, live_url, service)
        click_until(page, garderie, full_day, CellState.IN_CART)
        click_until(page, garderie, other_day, CellState.IN_CART)
        with django_db_blocker.unblock():  # meanwhile the mairie closes the last places
            with tenant_context(Collectivite.objects.get(schema_name="alpha")):
                PrestationDay.objects.create(prestation=garderie, day=full_day, capacity=0)
            connections.close_all()
        page.get_by_role("button", name="Valider").click()
        region = page.locator(LIVE_REGION)
        region.get_by_text(REFUSED).wait_for()
        said = region.inner_text()
        assert "15/01/2026 — Complet" in said and "retirée de votre panier" in said
        assert VALIDATE_AGAIN in said
        # The refused day shows as it is (full), the other stays in the cart, alone.
        assert state_of(page, garderie, full_day) == CellState.FULL
        assert state_of(page, garderie, other_day) == CellState.IN_CART
        assert "1 GARDERIE MATIN" in page.locator("#panier").inner_text()
        assert lines_of(django_db_blocker, child, service) == [(other_day, State.CART)]
        page.get_by_role("button", name="Valider").click()
        region.get_by_text(VALIDATED).wait_for()
        assert lines_of(django_db_blocker, child, service) == [(other_day, State.VALIDATED)]


@pytest.fixture
def short_lock_timeout(monkeypatch):
    """Connections the live server opens from now on wait 300 ms for a lock, not 5 s."""
    options = connections.settings["default"]["OPTIONS"]
    monkeypatch.setitem(options, "options", "-c lock_timeout=300 -c statement_timeout=30000")


def test_a_database_timeout_is_told_in_place_and_nothing_is_saved(
    school, desktop, live_url, django_db_blocker, short_lock_timeout, tmp_path
):
    service, _cantine, garderie, child = school
    page = desktop
    holding, release = threading.Event(), threading.Event()

    def hold_the_cart():
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(Collectivite.objects.get(schema_name="alpha"))
                with transaction.atomic():
                    list(Booking.objects.select_for_update().filter(child=child))
                    holding.set()
                    release.wait(timeout=60)
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=True):
        log_in(page, live_url)
        grid(page, live_url, service)
        click_until(page, garderie, TUESDAY, CellState.IN_CART)
        url = page.url
        holder = threading.Thread(target=hold_the_cart)
        holder.start()
        try:
            assert holding.wait(timeout=10)
            region = page.locator(LIVE_REGION)
            # « Valider »: the grid stays, the message says nothing was saved.
            page.get_by_role("button", name="Valider").click()
            region.get_by_text(DATABASE_BUSY).wait_for()
            assert page.url == url
            assert page.locator("#grille").is_visible()
            assert state_of(page, garderie, TUESDAY) == CellState.IN_CART
            page.screenshot(path=tmp_path / "delai-depasse.png")
            # A click on the cell meets the same lock: the cell stays, the message says so.
            page.locator(f"{LIVE_REGION} .btn-close").click()
            cell(page, garderie, TUESDAY).locator("button").click()
            region.get_by_text(DATABASE_BUSY).wait_for()
            assert state_of(page, garderie, TUESDAY) == CellState.IN_CART
            assert lines_of(django_db_blocker, child, service) == [(TUESDAY, State.CART)]
        finally:
            release.set()
            holder.join(timeout=30)
        page.get_by_role("button", name="Valider").click()
        region.get_by_text(VALIDATED).wait_for()
    assert lines_of(django_db_blocker, child, service) == [(TUESDAY, State.VALIDATED)]
