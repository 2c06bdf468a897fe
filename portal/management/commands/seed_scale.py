"""Build benchmark volume: one big collectivité with a school year, plus small ones.

Refuses to run twice over the same collectivités (``--replace`` drops them first): COPY
into tables that already hold the ids it writes would fail half way.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from portal.scale import PASSWORD, scale_drop, scale_fill, school_year_start
from tenants.models import Collectivite
from tenants.services import collectivite_create

ALREADY = (
    "La collectivité « {schema} » existe déjà : seed_scale ne la remplit qu'une fois. "
    "Relancez avec --replace pour la supprimer et la recréer."
)


DAY, DAYS = "jour d'école", "jours d'école"


def count(number: int, singular: str, plural: str | None = None) -> str:
    """« 1 agent », « 0 agent », « 5 agents »: French agreement (0 and 1 are singular)."""
    return f"{number} {singular if number < 2 else plural or singular + 's'}"


class Command(BaseCommand):
    help = (
        "Crée une grande collectivité (10 000 enfants, une année scolaire de réservations et "
        "de pointage) et N petites, par COPY, pour les mesures de bench/."
    )

    def add_arguments(self, parser):
        parser.add_argument("--collectivites", type=int, default=3, help="petites collectivités")
        parser.add_argument("--children", type=int, default=10_000, help="enfants (la grande)")
        parser.add_argument("--foyers", type=int, default=None, help="foyers (défaut : enfants/2)")
        parser.add_argument("--weeks", type=int, default=36, help="semaines depuis la rentrée")
        parser.add_argument(
            "--small-children", type=int, default=200, help="enfants de chaque petite"
        )
        parser.add_argument("--accounts", type=int, default=50, help="parents avec un compte")
        parser.add_argument("--staff", type=int, default=5, help="agents de la grande")
        parser.add_argument("--schema", default="echelle", help="schéma de la grande")
        parser.add_argument("--start", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--replace", action="store_true", help="supprime puis recrée")

    def handle(self, *args, **options):
        started = time.perf_counter()
        today = timezone.localdate()
        start = options["start"] or school_year_start(today)
        big = options["schema"]
        small = [f"{big}_p{n:03d}" for n in range(1, options["collectivites"] + 1)]
        for schema in [big, *small]:
            if options["replace"]:
                scale_drop(schema)
            elif Collectivite.objects.filter(schema_name=schema).exists():
                raise CommandError(ALREADY.format(schema=schema))
        children = options["children"]
        plan = [(big, "COMMUNE À L'ÉCHELLE", children, options["foyers"] or children // 2)]
        plan += [
            (
                schema,
                f"PETITE COMMUNE {n}",
                options["small_children"],
                options["small_children"] // 2,
            )
            for n, schema in enumerate(small, start=1)
        ]
        for schema, name, kids, foyers in plan:
            created = time.perf_counter()
            collectivite = collectivite_create(
                schema_name=schema,
                name=name,
                domain=f"{schema.replace('_', '-')}.{settings.PORTAL_DOMAIN}",
            )
            migrated = time.perf_counter() - created
            seeded = scale_fill(
                collectivite,
                children=kids,
                foyers=foyers,
                weeks=options["weeks"],
                start=start,
                today=today,
                accounts=options["accounts"] if schema == big else 2,
                staff=options["staff"] if schema == big else 1,
            )
            connection.set_schema_to_public()
            self.stdout.write(
                f"{name} ({schema}) : {count(seeded.children, 'enfant')}, "
                f"{count(seeded.foyers, 'foyer')}, {count(seeded.days, DAY, DAYS)}, "
                f"{count(seeded.bookings, 'réservation')}, {count(seeded.attendance, 'pointage')}, "
                f"{count(seeded.accounts, 'compte parent', 'comptes parents')}, "
                f"{count(seeded.staff, 'agent')} — schéma {migrated:.1f} s, "
                f"données {seeded.seconds:.1f} s"
            )
        self.stdout.write(
            f"Terminé en {time.perf_counter() - started:.1f} s. Comptes "
            f"parent-{big}-0001@echelle.test…, agent-{big}-0001@echelle.test…, "
            f"mot de passe {PASSWORD}"
        )
