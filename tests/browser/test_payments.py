"""A parent pays a prépaiement cart in Chromium with the demonstration provider: three meals
at 2,55 €, « Valider », the order's payment page, the demonstration page, « Payer », and the
ticket found in « Mes factures » › « Factures payées ». Screenshots of each step, on a phone.

The clock of the whole process is Monday 12/01/2026 09:00 Paris.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections
from django_tenants.utils import tenant_context

from billing import models as billing
from families.models import Foyer
from portal.models import OutgoingEmail
from reservations.models import Booking, Prestation, PrestationDay, Service
from tenants.models import Collectivite
from tests.billing.conftest import triggers_off
from tests.cleanup import bookings_purge
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
NOW = dt.datetime(2026, 1, 12, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
DAYS = [dt.date(2026, 1, d) for d in (15, 16, 19)]
SHOTS = Path("/work/briefs/shots")


@pytest.fixture
def regie_cantine(browser, django_db_blocker):
    """Committed: « REGIE CANTINE - prépaiement », its meal at 2,55 €, payments in demo."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            billing.PaymentSettings.objects.create(demo=True)
            service = Service.objects.create(
                name="REGIE CANTINE - prépaiement", billing_mode="prepaiement"
            )
            billing.BillingProfile.objects.create(service=service, code="CAN")
            meal = Prestation.objects.create(
                service=service,
                name="REPAS CLASSIQUE ENFANT",
                weekdays=[1, 2, 4, 5],
                capacity=85,
                booking_rule="days_before",
                rule_time=dt.time(10),
                is_meal=True,
            )
            billing.Tariff.objects.create(
                prestation=meal, valid_from=dt.date(2025, 9, 1), price=Decimal("2.55")
            )
            foyer = Foyer.objects.get(user__email=SESSION_PARENT)
            Foyer.objects.filter(pk=foyer.pk).update(email=SESSION_PARENT)
        connections.close_all()
    yield service, meal
    with django_db_blocker.unblock():
        with tenant_context(alpha), triggers_off():
            for model in (
                billing.PaymentNotice,
                billing.AccountEntry,
                billing.Payment,
                billing.PaymentTransaction,
                billing.PrepaidOrderLine,
                billing.PrepaidOrder,
                billing.InvoiceLine,
                billing.Invoice,
                billing.NumberCounter,
                billing.BillingProfile,
                billing.Tariff,
                billing.PaymentSettings,
            ):
                model.objects.all()._raw_delete(connections["default"].alias)
            bookings_purge(Booking.objects.filter(prestation__service=service))
            PrestationDay.objects.filter(prestation__service=service).delete()
            Prestation.objects.filter(service=service).delete()
            service.delete()
            Foyer.objects.filter(pk=foyer.pk).update(email="")
        OutgoingEmail.objects.filter(recipient=SESSION_PARENT).delete()
        connections.close_all()


def test_a_parent_pays_a_prepaiement_cart_and_finds_the_ticket(
    regie_cantine, phone, live_url, tmp_path
):
    service, meal = regie_cantine
    page = phone
    shots = []

    def shot(name):
        path = tmp_path / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        shots.append(path)

    with time_machine.travel(NOW, tick=True):
        page.goto(live_url(ALPHA, "/connexion/"))
        page.get_by_label("Adresse e-mail").fill(SESSION_PARENT)
        page.get_by_label("Mot de passe").fill(SESSION_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(live_url(ALPHA))

        page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-01-12"))
        for day in DAYS:
            cell = page.locator(f"#cellule-{meal.pk}-{day:%Y%m%d}")
            cell.locator("button").click()
            page.locator(f'#cellule-{meal.pk}-{day:%Y%m%d}[data-state="cart"]').wait_for()
        assert "Total à payer : 7,65 €" in page.locator("#panier").inner_text()
        page.get_by_role("button", name="Valider").click()

        # « Valider » opens the payment page of the order.
        page.get_by_role("heading", name="Paiement de vos réservations").wait_for()
        assert "Paiement de démonstration" in page.content()
        shot("1-commande")
        page.get_by_role("button", name="Payer 7,65 € (démonstration)").click()
        page.get_by_role("heading", name="Paiement de démonstration").wait_for()
        shot("2-page-de-demonstration")
        page.get_by_role("button", name="Payer", exact=True).click()
        page.get_by_text("Paiement reçu.").wait_for()
        assert "2026-CAN-000001" in page.content()
        shot("3-paiement-recu")

        page.goto(live_url(ALPHA, "/factures/"))
        payees = page.locator("section[aria-labelledby=payees]").inner_text()
        assert "2026-CAN-000001" in payees and "payée le 12/01/2026" in payees
        assert "7,65 €" in payees
        shot("4-factures-payees")

        page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-01-12"))
        for day in DAYS:
            state = page.locator(f"#cellule-{meal.pk}-{day:%Y%m%d}").get_attribute("data-state")
            assert state == "validated"

    assert OutgoingEmail.objects.filter(
        recipient=SESSION_PARENT, subject="Votre ticket de paiement n° 2026-CAN-000001"
    ).exists()
    if SHOTS.is_dir():
        for path in shots:
            shutil.copy(path, SHOTS / f"i11-{path.name}")
