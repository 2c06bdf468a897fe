"""The client's address behind the trusted proxy, and the lockouts that key on it."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from portal.middleware import client_address, parse_networks
from tests.conftest import TEST_COLLECTIVITES
from tests.factories import DEFAULT_PASSWORD, UserFactory

PROXY = "10.0.0.5"
TRUSTED = parse_networks(["10.0.0.0/24", "::1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # Nobody trusted: REMOTE_ADDR as is, whatever the header says.
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
        # Our proxy: the address it received from.
        (PROXY, "198.51.100.1", "198.51.100.1"),
        # A client forging the header in front of our proxy: its own address, not the forgery.
        (PROXY, "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two proxies of ours in a row: skipped from the right.
        (PROXY, "198.51.100.1, 10.0.0.9", "198.51.100.1"),
        # Garbage appended by someone: stop at the last trusted hop.
        (PROXY, "198.51.100.1, pas-une-adresse", PROXY),
        (PROXY, "", PROXY),
        ("::1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_reads_the_chain_from_the_right(peer, forwarded, expected):
    assert client_address(peer=peer, forwarded_for=forwarded, trusted=TRUSTED) == expected


def test_no_trusted_proxy_means_the_header_is_ignored():
    assert client_address(peer=PROXY, forwarded_for="198.51.100.1", trusted=()) == PROXY


def _wrong_logins(client: Client, email: str, count: int, client_ip: str) -> None:
    for _ in range(count):
        client.post(
            "/connexion/",
            {"username": email, "password": "mauvais-mot-de-passe"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=client_ip,
        )


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_one_attackers_failures_behind_the_proxy_lock_only_the_attacker(tenant_a):
    """Before the fix every request came from the proxy: ten failures locked every parent."""
    UserFactory(email="victime@exemple.test")
    parent = UserFactory(email="parent.honnete@exemple.test")
    host = TEST_COLLECTIVITES["alpha"]["domain"]
    _wrong_logins(Client(HTTP_HOST=host), "victime@exemple.test", 10, "198.51.100.66")

    honest = Client(HTTP_HOST=host)
    response = honest.post(
        "/connexion/",
        {"username": parent.email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.10",
    )
    assert response.status_code == 302
    assert honest.session["_auth_user_id"] == str(parent.pk)

    attacker = Client(HTTP_HOST=host)
    response = attacker.post(
        "/connexion/",
        {"username": parent.email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )
    assert response.status_code == 429


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lockout(tenant_a):
    UserFactory(email="victime@exemple.test")
    host = TEST_COLLECTIVITES["alpha"]["domain"]
    client = Client(HTTP_HOST=host)
    for index in range(10):
        client.post(
            "/connexion/",
            {"username": "victime@exemple.test", "password": "mauvais"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{index}",
        )
    other = UserFactory(email="autre@exemple.test")
    response = client.post(
        "/connexion/",
        {"username": other.email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert response.status_code == 429
