"""Adhesion codes: random, hashed, single use, expiring, bound to one foyer, rate-limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from families import rules
from families.exceptions import (
    CodeAlreadyUsed,
    CodeExpired,
    CodeOtherCollectivite,
    CodeRevoked,
    CodeUnknown,
    FoyerTakenByAnotherAccount,
    TooManyAttempts,
)
from families.models import Foyer
from families.services import adhesion_code_issue, adhesion_code_redeem, adhesion_code_send
from tenants.models import Adhesion, AdhesionCode
from tests.factories import FoyerFactory, UserFactory


def test_codes_use_an_unambiguous_alphabet():
    assert not set("0O1IL2Z5S8B") & set(rules.CODE_ALPHABET)
    codes = {rules.code_generate() for _ in range(200)}
    assert len(codes) == 200
    assert all(rules.code_is_well_formed(code) for code in codes)


def test_a_typed_code_is_normalised():
    assert rules.code_normalize(" kud7-qx9 mae ") == "KUD7QX9MAE"


@pytest.fixture
def foyer_a(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        return FoyerFactory(name="FOYER CODE", email="code@exemple.test")


@pytest.mark.django_db
def test_only_a_hash_is_stored_and_the_code_expires_after_the_collectivites_delay(
    tenant_a, in_tenant, foyer_a
):
    with in_tenant(tenant_a):
        row, code = adhesion_code_issue(foyer=foyer_a)
    stored = AdhesionCode.objects.filter(pk=row.pk).values().get()
    assert code not in " ".join(str(value) for value in stored.values())
    assert row.expires_at - row.created_at == pytest.approx(
        timedelta(days=60), abs=timedelta(seconds=5)
    )


@pytest.mark.django_db
def test_redeeming_binds_the_foyer_and_a_second_use_is_refused(tenant_a, in_tenant, foyer_a):
    with in_tenant(tenant_a):
        _, code = adhesion_code_issue(foyer=foyer_a)
    parent, other = UserFactory(), UserFactory()
    assert adhesion_code_redeem(code=code.lower(), user=parent) == tenant_a
    assert Adhesion.objects.filter(user=parent, collectivite=tenant_a).exists()
    with in_tenant(tenant_a):
        assert Foyer.objects.get(pk=foyer_a.pk).user == parent
    with pytest.raises(CodeAlreadyUsed):
        adhesion_code_redeem(code=code, user=other)
    assert not Adhesion.objects.filter(user=other).exists()


@pytest.mark.django_db
def test_an_expired_code_says_when_it_expired(tenant_a, in_tenant, foyer_a):
    with in_tenant(tenant_a):
        _, code = adhesion_code_issue(foyer=foyer_a)
    with (
        time_machine.travel(timezone.now() + timedelta(days=61)),
        pytest.raises(CodeExpired, match=r"a expiré le \d\d/\d\d/\d{4}"),
    ):
        adhesion_code_redeem(code=code, user=UserFactory())


@pytest.mark.django_db
def test_a_new_code_revokes_the_previous_one(tenant_a, in_tenant, foyer_a):
    with in_tenant(tenant_a):
        _, old = adhesion_code_issue(foyer=foyer_a)
        _, new = adhesion_code_issue(foyer=foyer_a)
    with pytest.raises(CodeRevoked):
        adhesion_code_redeem(code=old, user=UserFactory())
    adhesion_code_redeem(code=new, user=UserFactory())


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["", "ABC", "KUD7QX9MAE", "OOOOOOOOOO"])
def test_a_mistyped_code_is_unknown(typed):
    with pytest.raises(CodeUnknown):
        adhesion_code_redeem(code=typed, user=UserFactory())


@pytest.mark.django_db
def test_a_code_of_another_collectivite_is_refused_on_this_one(
    tenant_a, tenant_b, in_tenant, foyer_a
):
    with in_tenant(tenant_a):
        _, code = adhesion_code_issue(foyer=foyer_a)
    with pytest.raises(CodeOtherCollectivite, match="COMMUNE D'ALPHA"):
        adhesion_code_redeem(code=code, user=UserFactory(), collectivite=tenant_b)
    assert AdhesionCode.objects.get(foyer_id=foyer_a.pk).used_at is None


@pytest.mark.django_db
def test_a_foyer_of_another_account_cannot_be_taken(tenant_a, in_tenant):
    owner = UserFactory()
    with in_tenant(tenant_a):
        foyer = FoyerFactory(user=owner, email="pris@exemple.test")
        _, code = adhesion_code_issue(foyer=foyer)
    intruder = UserFactory()
    with pytest.raises(FoyerTakenByAnotherAccount):
        adhesion_code_redeem(code=code, user=intruder)
    with in_tenant(tenant_a):
        assert Foyer.objects.get(pk=foyer.pk).user == owner
    assert AdhesionCode.objects.get(foyer_id=foyer.pk).used_at is None


@pytest.mark.django_db
def test_the_adhesion_email_carries_the_code_and_the_activation_link(
    tenant_a, in_tenant, foyer_a, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        adhesion_code_send(foyer=foyer_a)
    (message,) = mail.outbox
    assert message.subject == "Adhésion à un service sur Espace Famille"
    assert message.to == ["code@exemple.test"]
    code = re.search(r"^\s+([A-Z0-9]{10})$", message.body, re.M).group(1)
    assert f"activationCode={code}" in message.body
    assert "http://alpha.localhost:" in message.body


@pytest.mark.django_db
def test_twenty_wrong_guesses_lock_the_account_out(tenant_a, in_tenant, foyer_a, public_client):
    with in_tenant(tenant_a):
        _, good = adhesion_code_issue(foyer=foyer_a)
    public_client.force_login(UserFactory())
    for _ in range(rules.CODE_ATTEMPTS_PER_HOUR):
        response = public_client.post("/abonnements/", {"code": "AAAAAAAAAA"})
        assert CodeUnknown.message.split(" ")[0] in response.content.decode()
    response = public_client.post("/abonnements/", {"code": good})
    assert TooManyAttempts.message.split(".")[0] in response.content.decode()
    assert AdhesionCode.objects.get(foyer_id=foyer_a.pk).used_at is None
