"""factory_boy factories whose related objects agree (a child belongs to its foyer)."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from families.models import Child, Foyer, QuotientFamilial, QuotientSource, Responsable
from reservations.lifecycle import Reason, State
from reservations.models import (
    BillingMode,
    Booking,
    BookingEvent,
    BookingRuleKind,
    CancellationRuleKind,
    Prestation,
    PrestationKind,
    Service,
    WaitingListEntry,
)
from tenants.models import Membership, Role

DEFAULT_PASSWORD = "Mot-de-passe-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    email = factory.Sequence(lambda n: f"personne{n}@exemple.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = DEFAULT_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A staff member; pass ``collectivite``."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.AGENT


class FoyerFactory(factory.django.DjangoModelFactory):
    """A foyer in the current schema: create it inside a tenant context."""

    class Meta:
        model = Foyer

    name = factory.Sequence(lambda n: f"FOYER {n}")


class ResponsableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Responsable

    foyer = factory.SubFactory(FoyerFactory)
    rank = 1
    civilite = "MME"
    last_name = factory.SelfAttribute("foyer.name")
    first_name = factory.Faker("first_name_female", locale="fr_FR")


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    foyer = factory.SubFactory(FoyerFactory)
    last_name = factory.SelfAttribute("foyer.name")
    first_name = factory.Faker("first_name", locale="fr_FR")
    birth_date = datetime.date(2017, 9, 1)
    sexe = "F"


# --- Reservations: seed 000's shapes (Valdurenque) --------------------------------------
# Create these inside a tenant context. A prestation's service, a booking's child and its
# foyer agree; a booking comes with the event that recorded its state, as the services
# write it.


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"GROUPE SCOLAIRE {n} - postfacturation")
    billing_mode = BillingMode.POSTFACTURATION

    class Params:
        prepaid = factory.Trait(
            name=factory.Sequence(lambda n: f"REGIE CANTINE {n} - prépaiement"),
            billing_mode=BillingMode.PREPAIEMENT,
        )


SCHOOL_DAYS = [1, 2, 4, 5]  # « Les lundi, mardi, jeudi et vendredi »


class PrestationFactory(factory.django.DjangoModelFactory):
    """« GARDERIE » by default: the day before at 17:00, 50 places, every school day.

    Traits: ``cantine`` (« Mardi avant 12h pour la semaine n+1 », no cancellation without a
    justified absence, 85 places, a meal), ``matin`` (07:30–08:30), ``soir_t1``
    (16:30–17:30) and ``soir_t2`` (16:30–18:30), whose hours overlap.
    """

    class Meta:
        model = Prestation

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"GARDERIE {n}")
    kind = PrestationKind.UNIT
    weekdays = factory.LazyFunction(lambda: list(SCHOOL_DAYS))
    capacity = 50
    booking_rule = BookingRuleKind.DAYS_BEFORE
    rule_days_before = 1
    rule_time = datetime.time(17)
    cancellation_rule = CancellationRuleKind.SAME_AS_BOOKING

    class Params:
        cantine = factory.Trait(
            name="CANTINE",
            capacity=85,
            start_time=datetime.time(12),
            end_time=datetime.time(13, 30),
            booking_rule=BookingRuleKind.WEEKLY,
            rule_weekday=2,
            rule_weeks_ahead=1,
            rule_time=datetime.time(12),
            cancellation_rule=CancellationRuleKind.NOT_ALLOWED,
            is_meal=True,
        )
        matin = factory.Trait(
            name="UNITE DE GARDERIE MATIN",
            kind=PrestationKind.HOURLY,
            start_time=datetime.time(7, 30),
            end_time=datetime.time(8, 30),
        )
        soir_t1 = factory.Trait(
            name="GARDERIE SOIR T1 (16H30-17H30)",
            kind=PrestationKind.HOURLY,
            start_time=datetime.time(16, 30),
            end_time=datetime.time(17, 30),
        )
        soir_t2 = factory.Trait(
            name="GARDERIE SOIR T2 (16H30-18H30)",
            kind=PrestationKind.HOURLY,
            start_time=datetime.time(16, 30),
            end_time=datetime.time(18, 30),
        )


class BookingFactory(factory.django.DjangoModelFactory):
    """A validated booking of a new child (``child__foyer=`` puts it in a given foyer).

    ``state`` sets where it stands; a held one is held for 15 minutes from now unless
    ``held_until`` is given. Its event records that state with its ``state_reason``.
    """

    class Meta:
        model = Booking
        skip_postgeneration_save = True

    child = factory.SubFactory(ChildFactory)
    prestation = factory.SubFactory(PrestationFactory)
    day = datetime.date(2026, 1, 15)
    state = State.VALIDATED
    state_reason = Reason.PARENT
    held_until = factory.Maybe(
        factory.LazyAttribute(lambda booking: booking.state == State.HELD),
        yes_declaration=factory.LazyFunction(
            lambda: timezone.now() + datetime.timedelta(minutes=15)
        ),
        no_declaration=None,
    )

    @factory.post_generation
    def event(booking, create, extracted, **kwargs):
        if create:
            BookingEvent.objects.create(
                booking=booking, state=booking.state, reason=booking.state_reason
            )


class WaitingListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WaitingListEntry

    child = factory.SubFactory(ChildFactory)
    prestation = factory.SubFactory(PrestationFactory)
    day = datetime.date(2026, 1, 15)


class QuotientFamilialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotientFamilial

    foyer = factory.SubFactory(FoyerFactory)
    value = 612
    source = QuotientSource.CAF
    valid_from = datetime.date(2025, 9, 1)
    valid_to = None
