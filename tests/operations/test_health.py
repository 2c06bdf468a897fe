"""/sante/ and /sante/pret/: any host, no configuration leaked, 503 naming the failed check."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from portal import health

HOSTS = ["alpha.localhost", "localhost", "inconnue.exemple.test", "10.0.0.7"]
UNUSED_REDIS = "redis://:motdepasse@127.0.0.1:6399/0"


@pytest.fixture(autouse=True)
def fresh_health(settings, tmp_path):
    """No Redis configured, private files in this test's folder, no cached migration state."""
    settings.REDIS_URL = ""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    health.migration_state.forget()
    yield
    health.migration_state.forget()


def get(path: str, host: str = "localhost", **extra):
    return Client(HTTP_HOST=host).get(path, **extra)


@pytest.mark.parametrize("host", HOSTS)
def test_liveness_answers_the_same_on_every_host_without_the_database(host):
    # No django_db mark: touching the database here would fail the test.
    response = get("/sante/?tenant=beta&debug=1", host)
    assert response.status_code == 200
    assert response.json() == {"statut": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.parametrize("host", HOSTS)
def test_readiness_answers_the_same_on_every_host_and_ignores_parameters(host):
    response = get("/sante/pret/?schema=alpha&verbose=1", host)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "statut": "ok",
        "verifications": {
            "postgresql": "ok",
            "migrations": "ok",
            "redis": "non configuré",
            "stockage": "ok",
        },
    }


@pytest.mark.django_db
def test_readiness_checks_a_reachable_redis(settings):
    from portal.settings import redis_reachable

    url = "redis://127.0.0.1:6379/0"
    if not redis_reachable(url):
        pytest.skip("No Redis on 127.0.0.1:6379.")
    settings.REDIS_URL = url
    assert get("/sante/pret/").json()["verifications"]["redis"] == "ok"


@pytest.mark.django_db
def test_redis_down_turns_readiness_503_naming_redis_and_nothing_else(settings):
    settings.REDIS_URL = UNUSED_REDIS
    response = get("/sante/pret/", "alpha.localhost")
    assert response.status_code == 503
    body = response.json()
    assert body["statut"] == "indisponible"
    assert body["echecs"] == ["redis"]
    assert body["verifications"]["redis"] == "indisponible"
    raw = response.content.decode()
    for secret in ("6399", "motdepasse", "redis://", "127.0.0.1", str(settings.PRIVATE_MEDIA_ROOT)):
        assert secret not in raw


def test_postgresql_down_turns_readiness_503(django_db_blocker):
    """A connection of another thread, to a port where no PostgreSQL listens."""
    answer = {}

    def probe():
        connection.settings_dict = {**connection.settings_dict, "PORT": "1", "HOST": "127.0.0.1"}
        try:
            answer["response"] = get("/sante/pret/")
        finally:
            connection.close()

    with django_db_blocker.unblock():
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join(timeout=30)
    response = answer["response"]
    assert response.status_code == 503
    body = response.json()
    assert body["verifications"]["postgresql"] == "indisponible"
    assert "postgresql" in body["echecs"]
    assert "5432" not in response.content.decode()


@pytest.mark.django_db
def test_a_migration_missing_from_the_database_turns_readiness_503():
    connection.set_schema_to_public()
    MigrationRecorder(connection).record_unapplied("audit", "0001_initial")
    response = get("/sante/pret/")
    assert response.status_code == 503
    assert response.json()["echecs"] == ["migrations"]
    assert response.json()["verifications"]["migrations"] == "en retard"


@pytest.mark.django_db
def test_storage_that_cannot_be_written_turns_readiness_503(settings, tmp_path):
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier")
    settings.PRIVATE_MEDIA_ROOT = blocker / "private"
    response = get("/sante/pret/")
    assert response.status_code == 503
    assert response.json()["echecs"] == ["stockage"]
    assert str(tmp_path) not in response.content.decode()


@pytest.mark.django_db
def test_the_probe_file_is_removed(settings):
    get("/sante/pret/")
    assert list(settings.PRIVATE_MEDIA_ROOT.iterdir()) == []


@pytest.mark.django_db
def test_polling_every_second_asks_the_migration_state_once_in_a_while(
    django_assert_num_queries,
):
    get("/sante/pret/")  # reads the migration files, asks django_migrations
    # Within HEALTH_MIGRATIONS_CACHE_SECONDS: SELECT 1 only.
    with django_assert_num_queries(1):
        assert get("/sante/pret/").status_code == 200


@pytest.mark.parametrize("path", ["/sante/", "/sante/pret/"])
def test_other_methods_are_refused(path):
    response = Client().post(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_head_answers_without_a_body():
    response = Client().head("/sante/")
    assert response.status_code == 200
    assert response.content == b""
    assert json.loads(get("/sante/").content) == {"statut": "ok"}
