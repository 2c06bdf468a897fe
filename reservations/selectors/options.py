"""The services a family may book, with their prestations, and the foyer with its children."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Prefetch

from families.models import Child, Foyer
from reservations.models import Prestation, Service


@dataclass(frozen=True)
class ServiceOption:
    """A service / site and its prestations, in display order."""

    service: Service
    prestations: tuple[Prestation, ...]

    @property
    def pk(self) -> int:
        return self.service.pk

    @property
    def name(self) -> str:
        return self.service.name


SERVICES_CACHE_SECONDS = 60


def services_cache_key() -> str:
    return f"reservations:services:{connection.schema_name}"


def service_options() -> list[ServiceOption]:
    """Return the services that have prestations, each with them, in display order.

    Cached per collectivité (reservations.signals drops it when a service or prestation
    changes; SERVICES_CACHE_SECONDS bounds what another process may still hold without a
    shared cache). Otherwise one query, prestations joined to their service. A service
    without prestations has nothing to book and is left out. Validation never relies on
    this: it reads the prestations again under its locks.
    """
    return cache.get_or_set(services_cache_key(), _service_options, SERVICES_CACHE_SECONDS)


def _service_options() -> list[ServiceOption]:
    prestations = Prestation.objects.select_related("service").order_by(
        "service__display_order", "service__name", "service_id", "display_order", "name", "pk"
    )
    grouped: dict[int, list[Prestation]] = {}
    services: dict[int, Service] = {}
    for prestation in prestations:
        services.setdefault(prestation.service_id, prestation.service)
        grouped.setdefault(prestation.service_id, []).append(prestation)
    return [ServiceOption(services[pk], tuple(rows)) for pk, rows in grouped.items()]


def foyer_with_children(*, user) -> Foyer | None:
    """Return the account's foyer in the current schema with its children, or None.

    Two queries: the foyer, then its children (what the grid and the cart show of it).
    """
    children = Child.objects.order_by("birth_date", "first_name", "pk")
    return (
        Foyer.objects.filter(user=user)
        .prefetch_related(Prefetch("children", queryset=children))
        .first()
    )
