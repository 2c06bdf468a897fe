"""What the audit trail records: one list of models, in one place.

Adding a model is one line in ``AUDITED``. Health data is recorded as changed, never with its
values.
"""

from __future__ import annotations

from collections.abc import Callable

from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.db import models

HEALTH_MASK = "(donnée de santé masquée)"

# Model label -> django-auditlog registration options.
AUDITED: dict[str, dict] = {
    "families.foyer": {},
    "families.responsable": {},
    "families.child": {
        "mask_fields": ["allergies", "pai"],
        "mask_callable": "portal.audit.registry.mask_health",
    },
    "families.quotientfamilial": {},
    # The booking's own history is BookingEvent; here, a staff change of its state.
    "reservations.booking": {"include_fields": ["state"]},
    "reservations.service": {},
    "reservations.prestation": {},
    "reservations.closure": {},
    "news.post": {},
    # Billing: tariffs and settings staff edit; invoices only where their money moves (the
    # rest is frozen by the database); credit notes and pointage marks as they are made.
    "billing.tariff": {},
    "billing.tariffbracket": {},
    "billing.billingprofile": {},
    "billing.invoice": {"include_fields": ["status", "amount_paid", "amount_credited"]},
    "billing.creditnote": {},
    "billing.attendance": {"include_fields": ["status"]},
    # The régie: its settings, the exceptions to the segregation of duties (who, to whom,
    # why, when, revoked), mandates (the IBAN masked) and the payments recorded.
    "billing.paymentsettings": {},
    "billing.dutyexception": {},
    "billing.sepamandate": {"mask_fields": ["iban"]},
    "billing.payment": {},
    # Public schema (see SHARED_SCOPES).
    "tenants.membership": {},
    "tenants.collectivite": {"exclude_fields": ["created_on"]},
}


def _membership_schema(membership) -> str:
    return membership.collectivite.schema_name


def _collectivite_schema(collectivite) -> str:
    return collectivite.schema_name


# Models of the public schema -> the schema of the collectivité an entry concerns.
SHARED_SCOPES: dict[str, Callable[[models.Model], str]] = {
    "tenants.membership": _membership_schema,
    "tenants.collectivite": _collectivite_schema,
}


def mask_health(value: str) -> str:
    """Replace a health value (allergies, PAI) by a fixed mark: the change, not the data."""
    return HEALTH_MASK


def _is_tenant_model(model: type[models.Model]) -> bool:
    tenant_modules = set(settings.TENANT_APPS)
    return model._meta.app_config.name in tenant_modules


def shared_scope(instance: models.Model) -> str | None:
    """Return the collectivité schema of a public-schema row, None for a tenant row."""
    if _is_tenant_model(type(instance)):
        return None
    scope = SHARED_SCOPES.get(instance._meta.label_lower)
    if scope is None:
        raise LookupError(f"{instance._meta.label_lower} is audited but has no shared scope")
    return scope(instance)


def register_all() -> None:
    """Register every model of ``AUDITED``; an unknown label or scope stops the start-up."""
    for label, options in AUDITED.items():
        model = apps.get_model(label)
        if not _is_tenant_model(model) and label not in SHARED_SCOPES:
            raise LookupError(f"{label} lives in the public schema: give it a SHARED_SCOPES entry")
        if not auditlog.contains(model):
            auditlog.register(model, **options)


def audited_models() -> list[tuple[str, str]]:
    """Return (label, French name) of each audited model, for the admin's filter."""
    return sorted(
        ((label, str(apps.get_model(label)._meta.verbose_name)) for label in AUDITED),
        key=lambda item: item[1],
    )
