"""Role grants: pure rules, no database."""

import pytest

from tenants.rules import (
    CAPABILITIES,
    ROLE_CAPABILITIES,
    ROLE_GRANTS,
    TENANT_APP_LABELS,
    UNDELETABLE,
    role_allows,
    role_allows_module,
    undeletable,
)


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


# Capabilities and records nobody deletes (issue 9; issue 12 items 4 and 5).

ROLES = tuple(ROLE_GRANTS)
# Billing's models do not exist yet: the rule covers every model of the app.
BILLING_MODELS = ("invoice", "invoiceline", "creditnote", "payment", "tariff", "counter")


@pytest.mark.parametrize("role", ROLES)
def test_no_role_deletes_bookings_their_history_or_any_billing_record(role):
    for perm in (
        "reservations.delete_booking",
        "reservations.delete_bookingevent",
        *(f"billing.delete_{model}" for model in BILLING_MODELS),
    ):
        assert not role_allows(role, perm), (role, perm)
    # The table itself grants it nowhere: the guard in role_allows is a second lock.
    for key, actions in ROLE_GRANTS[role].items():
        app_label, _, model = key.partition(".")
        if undeletable(app_label, model):
            assert "delete" not in actions, (role, key)
    assert {"reservations.booking", "reservations.bookingevent", "billing"} <= set(UNDELETABLE)


@pytest.mark.parametrize("role", ROLES)
def test_nobody_types_a_bookings_history(role):
    assert not role_allows(role, "reservations.add_bookingevent")
    assert not role_allows(role, "reservations.change_bookingevent")


def test_other_reservations_rows_stay_deletable_by_those_who_manage_them():
    assert role_allows("agent", "reservations.delete_closure")
    assert role_allows("agent", "reservations.change_booking")
    assert not role_allows("comptable", "reservations.change_booking")


@pytest.mark.parametrize(
    ("capability", "holders"),
    [
        ("reservations.decide", {"agent", "administrateur"}),
        ("billing.issue", {"agent", "administrateur"}),
        ("billing.correct", {"agent", "administrateur"}),
        ("billing.collect", {"regisseur"}),
        ("billing.export", {"regisseur", "comptable", "administrateur"}),
        ("families.view_health", {"agent", "administrateur"}),
        ("requests_inbox.decide_absence", {"agent", "administrateur"}),
        ("requests_inbox.answer", {"agent", "administrateur"}),
        ("tenants.manage_staff", {"administrateur"}),
    ],
)
def test_each_capability_is_held_by_its_roles_only(capability, holders):
    assert capability in CAPABILITIES
    assert {role for role in ROLES if role_allows(role, capability)} == holders
    assert not role_allows(None, capability)


def test_the_regisseur_reads_requests_but_decides_nothing_there():
    assert role_allows("regisseur", "requests_inbox.view_thread")
    for perm in (
        "requests_inbox.change_thread",
        "requests_inbox.add_message",
        "requests_inbox.change_absence",
        "requests_inbox.answer",
        "requests_inbox.decide_absence",
    ):
        assert not role_allows("regisseur", perm), perm


def test_the_regie_rule_holds_in_capabilities_too():
    # Who bills does not collect; who collects does not bill; the comptable only exports.
    assert ROLE_CAPABILITIES["agent"].isdisjoint({"billing.collect"})
    assert ROLE_CAPABILITIES["regisseur"].isdisjoint({"billing.issue", "billing.correct"})
    assert ROLE_CAPABILITIES["comptable"] == {"billing.export"}


@pytest.mark.parametrize("role", ["agent", "administrateur"])
def test_staff_take_a_child_off_a_waiting_list_but_never_type_an_entry(role):
    # Typing or editing an entry would jump the queue (first come, first served).
    assert role_allows(role, "reservations.view_waitinglistentry")
    assert role_allows(role, "reservations.delete_waitinglistentry")
    assert not role_allows(role, "reservations.add_waitinglistentry")
    assert not role_allows(role, "reservations.change_waitinglistentry")


@pytest.mark.parametrize("role", ["agent", "administrateur", "comptable"])
def test_only_the_regisseur_changes_the_regies_settings(role):
    # The PayFiP identifier and the SEPA creditor decide where families' money goes.
    assert role_allows("regisseur", "billing.change_paymentsettings")
    assert role_allows(role, "billing.view_paymentsettings")
    assert not role_allows(role, "billing.change_paymentsettings")
