"""Rate limits on forms that write or e-mail; sign-up and admin login reveal no account."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from portal.ratelimits import (
    PASSWORD_RESET_PER_ADDRESS,
    REQUESTS_PER_ACCOUNT,
    SIGNUP_PER_IP,
)
from requests_inbox.models import Thread
from tests.factories import UserFactory
from tests.families.test_account import make_family

pytestmark = pytest.mark.django_db
PASSWORD = "Cantine-Mardi-12h"


def _limit(rate: str) -> int:
    return int(rate.split("/")[0])


def _signup(client, email: str, **extra):
    return client.post(
        "/inscription/",
        {
            "household_name": "DUPONT",
            "email": email,
            "civilite": "MME",
            "last_name": "DUPONT",
            "first_name": "Anne",
            "notification": "email",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **extra,
        },
    )


def test_signup_answers_the_same_for_a_taken_address_and_tells_its_owner(
    public_client, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="deja@exemple.test")
    with django_capture_on_commit_callbacks(execute=True):
        taken = _signup(public_client, "Deja@Exemple.test")
        fresh = _signup(public_client, "nouveau@exemple.test")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert get_user_model().objects.filter(email__iexact="deja@exemple.test").count() == 1
    owner.refresh_from_db()
    assert owner.check_password("Mot-de-passe-2026")  # untouched
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert "déjà un compte" in subjects["deja@exemple.test"]
    assert "Confirmez" in subjects["nouveau@exemple.test"]


def test_signup_is_rate_limited_per_address(public_client):
    for index in range(_limit(SIGNUP_PER_IP)):
        assert _signup(public_client, f"p{index}@exemple.test").status_code == 302
    response = _signup(public_client, "un-de-trop@exemple.test")
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert not get_user_model().objects.filter(email="un-de-trop@exemple.test").exists()


def test_password_reset_is_rate_limited_per_address(client_a, django_capture_on_commit_callbacks):
    UserFactory(email="cible@exemple.test")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(_limit(PASSWORD_RESET_PER_ADDRESS)):
            assert (
                client_a.post("/mot-de-passe/oublie/", {"email": "cible@exemple.test"}).status_code
                == 302
            )
        response = client_a.post("/mot-de-passe/oublie/", {"email": "cible@exemple.test"})
    assert response.status_code == 429
    # Same second, same token: the journal already merged the repeats into one e-mail.
    assert 1 <= len(mail.outbox) <= _limit(PASSWORD_RESET_PER_ADDRESS)


def test_new_requests_are_rate_limited_per_account(tenant_a, in_tenant, client_a):
    family = make_family(tenant_a, in_tenant)
    client_a.force_login(family.user)
    post = {"category": "autre", "subject": "Question", "body": "Bonjour"}
    for _ in range(_limit(REQUESTS_PER_ACCOUNT)):
        assert client_a.post("/demandes/nouvelle/", post).status_code == 302
    assert client_a.post("/demandes/nouvelle/", post).status_code == 429
    with in_tenant(tenant_a):
        assert Thread.objects.filter(foyer=family.foyer).count() == _limit(REQUESTS_PER_ACCOUNT)
