"""The per-account lockout keys the normalised e-mail; a success never lifts a lock."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import TEST_COLLECTIVITES
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
HOST = TEST_COLLECTIVITES["alpha"]["domain"]


def _post(email: str, password: str, ip: str, client: Client | None = None):
    client = client or Client(HTTP_HOST=HOST)
    return client.post("/connexion/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_changing_the_case_of_the_email_does_not_bypass_the_account_lock(tenant_a):
    victim = UserFactory(email="marie.durand@exemple.test")
    variants = [
        "Marie.Durand@exemple.test",
        "MARIE.DURAND@EXEMPLE.TEST",
        " marie.durand@Exemple.test",
    ]
    # Ten failures from ten addresses: only the account's own lock can stop the eleventh.
    for index in range(10):
        _post(variants[index % len(variants)], "mauvais", f"198.51.100.{index}")
    response = _post("mArIe.durand@exemple.test", DEFAULT_PASSWORD, "198.51.100.200")
    assert response.status_code == 429
    assert victim.last_login is None


def test_a_success_does_not_clear_a_lock_in_force(tenant_a):
    UserFactory(email="victime@exemple.test")
    own = UserFactory(email="attaquant@exemple.test")
    ip = "198.51.100.9"
    for _ in range(9):
        _post("victime@exemple.test", "mauvais", ip)
    # The attacker logs into their own account from the same address: before the fix this
    # reset the address's failures, and the guessing could go on for ever.
    assert _post(own.email, DEFAULT_PASSWORD, ip).status_code == 302
    _post("victime@exemple.test", "mauvais", ip)
    assert _post(own.email, DEFAULT_PASSWORD, ip).status_code == 429
