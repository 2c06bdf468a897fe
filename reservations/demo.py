"""Demo services and prestations for `seed_demo` (idempotent), from the seed guides."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.db import transaction
from django_tenants.utils import tenant_context

from reservations.models import Prestation, Service
from tenants.models import Collectivite

SCHOOL_DAYS = [1, 2, 4, 5]  # « Les lundi, mardi, jeudi et vendredi » (seed 000)
VEILLE_17H = {
    "booking_rule": "days_before",
    "rule_days_before": 1,
    "rule_time": time(17),
    "rule_skip_non_working_days": True,
    "cancellation_rule": "same",
}
VEILLE_10H = {**VEILLE_17H, "rule_time": time(10)}
MEAL_2_55 = {"is_meal": True, "unit_price": Decimal("2.55")}

SERVICES = {
    "valdurenque": [
        (
            {"name": "GROUPE SCOLAIRE - postfacturation", "billing_mode": "postfacturation"},
            [
                # Seed 000: « Mardi avant 12h pour la semaine n+1 », « Non autorisé sans
                # absence justifiée », 85 places.
                {
                    "name": "CANTINE",
                    "capacity": 85,
                    "start_time": time(12),
                    "end_time": time(13, 30),
                    "booking_rule": "weekly",
                    "rule_weekday": 2,
                    "rule_weeks_ahead": 1,
                    "rule_time": time(12),
                    "cancellation_rule": "not_allowed",
                    "is_meal": True,
                },
                {
                    "name": "UNITE DE GARDERIE MATIN",
                    "kind": "hourly",
                    "capacity": 50,
                    "start_time": time(7, 30),
                    "end_time": time(8, 30),
                    **VEILLE_17H,
                },
                {
                    "name": "GARDERIE SOIR T1 (16H30-17H30)",
                    "kind": "hourly",
                    "capacity": 50,
                    "start_time": time(16, 30),
                    "end_time": time(17, 30),
                    **VEILLE_17H,
                },
                {
                    "name": "GARDERIE SOIR T2 (16H30-18H30)",
                    "kind": "hourly",
                    "capacity": 50,
                    "start_time": time(16, 30),
                    "end_time": time(18, 30),
                    **VEILLE_17H,
                },
            ],
        )
    ],
    "malemort": [
        (
            {"name": "REGIE CANTINE - prépaiement", "billing_mode": "prepaiement"},
            [
                # Seed 004 shows the grid, not the deadline: the day before at 10:00 is ours.
                # Its cart says 3 meals make 7,65 € to pay: 2,55 € each.
                {"name": "REPAS CLASSIQUE ENFANT", "capacity": 120, **MEAL_2_55, **VEILLE_10H},
                {"name": "REPAS VEGETARIEN", "capacity": 40, **MEAL_2_55, **VEILLE_10H},
            ],
        )
    ],
}


@transaction.atomic
def seed_services(collectivite: Collectivite) -> int:
    """Create the demo services and prestations of ``collectivite``; return how many exist."""
    with tenant_context(collectivite):
        for service_fields, prestations in SERVICES.get(collectivite.schema_name, []):
            service, _ = Service.objects.get_or_create(
                name=service_fields["name"], defaults=service_fields
            )
            for order, fields in enumerate(prestations):
                Prestation.objects.get_or_create(
                    service=service,
                    name=fields["name"],
                    defaults={"weekdays": SCHOOL_DAYS, "display_order": order, **fields},
                )
        return Prestation.objects.count()
