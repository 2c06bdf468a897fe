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
