"""Which staff role may do what in its collectivité's admin. Pure: no Django imports.

Two tables, one mechanism (``role_allows`` answers Django's ``has_perm``):

- ``ROLE_GRANTS``: Django's model permissions (view, add, change, delete) per app
  (``"families"``) or model (``"billing.payment"``); a model grant wins over its app's.
- ``ROLE_CAPABILITIES``: what a role may *decide*, named ``"app.capability"``
  (``"reservations.decide"``, ``"billing.collect"``…); admins and services check these,
  not only the model permission behind a screen.

Régie rule: who bills (agents, on the ordonnateur side) is not who collects (the régisseur);
the comptable reads and exports everything and changes nothing. Records of money and of a
family's history are never deleted, by any role (``UNDELETABLE``): they change by a new
event, a cancellation or a credit note (SPEC §6).
"""

from __future__ import annotations

from collections.abc import Mapping

VIEW = frozenset({"view"})
WRITE = frozenset({"view", "add", "change"})
ALL = frozenset({"view", "add", "change", "delete"})
# Every app whose models live in a collectivité's schema.
TENANT_APP_LABELS = ("families", "reservations", "billing", "news", "requests_inbox")

# Apps and models whose rows no role may delete: bookings and their history (the database
# refuses it too: reservations migration 0002), and everything billing keeps.
UNDELETABLE = ("reservations.booking", "reservations.bookingevent", "billing")

# The bookings' history is written by services only: no role adds or changes an event.
# Waiting lists are joined by families and served by the lifecycle, first come first
# served: staff read them and may take a child off one, never type or edit an entry (that
# would jump the queue; staff who want to give a place book it, deadlines overridden).
_BOOKINGS = {
    "reservations.booking": WRITE,
    "reservations.bookingevent": VIEW,
    "reservations.waitinglistentry": frozenset({"view", "delete"}),
}
# The régie's records: payments at the counter, direct-debit mandates and runs, its
# settings (reminder delays, PayFiP, SEPA creditor). Transactions, orders, accounts and the
# notifications log are written by services only.
_COLLECTING_MODELS = ("billing.payment", "billing.sepamandate", "billing.debitrun")
_COLLECTING = {
    **dict.fromkeys(_COLLECTING_MODELS, WRITE),
    "billing.paymentsettings": WRITE,
}
# The others read them, settings included: who may change the PayFiP identifier or the SEPA
# creditor decides where families' money goes (found by tests/tenants/test_role_matrix.py).
_COLLECTING_VIEW = dict.fromkeys((*_COLLECTING_MODELS, "billing.paymentsettings"), VIEW)

ROLE_GRANTS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "agent": {
        "families": ALL,
        "reservations": ALL,
        **_BOOKINGS,
        "news": ALL,
        "requests_inbox": ALL,
        "billing": WRITE,
        # Collecting money is the régisseur's job.
        **_COLLECTING_VIEW,
        "admin": VIEW,
    },
    "regisseur": {
        # Reads requests (a family may write about a payment), decides nothing there.
        **{app: VIEW for app in TENANT_APP_LABELS},
        **_COLLECTING,
        "admin": VIEW,
    },
    "comptable": {**{app: VIEW for app in TENANT_APP_LABELS}, "admin": VIEW},
    "administrateur": {
        **{app: ALL for app in TENANT_APP_LABELS},
        **_BOOKINGS,
        "billing": WRITE,
        **_COLLECTING_VIEW,
        # Administrators manage the staff of their own collectivité.
        "tenants.membership": ALL,
        "admin": VIEW,
    },
}

# What each role may decide. Health data (absence motifs and justificatifs, allergies, PAI)
# is read by those who care for the children, not by those who count the money.
_CARE = frozenset(
    {
        "reservations.decide",  # accept, refuse, book and cancel for families
        "families.view_health",
        "families.send_adhesion",
        "families.import_foyers",
        "requests_inbox.decide_absence",  # accept a justified absence: it cancels bookings
        "requests_inbox.answer",  # reply to, assign and close the families' requests
        "billing.issue",  # invoices (ordonnateur side)
        "billing.correct",  # credit notes
    }
)
ROLE_CAPABILITIES: Mapping[str, frozenset[str]] = {
    "agent": _CARE,
    "regisseur": frozenset({"billing.collect", "billing.export"}),
    "comptable": frozenset({"billing.export"}),
    # The administrateur may let one staff member cross the régie rule, explicitly and logged
    # (billing.DutyException).
    "administrateur": _CARE | {"billing.export", "tenants.manage_staff", "billing.grant_exception"},
}
CAPABILITIES = frozenset().union(*ROLE_CAPABILITIES.values())


def split_permission(perm: str) -> tuple[str, str, str]:
    """Split ``"app.action_model"`` into (app, action, model); model is "" for custom codenames."""
    app_label, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    if action not in ALL:
        return app_label, codename, ""
    return app_label, action, model


def undeletable(app_label: str, model: str) -> bool:
    """Tell whether no role may ever delete rows of ``app_label.model``."""
    return app_label in UNDELETABLE or f"{app_label}.{model}" in UNDELETABLE


def role_allows(role: str | None, perm: str) -> bool:
    """Tell whether ``role`` grants the Django permission string or capability ``perm``."""
    # First: "families.view_health" would read as « view » of a model named « health ».
    if perm in CAPABILITIES:
        return perm in ROLE_CAPABILITIES.get(role or "", ())
    grants = ROLE_GRANTS.get(role or "")
    if not grants:
        return False
    app_label, action, model = split_permission(perm)
    if action == "delete" and undeletable(app_label, model):
        return False
    actions = grants.get(f"{app_label}.{model}") if model else None
    if actions is None:
        actions = grants.get(app_label, frozenset())
    return action in actions


def role_allows_module(role: str | None, app_label: str) -> bool:
    """Tell whether ``role`` grants anything at all in ``app_label``."""
    grants = ROLE_GRANTS.get(role or "", {})
    return any(key == app_label or key.startswith(f"{app_label}.") for key in grants)
