"""Demo services, prestations and bookings for `seed_demo` (idempotent), from the seeds.

Valdurenque also gets a full Wednesday at its centre de loisirs, whose requests the mairie
approves: one request awaits the agent's answer, and a child of another family waits for
a place. Refusing the request (agent@valdurenque.demo, « Réservations ») books that child
at once and e-mails the family (.data/outbox/).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from families.models import Child
from reservations.calendar import ClosureCalendar
from reservations.lifecycle import Action, Reason
from reservations.models import Booking, Prestation, Service
from reservations.services.lifecycle import bookings_transition
from reservations.services.records import booking_insert
from reservations.services.waitlist import waitlist_join
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

LOISIRS_SERVICE = "ACCUEIL DE LOISIRS - postfacturation"
LOISIRS = "CENTRE DE LOISIRS MERCREDI"

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
        ),
        (
            {
                "name": LOISIRS_SERVICE,
                "billing_mode": "postfacturation",
                "closed_during_school_holidays": False,
            },
            [
                # « Demandes validées par la mairie », a few places: see seed_full_day.
                {
                    "name": LOISIRS,
                    "weekdays": [3],
                    "capacity": 3,
                    "start_time": time(8, 30),
                    "end_time": time(17, 30),
                    "requires_approval": True,
                    **VEILLE_17H,
                },
            ],
        ),
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


# The full Wednesday: two children booked by the mairie, one request awaiting its answer,
# and one child waiting for a place (first names of families.demo's Valdurenque foyers).
BOOKED_BY_STAFF = ("Guilhem", "Hugo")
PENDING_REQUEST = "Clara"
WAITING = "Léa"
AGENT = "agent@valdurenque.demo"


def full_day(today: date) -> date:
    """Return the first Wednesday at least a week after ``today`` that is not a holiday."""
    day = today + timedelta(days=7 + (2 - today.weekday()) % 7)
    while not ClosureCalendar(zone=None).is_open(day):
        day += timedelta(weeks=1)
    return day


@transaction.atomic
def seed_full_day(collectivite: Collectivite, *, now: datetime | None = None) -> date | None:
    """Fill a Wednesday of the centre de loisirs once; return that day (None: not here).

    Through the services, as staff and families would: the lifecycle, the events and the
    waiting list are the real ones. Nothing is added once the prestation has bookings.
    """
    now = now or timezone.now()
    with tenant_context(collectivite):
        prestation = (
            Prestation.objects.select_related("service")
            .filter(name=LOISIRS, service__name=LOISIRS_SERVICE)
            .first()
        )
        if prestation is None:
            return None
        if Booking.objects.filter(prestation=prestation).exists():
            return Booking.objects.filter(prestation=prestation).earliest("day").day
        children = {
            child.first_name: child
            for child in Child.objects.select_related("foyer__user").filter(
                first_name__in=[*BOOKED_BY_STAFF, PENDING_REQUEST, WAITING]
            )
        }
        if len(children) < 4:
            return None
        day = full_day(timezone.localdate(now))
        agent = get_user_model().objects.filter(email=AGENT).first()
        for name in BOOKED_BY_STAFF:
            booking_insert(
                child=children[name],
                prestation=prestation,
                day=day,
                action=Action.STAFF_BOOK,
                reason=Reason.DEADLINE_OVERRIDE,
                user=agent,
                by_staff=True,
                note="Inscrit au trimestre",
                now=now,
            )
        child = children[PENDING_REQUEST]
        request = booking_insert(
            child=child,
            prestation=prestation,
            day=day,
            action=Action.ADD,
            reason=Reason.PARENT,
            user=child.foyer.user,
            now=now,
        )
        bookings_transition(
            bookings=[request],
            action=Action.SUBMIT,
            reason=Reason.PARENT,
            user=child.foyer.user,
            now=now,
        )
        waitlist_join(child=children[WAITING], prestation=prestation, day=day, now=now)
    return day
