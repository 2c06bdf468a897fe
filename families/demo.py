"""Demo foyers for `seed_demo` (idempotent): families with children in each collectivité."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django_tenants.utils import tenant_context

from families.models import Child, Foyer, Responsable
from families.services import adhesion_code_send
from tenants.demo import _user
from tenants.models import AdhesionCode, Collectivite
from tenants.services import adhesion_add

# Shared by both collectivités: one account, two foyers (« Adhésion aux collectivités »).
MULTI_ACCOUNT = "famille.martin@espace-famille.demo"
# Foyers the mairie created but nobody activated yet, to walk both onboarding flows:
# BERNARD gets the « Adhésion à un service » e-mail with its activation link (flow 1);
# PETIT's code is printed by seed_demo and the README (flow 2, after creating an account).
PENDING = {
    "valdurenque": {
        "name": "BERNARD",
        "email": "famille.bernard@valdurenque.demo",
        "responsables": [("MME", "BERNARD", "Sophie", "06 55 44 33 22")],
        "children": [
            ("BERNARD", "Lucas", date(2016, 10, 5), "G", "École des Sautarochs", "CE2"),
            ("BERNARD", "Chloé", date(2019, 2, 17), "F", "École des Sautarochs", "MS"),
        ],
        "code": None,
    },
    "malemort": {
        "name": "PETIT",
        "email": "famille.petit@malemort.demo",
        "responsables": [("M", "PETIT", "Karim", "04 90 00 00 02")],
        "children": [("PETIT", "Inès", date(2018, 4, 11), "F", "", "")],
        "code": "KUD7QX9MAE",
    },
}

FOYERS = {
    "valdurenque": [
        {
            "name": "TESTMP",
            "account": "famille.testmp@valdurenque.demo",
            "responsables": [("M", "TESTMP", "Marc", "06 12 34 56 78")],
            "children": [
                ("TESTMP", "Clara", date(2016, 3, 14), "F", "École des Sautarochs", "CE2"),
                ("TESTMP", "Guilhem", date(2018, 9, 2), "G", "École des Sautarochs", "GS"),
            ],
        },
        {
            "name": "DURAND",
            "account": "famille.durand@valdurenque.demo",
            "responsables": [
                ("MME", "DURAND", "Claire", "06 98 76 54 32"),
                ("M", "DURAND", "Paul", ""),
            ],
            "children": [("DURAND", "Léa", date(2015, 5, 10), "F", "École des Sautarochs", "CM1")],
        },
        {
            "name": "MARTIN",
            "account": MULTI_ACCOUNT,
            "responsables": [("MME", "MARTIN", "Julie", "07 11 22 33 44")],
            "children": [("MARTIN", "Hugo", date(2017, 1, 20), "G", "École des Sautarochs", "CE1")],
        },
    ],
    "malemort": [
        {
            "name": "FAMILLE X",
            "account": "famille.x@malemort.demo",
            "responsables": [("MME", "FAMILLE X", "Marie", "04 90 00 00 01")],
            "children": [
                ("FAMILLE X", "Fille", date(2017, 11, 28), "F", "", ""),
                ("FAMILLE X", "Garçon", date(2017, 11, 28), "G", "", ""),
            ],
        },
        {
            "name": "MARTIN",
            "account": MULTI_ACCOUNT,
            "responsables": [("MME", "MARTIN", "Julie", "07 11 22 33 44")],
            "children": [("MARTIN", "Emma", date(2019, 6, 3), "F", "", "")],
        },
    ],
}


def _create_members(foyer: Foyer, spec: dict, email: str) -> None:
    for rank, (civilite, last, first_name, phone) in enumerate(spec["responsables"], 1):
        Responsable.objects.create(
            foyer=foyer,
            rank=rank,
            civilite=civilite,
            last_name=last,
            first_name=first_name,
            phone=phone,
            email=email if rank == 1 else "",
        )
    for last, first_name, born, sexe, school, classe in spec["children"]:
        Child.objects.create(
            foyer=foyer,
            last_name=last,
            first_name=first_name,
            birth_date=born,
            sexe=sexe,
            school=school,
            classe=classe,
        )


def seed_pending_foyer(collectivite: Collectivite) -> str | None:
    """Create the not-yet-activated demo foyer and send its adhesion once; return its code.

    The code is returned only when it is fixed (flow 2 demo); a drawn one is only in the
    e-mail in .data/outbox/.
    """
    spec = PENDING.get(collectivite.schema_name)
    if spec is None:
        return None
    with tenant_context(collectivite), transaction.atomic():
        foyer, created = Foyer.objects.get_or_create(
            email=spec["email"], defaults={"name": spec["name"]}
        )
        if created:
            _create_members(foyer, spec, spec["email"])
        if not AdhesionCode.objects.filter(collectivite=collectivite, foyer_id=foyer.pk).exists():
            adhesion_code_send(foyer=foyer, code=spec["code"])
    return spec["code"]


@transaction.atomic
def seed_foyers(collectivite: Collectivite) -> int:
    """Create the demo foyers of ``collectivite`` with their accounts; return how many exist."""
    specs = FOYERS.get(collectivite.schema_name, [])
    with tenant_context(collectivite):
        for spec in specs:
            first = spec["responsables"][0]
            user = _user(spec["account"], first[2], first[1])
            foyer, created = Foyer.objects.get_or_create(user=user, defaults={"name": spec["name"]})
            adhesion_add(user=user, collectivite=collectivite)
            if created:
                foyer.email = spec["account"]
                foyer.save(update_fields=["email"])
                _create_members(foyer, spec, spec["account"])
        return Foyer.objects.count()
