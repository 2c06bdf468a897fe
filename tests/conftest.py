"""Shared fixtures: two collectivités created once per test session, isolated by transactions.

`TenantTestCase` rebuilds a schema per test class; here the schemas are made once (per xdist
worker) in `django_db_setup`, and every test runs inside the usual rolled-back transaction.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from families.models import Child, Foyer
from tenants.models import Collectivite, Domain
from tenants.services import adhesion_add, collectivite_create

PUBLIC_HOST = "localhost"
SESSION_PARENT = "parent@alpha.test"
SESSION_PASSWORD = "Parent-Alpha-2026"
TEST_COLLECTIVITES = {
    "alpha": {
        "name": "COMMUNE D'ALPHA",
        "domain": "alpha.localhost",
        "contact_person": "Alice ALPHA",
        "phone": "05 00 00 00 01",
        "email": "mairie@alpha.test",
        "address": "1 place de la Mairie\n81000 ALPHA",
        "holiday_zone": "C",
        "reglement": "Cantine : réservation le mardi avant 12h pour la semaine suivante.",
    },
    "beta": {
        "name": "COMMUNE DE BETA",
        "domain": "beta.localhost",
        "contact_person": "Bernard BETA",
        "phone": "04 00 00 00 02",
        "email": "mairie@beta.test",
        "address": "2 rue de l'École\n84000 BETA",
        "holiday_zone": "B",
    },
}


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """Create the test database, then the public tenant and two collectivités, once.

    Replaces pytest-django's fixture, which sets up a database only when some collected test
    carries the django_db mark: tests that drive real worker threads or servers use committed
    data without that mark, and must never fall through to the development database.
    """
    from django.contrib.auth import get_user_model
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            serialized_aliases=set(),
        )
        public = Collectivite.objects.create(schema_name="public", name="Espace Famille")
        Domain.objects.create(domain=PUBLIC_HOST, tenant=public, is_primary=True)
        Domain.objects.create(domain="testserver", tenant=public, is_primary=False)
        for schema_name, spec in TEST_COLLECTIVITES.items():
            collectivite_create(schema_name=schema_name, **spec)
        # One family account, committed, for tests that go through a real server (browser).
        alpha = Collectivite.objects.get(schema_name="alpha")
        parent = get_user_model().objects.create_user(
            email=SESSION_PARENT, password=SESSION_PASSWORD, first_name="Paula"
        )
        adhesion_add(user=parent, collectivite=alpha)
        with tenant_context(alpha):
            foyer = Foyer.objects.create(name="FAMILLE PARENT", user=parent)
            Child.objects.create(
                foyer=foyer, last_name="PARENT", first_name="Zoé", birth_date="2017-04-02", sexe="F"
            )
        connection.set_schema_to_public()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _reset_schema_and_cache():
    """Leave every test on the public schema with an empty cache, whatever it did."""
    cache.clear()
    yield
    connection.set_schema_to_public()
    cache.clear()


@pytest.fixture
def tenant_a(db) -> Collectivite:
    return Collectivite.objects.get(schema_name="alpha")


@pytest.fixture
def tenant_b(db) -> Collectivite:
    return Collectivite.objects.get(schema_name="beta")


@pytest.fixture
def client_a(tenant_a) -> Client:
    return Client(HTTP_HOST=TEST_COLLECTIVITES["alpha"]["domain"])


@pytest.fixture
def client_b(tenant_b) -> Client:
    return Client(HTTP_HOST=TEST_COLLECTIVITES["beta"]["domain"])


@pytest.fixture
def public_client(db) -> Client:
    return Client(HTTP_HOST=PUBLIC_HOST)


@pytest.fixture
def in_tenant():
    """Return a context manager that runs its block in a collectivité's schema."""
    return tenant_context
