"""The tariff admin: seed 000's table entered by staff; bad tariffs refused in French."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing import rules
from billing.forms import BRACKETS_NEEDED, BRACKETS_ONLY_FOR_BRACKETS
from billing.models import Tariff
from tenants.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/billing/tariff/add/"


@pytest.fixture
def agent_client(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


def _post(client, prestation, brackets=(), **fields):
    data = {
        "prestation": prestation.pk,
        "label": "",
        "valid_from": "2026-09-01",
        "valid_to": "",
        "price_mode": "fixed",
        "price": "",
        "unbooked_price": "",
        "unjustified_absence_price": "",
        "effort_rate": "",
        "effort_min": "",
        "effort_max": "",
        "brackets-TOTAL_FORMS": str(len(brackets)),
        "brackets-INITIAL_FORMS": "0",
        "brackets-MIN_NUM_FORMS": "0",
        "brackets-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, (low, high, price) in enumerate(brackets):
        data[f"brackets-{i}-qf_min"] = low
        data[f"brackets-{i}-qf_max"] = high
        data[f"brackets-{i}-price"] = price
    return client.post(ADD, data)


SEED_BRACKETS = [(0, 499, "0.60"), (500, 1000, "0.65"), (1001, "", "0.80")]


def _errors(response) -> str:
    assert response.status_code == 200, "the form was accepted"
    return response.content.decode()


def test_seed_000_tariffs_are_entered(agent_client, site, tenant_a, in_tenant):
    cantine = _post(
        agent_client,
        site["cantine"],
        price="3.60",
        unbooked_price="5.40",
        unjustified_absence_price="5.40",
    )
    garderie = _post(agent_client, site["t2"], brackets=SEED_BRACKETS, price_mode="brackets")
    assert cantine.status_code == garderie.status_code == 302
    with in_tenant(tenant_a):
        t2 = Tariff.objects.get(prestation=site["t2"])
        assert [(b.qf_min, b.qf_max, b.price) for b in t2.brackets.all()] == [
            (0, 499, Decimal("0.60")),
            (500, 1000, Decimal("0.65")),
            (1001, None, Decimal("0.80")),
        ]


@pytest.mark.parametrize(
    ("brackets", "message"),
    [
        ([(0, 499, "0.60"), (501, "", "0.80")], rules.BRACKETS_GAP.format(low=500, high=500)),
        ([(0, 500, "0.60"), (500, "", "0.80")], rules.BRACKETS_OVERLAP.format(value=500)),
        ([(0, 499, "0.60"), (500, 1000, "0.65")], rules.BRACKETS_CLOSED_END),
        ([(10, "", "0.60")], rules.BRACKETS_START),
        ([], BRACKETS_NEEDED),
    ],
)
def test_bad_brackets_are_refused(agent_client, site, tenant_a, in_tenant, brackets, message):
    response = _post(agent_client, site["t1"], brackets=brackets, price_mode="brackets")
    assert message.replace("'", "&#x27;") in _errors(response)
    with in_tenant(tenant_a):
        assert not Tariff.objects.exists()


def test_brackets_only_in_bracket_mode(agent_client, site):
    response = _post(agent_client, site["t1"], brackets=SEED_BRACKETS, price="1.00")
    assert BRACKETS_ONLY_FOR_BRACKETS.replace("'", "&#x27;") in _errors(response)


def test_negative_prices_are_refused(agent_client, site, tenant_a, in_tenant):
    response = _post(agent_client, site["cantine"], price="-3.60")
    assert "Un prix ne peut pas être négatif." in _errors(response)
    with in_tenant(tenant_a):
        assert not Tariff.objects.exists()


def test_overlapping_periods_are_refused(agent_client, site, tenant_a, in_tenant):
    first = _post(agent_client, site["cantine"], price="3.60", valid_to="2026-12-31")
    assert first.status_code == 302
    overlapping = _post(agent_client, site["cantine"], price="3.80", valid_from="2026-12-15")
    assert "couvre déjà une partie de cette période" in _errors(overlapping)
    january = _post(agent_client, site["cantine"], price="3.80", valid_from="2027-01-01")
    assert january.status_code == 302
    with in_tenant(tenant_a):
        assert sorted(Tariff.objects.values_list("price", flat=True)) == [
            Decimal("3.60"),
            Decimal("3.80"),
        ]


def test_effort_needs_its_bounds(agent_client, site):
    response = _post(
        agent_client, site["t1"], price_mode="effort", effort_rate="0.0012", effort_min="2"
    )
    assert rules.EFFORT_BOUNDS.replace("'", "&#x27;") in _errors(response)


def test_tariffs_are_never_deleted(agent_client, site, tenant_a, in_tenant):
    _post(agent_client, site["cantine"], price="3.60")
    with in_tenant(tenant_a):
        tariff = Tariff.objects.get()
    response = agent_client.get(f"/admin/billing/tariff/{tariff.pk}/delete/")
    assert response.status_code == 403


# --- Générer les factures, invoices, credit notes ---------------------------------------

RUNS = "/admin/billing/invoicerun/"
INVOICES = "/admin/billing/invoice/"


def _staff(client, tenant, role):
    client.force_login(MembershipFactory(collectivite=tenant, role=role).user)
    return client


@pytest.fixture
def _december(settings, tmp_path):
    import time_machine

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    with time_machine.travel("2026-12-01 09:00 +0100", tick=False):
        yield


@pytest.mark.usefixtures("_december")
def test_an_agent_previews_then_generates_last_month(
    month, agent_client, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    from billing.models import Invoice, InvoiceRun

    page = agent_client.get(f"{RUNS}add/").content.decode()
    assert 'value="2026-11-01"' in page and 'value="2026-11-30"' in page  # last month
    form = {"service": month["service"].pk, "start": "2026-11-01", "end": "2026-11-30"}
    preview = agent_client.post(f"{RUNS}add/", {**form, "apercu": "1"}).content.decode()
    assert "Aperçu : 2 factures, 17 lignes, 46,40 €" in preview
    with in_tenant(tenant_a):
        assert not Invoice.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(f"{RUNS}add/", {**form, "generer": "1"})
    with in_tenant(tenant_a):
        run = InvoiceRun.objects.get()
        assert Invoice.objects.count() == 2
    assert response["Location"] == f"{RUNS}{run.pk}/change/"
    progress = agent_client.get(f"{RUNS}{run.pk}/progression/").content.decode()
    assert "Terminée" in progress and "100 %" in progress and "2 factures émises" in progress
    assert "data-hx-get" not in progress  # finished: the bar stops polling
    again = agent_client.post(f"{RUNS}add/", {**form, "apercu": "1"}).content.decode()
    assert "2 factures déjà émises pour cette période" in again


@pytest.mark.usefixtures("_december")
@pytest.mark.parametrize("role", [Role.REGISSEUR, Role.COMPTABLE])
def test_only_billing_staff_generate(month, client_a, tenant_a, role):
    client = _staff(client_a, tenant_a, role)
    assert client.get(f"{RUNS}add/").status_code == 403
    form = {"service": month["service"].pk, "start": "2026-11-01", "end": "2026-11-30"}
    assert client.post(f"{RUNS}add/", {**form, "generer": "1"}).status_code == 403


@pytest.fixture
def issued_month(month, tenant_a, in_tenant, _december):
    from billing.models import Invoice, InvoiceRun
    from billing.services.runs import invoice_run_execute

    with in_tenant(tenant_a):
        run = InvoiceRun.objects.create(
            service=month["service"], period_start=month_start(), period_end=month_end()
        )
        invoice_run_execute(run=run)
        return {name: Invoice.objects.get(foyer=month[name]) for name in ("bernard", "aubert")}


def month_start():
    import datetime as dt

    return dt.date(2026, 11, 1)


def month_end():
    import datetime as dt

    return dt.date(2026, 11, 30)


def _numbers(response) -> set[str]:
    import re

    return set(re.findall(r"2026-GRO-\d{6}", response.content.decode()))


def test_invoice_list_search_filters_and_totals(issued_month, agent_client):
    page = agent_client.get(INVOICES)
    assert _numbers(page) == {"2026-GRO-000001", "2026-GRO-000002"}
    assert "2 factures</strong> : 46,40 € émis" in page.content.decode()
    assert _numbers(agent_client.get(INVOICES, {"q": "bernard"})) == {"2026-GRO-000002"}
    assert _numbers(agent_client.get(INVOICES, {"q": "000001"})) == {"2026-GRO-000001"}
    assert _numbers(agent_client.get(INVOICES, {"status__exact": "paid"})) == set()


def test_invoices_are_read_only(issued_month, agent_client):
    bernard = issued_month["bernard"]
    assert agent_client.get(f"{INVOICES}{bernard.pk}/delete/").status_code == 403
    page = agent_client.get(f"{INVOICES}{bernard.pk}/change/").content.decode()
    assert 'name="_save"' not in page and "Émettre un avoir" in page


def test_a_credit_note_from_the_admin(issued_month, agent_client, tenant_a, in_tenant):
    bernard = issued_month["bernard"]
    with in_tenant(tenant_a):
        line = bernard.lines.get(label="CANTINE (absence non justifiée)")
    url = f"{INVOICES}{bernard.pk}/avoir/"
    refused = agent_client.post(url, {"reason": "", "lines": [line.pk]})
    assert "Ce champ est obligatoire." in refused.content.decode()
    response = agent_client.post(url, {"reason": "Certificat reçu", "lines": [line.pk]})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        bernard.refresh_from_db()
        assert (bernard.amount_credited, bernard.status) == (Decimal("5.40"), "partial")


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.COMPTABLE, True), (Role.REGISSEUR, True), (Role.AGENT, False)]
)
def test_exports_are_for_those_who_export(issued_month, client_a, tenant_a, role, allowed):
    client = _staff(client_a, tenant_a, role)
    ids = [issued_month["bernard"].pk, issued_month["aubert"].pk]
    response = client.post(INVOICES, {"action": "export_csv", "_selected_action": ids, "index": 0})
    # Those who may not export are not offered the action: the list comes back, no file.
    assert response["Content-Type"].startswith("text/csv") is allowed
    if allowed:
        text = response.content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("Numéro;Émise le;Foyer")
        assert "2026-GRO-000002;01/12/2026;BERNARD;M. BERNARD Paul;GROUPE SCOLAIRE" in text
        assert ";44,80;0,00;0,00;44,80;À régler" in text


def test_formulas_typed_by_families_are_neutralised(issued_month, client_a, tenant_a, in_tenant):
    from billing.exports import invoice_rows

    client = _staff(client_a, tenant_a, Role.COMPTABLE)
    response = client.post(
        INVOICES,
        {"action": "export_xlsx", "_selected_action": [issued_month["bernard"].pk], "index": 0},
    )
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "2026-GRO-000002" and rows[1][3] == "M. BERNARD Paul"
    assert list(invoice_rows([])) == []


@pytest.mark.usefixtures("_december")
def test_the_form_proposes_the_service_left_to_bill(month, agent_client, tenant_a, in_tenant):
    from reservations.models import Service

    with in_tenant(tenant_a):
        # An earlier service in alphabetical order, with nothing to bill.
        Service.objects.create(name="ACCUEIL DE LOISIRS", billing_mode="postfacturation")
    page = agent_client.get(f"{RUNS}add/").content.decode()
    assert f'<option value="{month["service"].pk}" selected>' in page
