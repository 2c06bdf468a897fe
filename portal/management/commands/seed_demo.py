"""Create the demo collectivités, staff, families, bookings, news and requests.

It lives above the apps (tenants imports no feature app) and is safe to run again: it adds
what is missing and changes nothing else.
"""

import os

from django.core.management.base import BaseCommand

from families.demo import MULTI_ACCOUNT, PENDING, seed_foyers, seed_pending_foyer
from news.demo import seed_news
from requests_inbox.demo import seed_requests
from reservations.demo import LOISIRS, WAITING, seed_full_day, seed_services
from tenants.demo import DEMO_PASSWORD, PLATFORM_ADMIN, seed_collectivites, seed_public, staff_email
from tenants.models import Role


class Command(BaseCommand):
    help = "Crée (ou complète) les collectivités, le personnel et les familles de démonstration."

    def handle(self, *args, **options):
        seed_public()
        collectivites = seed_collectivites()
        port = os.environ.get("PORT", "8000")
        lines = [f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}"]
        lines.append(f"  plateforme  {PLATFORM_ADMIN} (superutilisateur)")
        for collectivite in collectivites:
            count = seed_foyers(collectivite)
            code = seed_pending_foyer(collectivite)
            seed_services(collectivite)
            full = seed_full_day(collectivite)
            seed_requests(collectivite)
            seed_news(collectivite)
            domain = collectivite.get_primary_domain().domain
            lines.append(f"{collectivite.name} — http://{domain}:{port}/ ({count} foyers)")
            for role in Role.values:
                lines.append(f"  {role:<15} {staff_email(collectivite.schema_name, role)}")
            if full:
                lines.append(
                    f"  {LOISIRS} complet le {full:%d/%m/%Y} : refuser la demande en attente "
                    f"donne la place à {WAITING}, première sur la liste d'attente"
                )
            pending = PENDING.get(collectivite.schema_name)
            if pending and code:
                lines.append(f"  code d'adhésion du foyer {pending['name']} : {code}")
            elif pending:
                lines.append(
                    f"  lien d'activation du foyer {pending['name']} : e-mail à "
                    f"{pending['email']} dans .data/outbox/"
                )
        lines.append(f"  famille des deux collectivités : {MULTI_ACCOUNT}")
        self.stdout.write("\n".join(lines))
