"""An agent's morning in Chromium: « Aujourd'hui », a booking and an absence decided,
tomorrow's sheet printed, a strike day closed (its confirmation lists the bookings; each
family gets one e-mail). axe-core checks each page; screenshots are saved.

The clock of the process is Thursday 12/03/2026 08:00 Paris (alpha is zone C, a school
week); the strike is next Thursday, 19/03.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import axe_playwright_python
import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connections
from django_tenants.utils import tenant_context

from families.models import Child, Foyer
from portal.models import OutgoingEmail
from requests_inbox.models import Absence, Category, Message, Thread
from reservations.lifecycle import State
from reservations.models import (
    Booking,
    BookingEvent,
    Closure,
    Prestation,
    Service,
    WaitingListEntry,
)
from tenants.models import Collectivite, Membership, Role
from tests.billing.conftest import triggers_off
from tests.conftest import TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
AGENT = "agent.matin@alpha.test"
AGENT_PASSWORD = "Agent-Matin-2026"
NOW = dt.datetime(2026, 3, 12, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))
TODAY, TOMORROW, STRIKE = dt.date(2026, 3, 12), dt.date(2026, 3, 13), dt.date(2026, 3, 19)
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
AXE_RUN = """() => axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
}).then(r => r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))})))"""


def axe_violations(page) -> list:
    """Run axe-core in the page (evaluated through DevTools: the CSP still holds)."""
    page.evaluate(AXE)
    return page.evaluate(AXE_RUN)


@pytest.fixture
def morning(browser, django_db_blocker):
    """Committed: a school with its cantine and an approved garderie, three families."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        agent = get_user_model().objects.create_user(
            email=AGENT, password=AGENT_PASSWORD, first_name="Agnès", last_name="MATIN"
        )
        Membership.objects.create(user=agent, collectivite=alpha, role=Role.AGENT)
        with tenant_context(alpha):
            service = Service.objects.create(name="ECOLE DU MATIN", billing_mode="postfacturation")
            rules = {"booking_rule": "days_before", "rule_time": dt.time(17), "capacity": 30}
            cantine = Prestation.objects.create(
                service=service, name="CANTINE", weekdays=[1, 2, 4, 5], is_meal=True, **rules
            )
            garderie = Prestation.objects.create(
                service=service,
                name="GARDERIE DU SOIR",
                weekdays=[1, 2, 4, 5],
                requires_approval=True,
                display_order=2,
                **rules,
            )
            roux = Foyer.objects.create(name="ROUX", email="roux@exemple.test")
            blanc = Foyer.objects.create(name="BLANC", email="blanc@exemple.test")
            kids = {
                name: Child.objects.create(
                    foyer=foyer,
                    last_name=foyer.name,
                    first_name=name,
                    birth_date="2018-05-02",
                    sexe="F",
                    classe="CE1",
                    regime=regime,
                    allergies="Arachide" if name == "Léa" else "",
                    pai=name == "Léa",
                )
                for foyer, name, regime in (
                    (roux, "Léa", "vegetarien"),
                    (roux, "Tom", "classique"),
                    (blanc, "Emma", "sans_porc"),
                )
            }
            for child, prestation, day, state in (
                (kids["Léa"], cantine, TODAY, State.VALIDATED),
                (kids["Léa"], cantine, TOMORROW, State.VALIDATED),
                (kids["Emma"], cantine, TOMORROW, State.VALIDATED),
                (kids["Tom"], garderie, TOMORROW, State.PENDING_APPROVAL),
                (kids["Léa"], cantine, STRIKE, State.VALIDATED),
                (kids["Tom"], cantine, STRIKE, State.VALIDATED),
                (kids["Emma"], cantine, STRIKE, State.VALIDATED),
                (kids["Emma"], cantine, dt.date(2026, 3, 20), State.VALIDATED),
            ):
                booking = Booking.objects.create(
                    child=child, prestation=prestation, day=day, state=state
                )
                BookingEvent.objects.create(booking=booking, state=state, reason="parent")
            thread = Thread.objects.create(
                foyer=blanc, category=Category.ABSENCES, subject="Absence d'Emma le 20/03/2026"
            )
            Message.objects.create(thread=thread, body="Rendez-vous médical.", from_staff=False)
            Absence.objects.create(
                thread=thread,
                child=kids["Emma"],
                start=dt.date(2026, 3, 20),
                end=dt.date(2026, 3, 20),
                motif="Rendez-vous médical.",
            )
        connections.close_all()
    yield service, cantine
    with django_db_blocker.unblock():
        with tenant_context(alpha), triggers_off():
            Closure.objects.filter(service=service).delete()
            WaitingListEntry.objects.filter(prestation__service=service).delete()
            BookingEvent.objects.filter(booking__prestation__service=service).delete()
            Booking.objects.filter(prestation__service=service).delete()
            Absence.objects.filter(thread__foyer__in=[roux, blanc]).delete()
            Thread.objects.filter(foyer__in=[roux, blanc]).delete()
            Child.objects.filter(foyer__in=[roux, blanc]).delete()
            Foyer.objects.filter(pk__in=[roux.pk, blanc.pk]).delete()
            Prestation.objects.filter(service=service).delete()
            service.delete()
            LogEntry.objects.filter(user_id=agent.pk).delete()
        OutgoingEmail.objects.filter(
            schema_name="alpha", recipient__in=["roux@exemple.test", "blanc@exemple.test"]
        ).delete()
        Membership.objects.filter(user=agent).delete()
        agent.delete()
        connections.close_all()


