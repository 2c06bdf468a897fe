"""Role grants: pure rules, no database."""

import pytest

from tenants.rules import ROLE_GRANTS, TENANT_APP_LABELS, role_allows, role_allows_module


@pytest.mark.parametrize("app_label", TENANT_APP_LABELS)
@pytest.mark.parametrize("action", ["add", "change", "delete"])
def test_comptable_reads_everything_and_changes_nothing(app_label, action):
    assert role_allows("comptable", f"{app_label}.view_anything")
    assert not role_allows("comptable", f"{app_label}.{action}_anything")


def test_agent_bills_but_does_not_collect():
    assert role_allows("agent", "billing.add_invoice")
    assert role_allows("agent", "billing.view_payment")
    assert not role_allows("agent", "billing.add_payment")
    assert not role_allows("agent", "billing.change_payment")


def test_regisseur_collects_but_does_not_edit_families():
    assert role_allows("regisseur", "billing.add_payment")
    assert not role_allows("regisseur", "billing.add_invoice")
    assert role_allows("regisseur", "families.view_foyer")
    assert not role_allows("regisseur", "families.change_foyer")


def test_only_administrateur_manages_staff():
    assert role_allows("administrateur", "tenants.add_membership")
    for role in ("agent", "regisseur", "comptable"):
        assert not role_allows(role, "tenants.view_membership")
        assert not role_allows_module(role, "tenants")
    assert role_allows_module("administrateur", "tenants")
    # Collectivités themselves are the platform's business, never a tenant role's.
    assert not role_allows("administrateur", "tenants.change_collectivite")


def test_no_role_grants_nothing():
    assert not role_allows(None, "families.view_foyer")
    assert not role_allows("inconnu", "families.view_foyer")
    assert not role_allows_module(None, "families")


def test_custom_codenames_are_granted_only_where_named():
    assert not role_allows("agent", "families.some_new_power")
    assert role_allows("agent", "families.send_adhesion")
    assert not role_allows("comptable", "families.send_adhesion")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("agent", True), ("administrateur", True), ("regisseur", False), ("comptable", False)],
)
def test_health_data_only_for_roles_that_need_it(role, allowed):
    # "view_health" looks like "view" of a model named "health": it must not ride on the
    # comptable's blanket read access.
    assert role_allows(role, "families.view_health") is allowed


def test_every_role_can_open_the_admin_log():
    assert all(role_allows(role, "admin.view_logentry") for role in ROLE_GRANTS)
