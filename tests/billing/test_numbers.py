"""Invoice numbers: continuous per service, year and kind, under concurrent transactions."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction
from django_tenants.utils import tenant_context

from billing.models import BillingProfile, CounterKind, NumberCounter
from billing.services.numbers import default_code, number_next
from reservations.models import Service
from tenants.models import Collectivite
from tests.billing.conftest import make_service


@pytest.mark.django_db
def test_numbers_follow_the_pattern_per_service_year_and_kind(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        cantine = make_service("CANTINE DU BOURG")
        garderie = make_service("GARDERIE")
        BillingProfile.objects.create(
            service=garderie, code="GM", invoice_pattern="{year}-{code}-00-{number}"
        )
        with transaction.atomic():
            numbers = [number_next(service=cantine, year=2026) for _ in range(3)]
            numbers.append(number_next(service=cantine, year=2027))
            numbers.append(number_next(service=cantine, year=2026, kind=CounterKind.CREDIT))
            numbers.append(number_next(service=garderie, year=2017))
    assert numbers == [
        "2026-CAN-000001",
        "2026-CAN-000002",
        "2026-CAN-000003",
        "2027-CAN-000001",
        "2026-CAN-AV-000001",
        "2017-GM-00-1",  # the seeds' « 2017-GM-00-19 » shape
    ]


@pytest.mark.django_db
def test_a_rolled_back_number_is_given_again(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        service = make_service()
        with transaction.atomic():
            first = number_next(service=service, year=2026)
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            number_next(service=service, year=2026)
            raise ZeroDivisionError  # the run fails after taking its number
        with transaction.atomic():
            again = number_next(service=service, year=2026)
    assert (first, again) == ("2026-GRO-000001", "2026-GRO-000002")


def test_default_codes():
    assert default_code(Service(name="REGIE CANTINE - prépaiement")) == "REG"
    assert default_code(Service(name="É")) == "FAC"
    assert default_code(Service(name="AB 12")) == "ABX"


@pytest.mark.django_db
def test_numbers_need_the_callers_transaction(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        service = make_service()
    connection.set_schema_to_public()
    # pytest-django wraps the test in a transaction: leave it to prove the guard.
    with in_tenant(tenant_a), pytest.raises(RuntimeError):
        connection.in_atomic_block = False
        try:
            number_next(service=service, year=2026)
        finally:
            connection.in_atomic_block = True


THREADS = 24


@pytest.fixture
def committed_service(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        alpha = Collectivite.objects.get(schema_name="alpha")
        with tenant_context(alpha):
            service = make_service("NUMEROTATION CONCURRENTE")
        yield alpha, service
        with tenant_context(alpha):
            NumberCounter.objects.filter(service=service).delete()
            BillingProfile.objects.filter(service=service).delete()
            service.delete()
        connection.set_schema_to_public()


def test_concurrent_runs_get_continuous_numbers(committed_service):
    """24 transactions on 24 connections take numbers at once; a third of them roll back.

    The committed numbers are exactly 1…16: no gap (the rolled-back ones are given again),
    no duplicate (the counter row is locked until each commits).
    """
    alpha, service = committed_service
    start = threading.Barrier(THREADS)
    committed: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            connection.set_tenant(alpha)
            start.wait(timeout=30)
            try:
                with transaction.atomic():
                    number = number_next(service=service, year=2026)
                    if index % 3 == 0:
                        raise LookupError("this run fails after taking its number")
            except LookupError:
                return
            with lock:
                committed.append(number)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, range(THREADS)))
    expected = [f"2026-NUM-{n:06d}" for n in range(1, THREADS - THREADS // 3 + 1)]
    assert sorted(committed) == expected
