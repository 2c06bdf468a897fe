"""Names and addresses: bounded lengths, no bidirectional controls, in every family form."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.html import escape

from families.models import Responsable
from portal.validators import FORBIDDEN_CHARACTERS_MESSAGE, plain_text_validator
from tests.families.test_account import ADD_RESPONSABLE, PROFILE, contacts_post, make_family

pytestmark = pytest.mark.django_db
RLO = "\u202e"


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", RLO, "\u2066", "\u2069"])
def test_the_validator_refuses_every_bidi_control(char):
    with pytest.raises(ValidationError):
        plain_text_validator(f"Léa{char}fdp.exe")
    plain_text_validator("Léa-Marie D'Artagnan Ñúñez")  # ordinary names pass


def test_signup_refuses_a_right_to_left_override(public_client):
    response = public_client.post(
        "/inscription/",
        {
            "household_name": "DUPONT",
            "email": "rlo@exemple.test",
            "civilite": "MME",
            "last_name": f"DUP{RLO}TNO",
            "first_name": "Anne",
            "notification": "email",
            "password1": "Cantine-Mardi-12h",
            "password2": "Cantine-Mardi-12h",
        },
    )
    assert response.status_code == 200
    assert escape(FORBIDDEN_CHARACTERS_MESSAGE) in response.content.decode()
    assert not get_user_model().objects.filter(email="rlo@exemple.test").exists()


def test_profile_refuses_a_huge_address_and_a_bidi_one(tenant_a, in_tenant, client_a):
    family = make_family(tenant_a, in_tenant)
    client_a.force_login(family.user)
    huge = "3 rue des Écoles " * 130_000  # about 2 Mo
    for address in (huge, f"3 rue des {RLO}Écoles"):
        response = client_a.post(PROFILE, contacts_post(family.responsable, address=address))
        assert response.status_code == 200
    with in_tenant(tenant_a):
        assert Responsable.objects.get(pk=family.responsable.pk).address == (
            family.responsable.address
        )


def test_responsable_2_names_are_checked(tenant_a, in_tenant, client_a):
    family = make_family(tenant_a, in_tenant)
    client_a.force_login(family.user)
    response = client_a.post(
        ADD_RESPONSABLE,
        {"civilite": "M", "last_name": f"X{RLO}", "first_name": "Paul", "notification": "email"},
    )
    assert escape(FORBIDDEN_CHARACTERS_MESSAGE) in response.content.decode()
    with in_tenant(tenant_a):
        assert not Responsable.objects.filter(foyer=family.foyer, rank=2).exists()
