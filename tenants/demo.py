"""Demo collectivités and their staff for `seed_demo` (idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from tenants import services
from tenants.models import Collectivite, Domain, Membership, Role

DEMO_PASSWORD = "Demo-Espace-2026"  # printed in the README on purpose
PLATFORM_ADMIN = "admin@espace-famille.demo"

COLLECTIVITES = [
    {
        "schema_name": "valdurenque",
        "name": "MAIRIE DE VALDURENQUE",
        "contact_person": "Sabine DO",
        "address": "20 Av Louis Raucoules\n81090 VALDURENQUE",
        "opening_hours": "Voir le site internet de la commune",
        "phone": "05 63 50 51 18",
        "email": "mairiedevaldurenque@wanadoo.fr",
        "holiday_zone": "C",
        "reglement": (
            "Cantine : réservation le mardi avant 12h pour la semaine n+1 ; annulation non "
            "autorisée sans absence justifiée. 3,60 € le repas réservé, 5,40 € s'il n'a pas été "
            "prévu ou en cas d'absence injustifiée. 85 places.\n"
            "Garderie du matin (7h30–8h30) et du soir (T1 16h30–17h30, T2 16h30–18h30) : "
            "réservation et annulation la veille avant 17h00. Tarif horaire par enfant selon le "
            "quotient familial CAF : 0 à 499 → 0,60 € ; 500 à 1000 → 0,65 € ; à partir de "
            "1001 → 0,80 €. 50 places.\n"
            "Les prestations sont facturées après la période (post-facturation)."
        ),
    },
    {
        "schema_name": "malemort",
        "name": "Commune de Malemort du Comtat",
        "contact_person": "Service scolaire",
        "address": "Mairie — Service scolaire\n84570 MALEMORT-DU-COMTAT",
        "opening_hours": "Du lundi au vendredi, de 8h30 à 12h00",
        "phone": "",
        "email": "service.scolaire@malemort.demo",
        "holiday_zone": "B",
        "reglement": (
            "Régie cantine en prépaiement : les repas sont payés en ligne à la validation du "
            "panier. Les repas réservés puis annulés dans les délais sont remboursés sous forme "
            "d'avoir."
        ),
    },
]


def staff_email(slug: str, role: str) -> str:
    return f"{role}@{slug}.demo"


def _user(email: str, first_name: str = "", last_name: str = "", **extra):
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_model.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            **extra,
        )
    return user


def seed_public() -> Collectivite:
    """Create the public tenant (the root portal) and the platform administrator."""
    public, _ = Collectivite.objects.get_or_create(
        schema_name="public", defaults={"name": "Espace Famille"}
    )
    for i, name in enumerate([settings.PORTAL_DOMAIN, "127.0.0.1"]):
        Domain.objects.get_or_create(domain=name, defaults={"tenant": public, "is_primary": i == 0})
    _user(PLATFORM_ADMIN, "Admin", "Plateforme", is_staff=True, is_superuser=True)
    return public


@transaction.atomic
def seed_collectivites() -> list[Collectivite]:
    """Create the demo collectivités (with their schemas) and one staff account per role."""
    result = []
    for spec in COLLECTIVITES:
        spec = dict(spec)
        schema_name = spec.pop("schema_name")
        collectivite = Collectivite.objects.filter(schema_name=schema_name).first()
        if collectivite is None:
            collectivite = services.collectivite_create(
                schema_name=schema_name,
                domain=f"{schema_name}.{settings.PORTAL_DOMAIN}",
                **spec,
            )
        for role in Role.values:
            user = _user(staff_email(schema_name, role), role.capitalize(), schema_name.upper())
            Membership.objects.get_or_create(
                user=user, collectivite=collectivite, defaults={"role": role}
            )
        result.append(collectivite)
    return result