def run_action(page, name: str) -> None:
    page.locator("#result_list tbody input.action-select").first.check()
    page.locator("select[name=action]").select_option(name)
    page.locator("button[name=index]").click()


def test_an_agents_morning(morning, browser, desktop, live_url, tmp_path, django_db_blocker):
    service, _ = morning
    page, shots, found = desktop, tmp_path, {}
    page.set_viewport_size({"width": 1366, "height": 900})
    with time_machine.travel(NOW, tick=True):
        # Logging in on the portal leads staff to « Aujourd'hui ».
        page.goto(live_url(ALPHA, "/connexion/"))
        page.get_by_label("Adresse e-mail").fill(AGENT)
        page.get_by_label("Mot de passe").fill(AGENT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(live_url(ALPHA, "/admin/"))
        page.get_by_role("heading", name="Aujourd'hui, jeudi 12 mars 2026").wait_for()
        main = page.locator("#content-main").inner_text()
        assert "1 demande de réservation à valider" in main
        assert "1 absence à décider" in main
        assert "Prochain jour : vendredi 13/03/2026" in main
        page.screenshot(path=shots / "1-aujourd-hui.png", full_page=True)
        found["aujourd'hui"] = axe_violations(page)

        # The pending garderie request, accepted.
        page.get_by_role("link", name="1 demande de réservation à valider").click()
        run_action(page, "accept")
        page.get_by_text("1 demande(s) acceptée(s) ; les familles sont prévenues.").wait_for()

        # On a phone: the search's count, then Tom's booking with its history, which scrolls
        # sideways in a region the keyboard can reach (templates/admin/edit_inline/tabular.html).
        page.set_viewport_size({"width": 375, "height": 812})
        page.goto(live_url(ALPHA, "/admin/reservations/booking/?q=Tom"))
        found["réservations, recherche"] = axe_violations(page)
        page.locator("#result_list tbody tr th a").first.click()
        history = page.get_by_role("region", name="Historique des réservations")
        assert "Acceptée par la mairie" in history.inner_text()
        found["réservation et historique"] = axe_violations(page)
        page.screenshot(path=shots / "1b-reservation-375.png", full_page=True)
        page.goto(live_url(ALPHA, "/admin/families/foyer/"))
        page.locator("#result_list tbody tr th a").first.click()
        found["foyer et enfants"] = axe_violations(page)  # editable tabular inlines
        page.set_viewport_size({"width": 1366, "height": 900})

        # The absence, accepted: Emma's booking of that day is cancelled.
        page.goto(live_url(ALPHA, "/admin/"))
        page.get_by_role("link", name="1 absence à décider").click()
        run_action(page, "accept")
        page.get_by_text("1 absence acceptée").wait_for()

        # Tomorrow's sheet, as printed: one A4 per prestation.
        page.goto(live_url(ALPHA, "/admin/"))
        page.locator("section", has_text="Prochain jour").get_by_role(
            "link", name="Feuille du jour (imprimable)"
        ).first.click()
        page.get_by_text("vendredi 13/03/2026 : 3 enfants attendus").wait_for()
        found["feuille"] = axe_violations(page)
        page.emulate_media(media="print")
        assert page.locator(".sheet-tools").is_hidden()
        assert page.locator(".sheet-prestation").count() == 2
        assert "Arachide" in page.locator(".sheet-prestation").first.inner_text()
        page.screenshot(path=shots / "2-feuille-imprimee.png", full_page=True)
        page.pdf(path=shots / "2-feuille.pdf", format="A4")
        page.emulate_media(media="screen")

        # Next Thursday closed for a strike: the bookings hit are shown before saving.
        page.goto(live_url(ALPHA, "/admin/reservations/closure/add/"))
        page.get_by_label("Service").select_option(label=service.name)
        page.locator("#id_start").fill("19/03/2026")
        page.locator("#id_end").fill("19/03/2026")
        page.locator("#id_reason").fill("Grève")
        page.locator("input[name=_save]").click()
        page.get_by_text("3 réservations annulées, de 2 familles").wait_for()
        assert "ROUX Léa (ROUX) : CANTINE" in page.locator(".closure-preview").inner_text()
        found["fermeture"] = axe_violations(page)
        page.screenshot(path=shots / "3-fermeture-apercu.png", full_page=True)
        page.get_by_role("button", name="Confirmer la fermeture et annuler 3 réservations").click()
        page.get_by_text("Appliquée").wait_for()
        page.get_by_text("3 réservations annulées sur 3").wait_for()
        page.get_by_text("2 familles prévenues par e-mail").wait_for()
        page.screenshot(path=shots / "4-fermeture-appliquee.png", full_page=True)

    with django_db_blocker.unblock():
        closure_mail = OutgoingEmail.objects.filter(
            schema_name="alpha", key__startswith="closure:"
        ).values_list("recipient", flat=True)
        recipients = sorted(closure_mail)
        connections.close_all()
    assert recipients == ["blanc@exemple.test", "roux@exemple.test"]
    assert {name: v for name, v in found.items() if v} == {}
    print(f"Screenshots in {shots}")
