"""factory_boy factories whose related objects agree (a child belongs to its foyer)."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from families.models import Child, Foyer, Responsable
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
