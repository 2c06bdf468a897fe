"""Billing in Chromium: an agent points a day on a phone, generates last month's invoices,
the parent finds the invoice in « Mes factures » and downloads its PDF. Screenshots saved.

The clock of the process is Tuesday 01/12/2026 10:00 Paris: « last month » is November.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connections
from django_tenants.utils import tenant_context

from billing.models import (
    Attendance,
    AttendanceMark,
    BillingProfile,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    NumberCounter,
    Tariff,
)
from families.models import Child
from portal.models import OutgoingEmail
from reservations.models import Booking, BookingEvent, Prestation, Service
from tenants.models import Collectivite, Membership, Role
from tests.billing.conftest import triggers_off
from tests.browser.test_requests import log_in
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
AGENT = "agent.factures@alpha.test"
AGENT_PASSWORD = "Agent-Factures-2026"
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
DAYS = [dt.date(2026, 11, d) for d in (2, 3, 5, 6, 9, 10)]


@pytest.fixture
def november(browser, django_db_blocker, settings, tmp_path):
    """Committed: a cantine at 3,60 € (5,40 € absent unjustified), Zoé booked six days."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        agent = get_user_model().objects.create_user(
            email=AGENT, password=AGENT_PASSWORD, first_name="Agathe", last_name="AGENT"
        )
        Membership.objects.create(user=agent, collectivite=alpha, role=Role.AGENT)
        with tenant_context(alpha):
            service = Service.objects.create(name="ECOLE FACTURES", billing_mode="postfacturation")
            cantine = Prestation.objects.create(
                service=service,
                name="CANTINE",
                weekdays=[1, 2, 4, 5],
                capacity=85,
                booking_rule="weekly",
                rule_weekday=2,
                rule_time=dt.time(12),
            )
            Tariff.objects.create(
                prestation=cantine,
                valid_from=dt.date(2026, 9, 1),
                price=Decimal("3.60"),
                unjustified_absence_price=Decimal("5.40"),
            )
            zoe = Child.objects.get(foyer__user__email=SESSION_PARENT)
            for day in DAYS:
                Booking.objects.create(child=zoe, prestation=cantine, day=day, state="validated")
        connections.close_all()
    yield service, cantine, zoe
    with django_db_blocker.unblock():
        with tenant_context(alpha), triggers_off():
            InvoiceLine.objects.filter(invoice__service=service).delete()
            Invoice.objects.filter(service=service).delete()
            InvoiceRun.objects.filter(service=service).delete()
            AttendanceMark.objects.filter(attendance__prestation=cantine).delete()
            Attendance.objects.filter(prestation=cantine).delete()
            BookingEvent.objects.filter(booking__prestation=cantine).delete()
            Booking.objects.filter(prestation=cantine).delete()
            Tariff.objects.filter(prestation=cantine).delete()
            NumberCounter.objects.filter(service=service).delete()
            BillingProfile.objects.filter(service=service).delete()
            cantine.delete()
            service.delete()
            LogEntry.objects.filter(user=agent).delete()
        OutgoingEmail.objects.filter(schema_name="alpha", key__startswith="invoice-").delete()
        get_user_model().objects.filter(email=AGENT).delete()
        connections.close_all()


def test_point_generate_and_download(november, browser, phone, desktop, live_url, tmp_path):
    service, cantine, zoe = november
    shots = tmp_path
    with time_machine.travel(NOW, tick=True):
        # The agent, on a phone, marks Zoé absent without justification on 05/11.
        admin = phone
        log_in(admin, live_url(ALPHA, "/admin/login/?next=/admin/"), AGENT, AGENT_PASSWORD)
        admin.goto(
            live_url(
                ALPHA,
                f"/admin/billing/attendance/pointage/?prestation={cantine.pk}&jour=2026-11-05",
            )
        )
        row = admin.locator(f'[data-child="{zoe.pk}"]')
        row.get_by_role("button", name="Absent non justifié").click()
        row.get_by_text("Enregistré : Absent non justifié").wait_for()
        admin.get_by_text("Tout est enregistré.").wait_for()
        assert (
            row.get_by_role("button", name="Absent non justifié").get_attribute("aria-pressed")
            == "true"
        )
        admin.screenshot(path=shots / "1-pointage-telephone.png", full_page=True)

        # « Générer les factures »: last month by default, an Aperçu, then the run.
        admin.goto(live_url(ALPHA, "/admin/billing/invoicerun/add/"))
        admin.get_by_label("Service").select_option(label=service.name)
        admin.get_by_role("button", name="Aperçu (rien n'est émis)").click()
        admin.get_by_text("Aperçu : 1 facture, 6 lignes, 23,40 €").wait_for()
        admin.get_by_role("button", name="Générer les factures").click()
        admin.get_by_text("Terminée").wait_for()
        admin.get_by_text("1 facture émise").wait_for()
        admin.screenshot(path=shots / "2-generation.png", full_page=True)

        # The parent finds it in « Mes factures » and downloads the PDF.
        page = desktop
        page.goto(live_url(ALPHA, "/connexion/"))
        page.get_by_label("Adresse e-mail").fill(SESSION_PARENT)
        page.get_by_label("Mot de passe").fill(SESSION_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(live_url(ALPHA))
        page.get_by_role("link", name="Mes factures", exact=True).click()
        page.get_by_text("Factures en cours").wait_for()
        caption = page.get_by_role("link", name="Facture du 01/12/2026 pour")
        assert "23,40 €" in page.locator("main").inner_text()
        page.screenshot(path=shots / "3-mes-factures.png", full_page=True)
        caption.click()
        page.get_by_text("CANTINE (absence non justifiée)").wait_for()
        with page.expect_download() as download:
            page.get_by_role("link", name="Télécharger la facture (PDF)").click()
        path = download.value.path()
        assert path.read_bytes()[:4] == b"%PDF"
        page.screenshot(path=shots / "4-detail.png", full_page=True)
    print(f"Screenshots in {shots}")
