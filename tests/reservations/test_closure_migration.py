"""Migration 0004 on closures as the old code wrote them: one row per day and prestation.

The schema is taken back to 0003 and forward again inside the test's transaction (DDL is
transactional in PostgreSQL): the rollback at the end leaves it as it was.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reservations.models import Closure
from tests.factories import PrestationFactory

pytestmark = pytest.mark.django_db
BEFORE = [("reservations", "0003_prestation_unit_price_in_tariffs")]
AFTER = [("reservations", "0004_closures_as_periods")]
OLD_ROW = "INSERT INTO reservations_closure (service_id, prestation_id, day, reason) VALUES "


def migrate(targets) -> None:
    # The rows this test wrote have their foreign-key checks pending (deferred), as a
    # migration's own rows have: run them, or PostgreSQL refuses to alter their table.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    MigrationExecutor(connection).migrate(targets)


def test_old_days_become_periods_with_their_prestation(tenant_a, in_tenant):
    day = dt.date(2026, 3, 9)  # a Monday
    with in_tenant(tenant_a):
        garderie = PrestationFactory()
        service = garderie.service_id
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                OLD_ROW + "(%s, NULL, %s, 'Grève'), (%s, NULL, %s, 'Grève'), "
                "(%s, NULL, %s, 'Grève'), (%s, NULL, %s, 'Grève'), (%s, %s, %s, 'Sortie')",
                [
                    *(service, day),  # three days in a row: one strike
                    *(service, day + dt.timedelta(1)),
                    *(service, day + dt.timedelta(2)),
                    *(service, day + dt.timedelta(4)),  # the Friday: another period
                    *(service, garderie.pk, day),
                ],
            )
        migrate(AFTER)
        periods = {
            (c.start, c.end, c.reason, tuple(p.pk for p in c.prestations.all()), c.status)
            for c in Closure.objects.prefetch_related("prestations")
        }
    assert periods == {
        (day, day + dt.timedelta(2), "Grève", (), "done"),
        (day + dt.timedelta(4), day + dt.timedelta(4), "Grève", (), "done"),
        (day, day, "Sortie", (garderie.pk,), "done"),
    }
