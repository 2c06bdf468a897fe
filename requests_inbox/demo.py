"""Demo requests for `seed_demo` (idempotent): one answered thread of a Valdurenque family."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from families.models import Foyer
from requests_inbox.models import Category, Thread
from requests_inbox.services import message_post, thread_open
from tenants.demo import _user, staff_email
from tenants.models import Collectivite

THREADS = {
    "valdurenque": [
        {
            "account": "famille.testmp@valdurenque.demo",
            "category": Category.FACTURATION,
            "subject": "Attestation de frais de garde 2025",
            "question": (
                "Bonjour,\n\nPourriez-vous me faire parvenir l'attestation des frais de garderie "
                "de Clara et Guilhem pour l'année 2025 ? J'en ai besoin pour ma déclaration de "
                "revenus.\n\nMerci d'avance,\nMarc TESTMP"
            ),
            "answer": (
                "Bonjour Monsieur TESTMP,\n\nVotre attestation 2025 est prête : vous pouvez la "
                "retirer à l'accueil de la mairie, ou nous répondre ici pour la recevoir par "
                "courrier.\n\nBonne journée,\nSabine DO, mairie de Valdurenque"
            ),
        }
    ]
}


def seed_requests(collectivite: Collectivite) -> int:
    """Create the demo threads of ``collectivite`` once (question, then the agent's answer).

    Return how many threads the collectivité has.
    """
    specs = THREADS.get(collectivite.schema_name, [])
    agent = _user(staff_email(collectivite.schema_name, "agent")) if specs else None
    now = timezone.now()
    with tenant_context(collectivite), transaction.atomic():
        for spec in specs:
            foyer = Foyer.objects.filter(user__email=spec["account"]).first()
            if (
                foyer is None
                or Thread.objects.filter(foyer=foyer, subject=spec["subject"]).exists()
            ):
                continue
            thread = thread_open(
                foyer=foyer,
                category=spec["category"],
                subject=spec["subject"],
                body=spec["question"],
                user=foyer.user,
                now=now - timedelta(days=2),
            )
            message_post(
                thread=thread,
                body=spec["answer"],
                user=agent,
                from_staff=True,
                now=now - timedelta(days=1),
            )
        return Thread.objects.count()
