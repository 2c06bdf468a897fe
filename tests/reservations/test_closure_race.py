"""Two agents close the same day at the same instant, over real concurrent connections.

The check « no other closure meets these days » is made under the service row's lock: one
closure is saved, the other is refused with the French message, never both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from reservations.exceptions import ClosureError
from reservations.models import Closure, Prestation, Service
from reservations.services.closures import closure_create
from tenants.models import Collectivite, Membership, Role
from tests.factories import UserFactory

AGENTS = 8


@pytest.fixture
def contested_service(django_db_setup, django_db_blocker):
    """Committed data: a service with its cantine, and agents of alpha."""
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        agents = [UserFactory() for _ in range(AGENTS)]
        for user in agents:
            Membership.objects.create(user=user, collectivite=alpha, role=Role.AGENT)
        with tenant_context(alpha):
            service = Service.objects.create(name="RACE FERMETURE", billing_mode="postfacturation")
            Prestation.objects.create(
                service=service,
                name="CANTINE",
                weekdays=[1, 2, 4, 5],
                capacity=10,
                booking_rule="days_before",
                rule_time=dt.time(17),
            )
        connection.set_schema_to_public()
        yield alpha, service, agents
        with tenant_context(alpha):
            Closure.objects.filter(service=service).delete()
            Prestation.objects.filter(service=service).delete()
            service.delete()
        connection.set_schema_to_public()
        Membership.objects.filter(user__in=agents).delete()
        for user in agents:
            user.delete()


def test_only_one_of_two_overlapping_closures_is_saved(contested_service, django_db_blocker):
    alpha, service, agents = contested_service
    day = timezone.localdate() + dt.timedelta(days=30)
    start = threading.Barrier(AGENTS)

    def close(agent):
        try:
            connection.set_tenant(alpha)
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=30)
            closure_create(
                service=service, prestations=[], start=day, end=day, reason="Grève", user=agent
            )
            return "saved"
        except ClosureError as refusal:
            return refusal.message
        except Exception as error:  # counted and shown by the assertion below
            return f"error: {error!r}"
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        with ThreadPoolExecutor(max_workers=AGENTS) as pool:
            outcomes = list(pool.map(close, agents))
        with tenant_context(alpha):
            saved = Closure.objects.filter(service=service).count()
        connection.set_schema_to_public()
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("saved") == 1
    assert saved == 1
    refusals = [o for o in outcomes if o != "saved"]
    assert len(refusals) == AGENTS - 1
    assert all(
        o.startswith("Une fermeture de ce service couvre déjà tout le service") for o in refusals
    )
