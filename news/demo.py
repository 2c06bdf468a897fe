"""Demo news for `seed_demo` (idempotent): Valdurenque's welcome post and three others.

Dates are set from the day of the first seeding; a post already there is left as it is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from django_tenants.utils import tenant_context

from news.models import Category, Post
from news.rules import PARIS
from reservations.models import Service
from tenants.models import Collectivite

DEMO_SCHEMA = "valdurenque"
WELCOME_TITLE = "Bienvenue sur votre nouvel espace famille"
SITE = "GROUPE SCOLAIRE - postfacturation"  # reservations.demo's Valdurenque service
CLOSURE_TITLE = "Fermeture de la garderie du soir"

# One string per paragraph: a line break inside a paragraph would show (nl2br).
WELCOME = "\n\n".join(
    [
        "Bienvenue sur l'espace famille de la commune de Valdurenque !",
        "Depuis cet espace, vous pouvez :",
        "- réserver la cantine et la garderie de vos enfants dans « Mes réservations » ;\n"
        "- consulter et régler vos factures dans « Mes factures » ;\n"
        "- écrire à la mairie et envoyer vos justificatifs dans « Mes demandes ».",
        "**Cantine** : réservation le mardi avant 12h pour la semaine suivante.\n"
        "**Garderie** : réservation et annulation la veille avant 17h.",
        "Pensez à vérifier vos coordonnées et votre préférence de notification dans "
        "« Mon profil ».",
    ]
)
MENU = "\n\n".join(
    [
        "Voici les menus de la semaine du {monday}, préparés par la cuisine centrale.",
        "| Lundi | Mardi | Jeudi | Vendredi |\n"
        "|---|---|---|---|\n"
        "| Carottes râpées | Potage de légumes | Salade de lentilles | Betteraves |\n"
        "| Poulet rôti, haricots verts | Lasagnes | Poisson pané, riz | Omelette, ratatouille |\n"
        "| Yaourt nature | Fruit de saison | Fromage blanc | Tarte aux pommes |",
        "Un plat végétarien remplace la viande ou le poisson pour les enfants inscrits au "
        "régime végétarien.",
    ]
)
CLOSURE = "\n\n".join(
    [
        "En raison d'une formation du personnel, **la garderie du soir (T1 et T2) sera fermée "
        "le {day}**.",
        "La cantine et la garderie du matin fonctionnent normalement ce jour-là. Les "
        "réservations de garderie du soir déjà faites pour ce jour seront annulées par la "
        "mairie, sans frais.",
    ]
)
SHOW = "\n\n".join(
    [
        "Les élèves du groupe scolaire présentent leur spectacle de fin de trimestre "
        "**le {day} à 18h**, à la salle des fêtes.",
        "Entrée libre ; les enfants sont attendus à 17h30 avec leur enseignant.",
    ]
)


def _day(value) -> str:
    with override("fr"):
        return date_format(value, "l j F")


def closure_day(now: datetime):
    """The Friday after next: the evening garderie is closed for a staff training."""
    today = now.astimezone(PARIS).date()
    return today + timedelta(days=7 - today.weekday()) + timedelta(days=11)


def _posts(now: datetime) -> list[dict]:
    today = now.astimezone(PARIS).date()
    monday = today + timedelta(days=7 - today.weekday())
    show_day = monday + timedelta(days=17)  # a Thursday three weeks on
    return [
        {
            "title": WELCOME_TITLE,
            "category": Category.INFORMATION,
            "pinned": True,
            "publish_at": now - timedelta(days=10),
            "body": WELCOME,
        },
        {
            "title": "Menus de la cantine",
            "category": Category.MENU,
            "publish_at": now - timedelta(days=2),
            "body": MENU.format(monday=_day(monday)),
        },
        {
            "title": CLOSURE_TITLE,
            "category": Category.FERMETURE,
            "site": SITE,
            "publish_at": now - timedelta(days=1),
            "unpublish_at": datetime.combine(closure_day(now) + timedelta(days=1), time(), PARIS),
            "body": CLOSURE.format(day=_day(closure_day(now))),
        },
        {
            "title": "Spectacle de fin de trimestre",
            "category": Category.EVENEMENT,
            "publish_at": now - timedelta(days=5),
            "body": SHOW.format(day=_day(show_day)),
        },
    ]


@transaction.atomic
def seed_news(collectivite: Collectivite, now: datetime | None = None) -> int:
    """Create Valdurenque's demo posts that are missing; return how many posts exist."""
    if collectivite.schema_name != DEMO_SCHEMA:
        return 0
    now = now or timezone.now()
    with tenant_context(collectivite):
        for spec in _posts(now):
            site = spec.pop("site", None)
            if site:
                spec["service"] = Service.objects.filter(name=site).first()
            Post.objects.get_or_create(title=spec.pop("title"), defaults=spec)
        _evening_closure(now)
        return Post.objects.count()


def _evening_closure(now: datetime) -> None:
    """The closure the post announces, made as staff make one (its bookings cancelled, the
    families told), so that the grid, the sheets and the post agree."""
    from reservations.models import Closure, Prestation
    from reservations.services.closures import closure_create
    from tenants.demo import staff_email

    post = Post.objects.filter(title=CLOSURE_TITLE).first()
    service = Service.objects.filter(name=SITE).first()
    if post is None or service is None or Closure.objects.filter(news_post=post).exists():
        return
    day = post.unpublish_at.astimezone(PARIS).date() - timedelta(days=1)
    evening = list(Prestation.objects.filter(service=service, name__startswith="GARDERIE SOIR"))
    agent = get_user_model().objects.filter(email=staff_email(DEMO_SCHEMA, "agent")).first()
    if not evening or agent is None or day <= now.astimezone(PARIS).date():
        return
    closure = closure_create(
        service=service,
        prestations=evening,
        start=day,
        end=day,
        reason="Formation du personnel",
        user=agent,
        now=now,
    )
    closure.news_post = post
    closure.save(update_fields=["news_post"])
