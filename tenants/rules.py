"""Which staff role may do what in its collectivité's admin. Pure: no Django imports.

A grant names an app (``"families"``) or one model of it (``"billing.payment"``); a model grant
wins over its app's. Actions are Django's (view, add, change, delete) plus custom permission
codenames that later apps declare.

Régie rule: who bills (agents, on the ordonnateur side) is not who collects (the régisseur);
the comptable reads and exports everything and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

VIEW = frozenset({"view"})
ALL = frozenset({"view", "add", "change", "delete"})
# Every app whose models live in a collectivité's schema.
TENANT_APP_LABELS = ("families", "reservations", "billing", "news", "requests_inbox")

ROLE_GRANTS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "agent": {
        "families": ALL,
        "reservations": ALL,
        "news": ALL,
        "requests_inbox": ALL,
        "billing": ALL,
        # Collecting money is the régisseur's job.
        "billing.payment": VIEW,
        "admin": VIEW,
    },
    "regisseur": {
        "families": VIEW,
        "reservations": VIEW,
        "news": VIEW,
        "requests_inbox": frozenset({"view", "add", "change"}),
        "billing": VIEW,
        "billing.payment": frozenset({"view", "add", "change"}),
        "admin": VIEW,
    },
    "comptable": {**{app: VIEW for app in TENANT_APP_LABELS}, "admin": VIEW},
    "administrateur": {
        **{app: ALL for app in TENANT_APP_LABELS},
        "billing.payment": VIEW,
        # Administrators manage the staff of their own collectivité.
        "tenants.membership": ALL,
        "admin": VIEW,
    },
}


# Permissions that are not view/add/change/delete of a model, and the roles that hold them.
# Health data (allergies, PAI) is seen by those who serve meals and care for the children.
SPECIAL_GRANTS: Mapping[str, frozenset[str]] = {
    "families.view_health": frozenset({"agent", "administrateur"}),
    "families.send_adhesion": frozenset({"agent", "administrateur"}),
    "families.import_foyers": frozenset({"agent", "administrateur"}),
    # Régie: agents and administrators bill and correct (ordonnateur side); the comptable
    # exports; the régisseur only reads invoices.
    "billing.issue_invoice": frozenset({"agent", "administrateur"}),
    "billing.correct_invoice": frozenset({"agent", "administrateur"}),
    "billing.export_invoice": frozenset({"agent", "comptable", "administrateur"}),
}


def split_permission(perm: str) -> tuple[str, str, str]:
    """Split ``"app.action_model"`` into (app, action, model); model is "" for custom codenames."""
    app_label, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    if action not in ALL:
        return app_label, codename, ""
    return app_label, action, model


def role_allows(role: str | None, perm: str) -> bool:
    """Tell whether ``role`` grants the Django permission string ``perm``."""
    if perm in SPECIAL_GRANTS:
        return (role or "") in SPECIAL_GRANTS[perm]
    grants = ROLE_GRANTS.get(role or "")
    if not grants:
        return False
    app_label, action, model = split_permission(perm)
    actions = grants.get(f"{app_label}.{model}") if model else None
    if actions is None:
        actions = grants.get(app_label, frozenset())
    return action in actions


def role_allows_module(role: str | None, app_label: str) -> bool:
    """Tell whether ``role`` grants anything at all in ``app_label``."""
    grants = ROLE_GRANTS.get(role or "", {})
    return any(key == app_label or key.startswith(f"{app_label}.") for key in grants)
