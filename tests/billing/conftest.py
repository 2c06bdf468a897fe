"""Billing fixtures: seed 000's Valdurenque prestations in the test collectivité « alpha »."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import connection

from reservations.models import Prestation, Service


@contextlib.contextmanager
def triggers_off():
    """Let a test's clean-up delete committed billing rows (the triggers refuse it otherwise).

    ``session_replication_role = replica`` skips user triggers for this connection only.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def make_service(name: str = "GROUPE SCOLAIRE", mode: str = "postfacturation") -> Service:
    return Service.objects.create(name=name, billing_mode=mode)


def make_prestation(service: Service, name: str = "CANTINE", **fields) -> Prestation:
    defaults = {
        "weekdays": [1, 2, 4, 5],
        "capacity": 85,
        "booking_rule": "weekly",
        "rule_weekday": 2,
        "rule_time": dt.time(12),
        "start_time": dt.time(12),
        "end_time": dt.time(13, 30),
    }
    return Prestation.objects.create(service=service, name=name, **{**defaults, **fields})


@pytest.fixture
def site(tenant_a, in_tenant):
    """Seed 000's service in « alpha »: cantine (unit), garderie soir T1 and T2 (hourly)."""
    with in_tenant(tenant_a):
        service = make_service()
        cantine = make_prestation(service, "CANTINE")
        t1 = make_prestation(
            service,
            "GARDERIE SOIR T1",
            kind="hourly",
            booking_rule="days_before",
            rule_weekday=None,
            rule_time=dt.time(17),
            start_time=dt.time(16, 30),
            end_time=dt.time(17, 30),
        )
        t2 = make_prestation(
            service,
            "GARDERIE SOIR T2",
            kind="hourly",
            booking_rule="days_before",
            rule_weekday=None,
            rule_time=dt.time(17),
            start_time=dt.time(16, 30),
            end_time=dt.time(18, 30),
        )
    return {"service": service, "cantine": cantine, "t1": t1, "t2": t2}
