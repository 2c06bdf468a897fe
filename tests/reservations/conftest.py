"""Sites, families and bookings of the reservations tests, built from tests.factories.

The clock of the grid and page tests is NOW, Thursday 16/01/2025 10:00 in Paris, a school
week of zone C (the test collectivité alpha's): the 13th and 14th are gone, the 20th
onwards can be booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from families.models import Child, Foyer
from reservations.lifecycle import State
from reservations.models import BillingMode, Prestation, Service
from reservations.rules import PARIS
from tenants.services import adhesion_add
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    PrestationFactory,
    ServiceFactory,
    UserFactory,
)

# The services' clock: Thursday 15 January 2026, a school week in every zone, no holiday.
DAY = date(2026, 1, 15)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def cantine(tenant_a, in_tenant):
    """Valdurenque's cantine: « Mardi avant 12h pour la semaine n+1 », 2 places here."""
    with in_tenant(tenant_a):
        return PrestationFactory(cantine=True, capacity=2)


@pytest.fixture
def garderie(tenant_a, in_tenant):
    """« La veille avant 17h00 pour le lendemain », for booking and cancelling; 1 place."""
    with in_tenant(tenant_a):
        return PrestationFactory(name="GARDERIE MATIN", capacity=1)


@pytest.fixture
def repas(tenant_a, in_tenant):
    """A prépaiement meal of one place, bookable the day before at 10:00."""
    with in_tenant(tenant_a):
        return PrestationFactory(
            service=ServiceFactory(prepaid=True), name="REPAS", capacity=1, rule_time=time(10)
        )


@pytest.fixture
def child(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        return ChildFactory()


# The grid's clock.
NOW = datetime(2025, 1, 16, 10, 0, tzinfo=PARIS)
MONDAY = date(2025, 1, 13)  # NOW's week (ISO week 3)


def day(text: str) -> date:
    """« 21/01 » → 21/01/2025."""
    dd, mm = text.split("/")
    return date(2025, int(mm), int(dd))


@dataclass
class Site:
    service: Service
    cantine: Prestation
    garderie: Prestation


def site_of(
    *,
    name="BRENS - postfacturation",
    mode=BillingMode.POSTFACTURATION,
    order=0,
    price=None,
    **service_fields,
) -> Site:
    """A service with CANTINE (no Wednesday, 2 places) and a garderie (every day, 20).

    Inside the tenant. Both « la veille avant 17h00 »: every day from the 20th on is open
    at NOW. Created in the opposite order to their display order.
    """
    service = ServiceFactory(name=name, billing_mode=mode, display_order=order, **service_fields)
    garderie = PrestationFactory(
        service=service,
        name="UNITE DE GARDERIE MATIN",
        weekdays=[1, 2, 3, 4, 5],
        capacity=20,
        display_order=2,
        unit_price=price,
    )
    cantine = PrestationFactory(
        service=service, name="CANTINE", capacity=2, display_order=1, unit_price=price
    )
    return Site(service, cantine, garderie)


def foyer_of(*, children=1, name="MARTIN", user=None) -> Foyer:
    """A foyer with ``children`` children, the first in CE1 (inside the tenant)."""
    foyer = FoyerFactory(name=name, user=user)
    for index in range(children):
        ChildFactory(
            foyer=foyer,
            first_name=f"Enfant{index}",
            classe="CE1" if index == 0 else "",
            birth_date=date(2017, 9, 1) + timedelta(days=index),
        )
    return foyer


def book(child: Child, prestation: Prestation, on: date, state=State.VALIDATED, **fields):
    """BookingFactory, positionally: ``child`` booked on ``on`` in ``state``."""
    return BookingFactory(child=child, prestation=prestation, day=on, state=state, **fields)


def others_book(prestation: Prestation, on: date, count: int, state=State.VALIDATED):
    """Have ``count`` children of other foyers take places on ``on``."""
    return BookingFactory.create_batch(count, prestation=prestation, day=on, state=state)


@dataclass
class Family:
    user: object
    foyer: Foyer
    children: list[Child]


def family_of(collectivite, in_tenant, *, children=1, name="MARTIN", user=None) -> Family:
    """An account that joined ``collectivite``, with a foyer and its children."""
    user = user or UserFactory()
    adhesion_add(user=user, collectivite=collectivite)
    with in_tenant(collectivite):
        foyer = foyer_of(children=children, name=name, user=user)
        kids = list(foyer.children.order_by("birth_date"))
    return Family(user=user, foyer=foyer, children=kids)
