"""The collectivité's admin of foyers and children: screens, health data, QF, adhesion e-mails."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from families.admin import QUOTIENTS_OVERLAP_IN_FORM
from families.exceptions import FoyerHasNoEmail
from families.models import Foyer, QuotientFamilial
from tenants.models import AdhesionCode, Role
from tests.factories import (
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    ResponsableFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FOYERS = "/admin/families/foyer/"
CHILDREN = "/admin/families/child/"
ALLERGY = "Arachide et fruits à coque"


@pytest.fixture
def agent(tenant_a):
    return MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user


@pytest.fixture
def agent_client(client_a, agent):
    client_a.force_login(agent)
    return client_a


@pytest.fixture
def comptable_client(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    return client_a


@pytest.fixture
def child(tenant_a, in_tenant):
    """A child with health data, in a foyer with a responsable and an account."""
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="FOYER SANTE", email="sante@exemple.test", user=UserFactory())
        ResponsableFactory(foyer=foyer)
        return ChildFactory(
            foyer=foyer,
            first_name="Léonie",
            school="École du Bourg",
            classe="CE1",
            allergies=ALLERGY,
            pai=True,
        )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "path",
    [
        FOYERS,
        f"{FOYERS}?q=L%C3%A9onie",
        f"{FOYERS}?q=sante%40exemple",
        f"{FOYERS}?children__school=%C3%89cole+du+Bourg&children__classe=CE1",
        f"{FOYERS}?compte=active",
        f"{FOYERS}?compte=attente",
        f"{FOYERS}add/",
        CHILDREN,
        f"{CHILDREN}?q=sante",
        f"{CHILDREN}?school=%C3%89cole+du+Bourg&regime=classique&sexe=F&pai__exact=1",
        f"{CHILDREN}add/",
    ],
)
def test_foyer_and_child_screens_open_for_an_agent(agent_client, child, path):
    assert agent_client.get(path).status_code == 200


def test_change_pages_open_for_an_agent(agent_client, child):
    assert agent_client.get(f"{FOYERS}{child.foyer_id}/change/").status_code == 200
    assert agent_client.get(f"{CHILDREN}{child.pk}/change/").status_code == 200


def test_foyer_list_shows_account_status_and_children_once_per_foyer(
    agent_client, child, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        ChildFactory(foyer=child.foyer, first_name="Léon")
        FoyerFactory(name="FOYER SANS COMPTE")

    # Both children match « Léo »: the foyer is still listed once, with its two children.
    response = agent_client.get(FOYERS, {"q": "Léo"})
    assert [foyer.name for foyer in response.context["cl"].result_list] == ["FOYER SANTE"]
    assert response.context["cl"].result_list[0].children_count == 2
    assert "Compte activé" in response.content.decode()

    pending = agent_client.get(FOYERS, {"compte": "attente"}).context["cl"].result_list
    names = {foyer.name for foyer in pending}
    assert "FOYER SANS COMPTE" in names
    assert "FOYER SANTE" not in names
    assert "En attente d&#x27;activation" in agent_client.get(FOYERS).content.decode()


def test_an_agent_sees_health_fields(agent_client, child):
    body = agent_client.get(f"{CHILDREN}{child.pk}/change/").content.decode()
    assert 'name="allergies"' in body
    assert ALLERGY in body
    foyer_body = agent_client.get(f"{FOYERS}{child.foyer_id}/change/").content.decode()
    assert ALLERGY in foyer_body
    assert "pai__exact" in agent_client.get(CHILDREN).content.decode()


def test_a_comptable_never_sees_health_fields(comptable_client, child):
    body = comptable_client.get(f"{CHILDREN}{child.pk}/change/").content.decode()
    assert child.first_name in body
    assert ALLERGY not in body
    assert "allergies" not in body.lower()
    assert "PAI" not in body
    foyer_body = comptable_client.get(f"{FOYERS}{child.foyer_id}/change/").content.decode()
    assert child.first_name in foyer_body
    assert ALLERGY not in foyer_body
    assert "allergies" not in foyer_body.lower()
    changelist = comptable_client.get(CHILDREN).content.decode()
    assert "pai__exact" not in changelist
    assert "PAI" not in changelist
    # Nor can a filter typed in the address tell which children have a PAI.
    assert comptable_client.get(CHILDREN, {"pai__exact": "1"}).status_code == 400
    assert comptable_client.get(CHILDREN, {"allergies__icontains": "a"}).status_code == 400


def _foyer_form(foyer, quotients: list[dict], existing: list[QuotientFamilial] = ()) -> dict:
    """Return the POST data of a foyer's change form with only quotient rows filled."""
    data = {
        "name": foyer.name,
        "email": foyer.email,
        "responsables-TOTAL_FORMS": "0",
        "responsables-INITIAL_FORMS": "0",
        "children-TOTAL_FORMS": "0",
        "children-INITIAL_FORMS": "0",
        "quotients-TOTAL_FORMS": str(len(existing) + len(quotients)),
        "quotients-INITIAL_FORMS": str(len(existing)),
    }
    rows = [
        {
            "id": quotient.pk,
            "value": quotient.value,
            "source": quotient.source,
            "valid_from": quotient.valid_from.strftime("%d/%m/%Y"),
            "valid_to": quotient.valid_to.strftime("%d/%m/%Y") if quotient.valid_to else "",
        }
        for quotient in existing
    ] + quotients
    for index, row in enumerate(rows):
        for field, value in {"foyer": foyer.pk, **row}.items():
            data[f"quotients-{index}-{field}"] = value
    return data


def test_a_quotient_familial_records_who_set_it(agent_client, agent, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        foyer = FoyerFactory()
    response = agent_client.post(
        f"{FOYERS}{foyer.pk}/change/",
        _foyer_form(foyer, [{"value": "850", "source": "CAF", "valid_from": "01/01/2026"}]),
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        quotient = QuotientFamilial.objects.get(foyer=foyer)
    assert (quotient.value, quotient.set_by) == (850, agent)


def test_an_overlapping_quotient_shows_the_french_error_and_saves_nothing(
    agent_client, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        foyer = FoyerFactory()
        current = QuotientFamilial.objects.create(
            foyer=foyer, value=600, source="CAF", valid_from=datetime.date(2026, 1, 1)
        )
        # The model's own message, as the admin must show it.
        with pytest.raises(ValidationError) as refused:
            QuotientFamilial(
                foyer=foyer, value=900, source="MSA", valid_from=datetime.date(2026, 6, 1)
            ).full_clean()
    response = agent_client.post(
        f"{FOYERS}{foyer.pk}/change/",
        _foyer_form(
            foyer,
            [{"value": "900", "source": "MSA", "valid_from": "01/06/2026"}],
            existing=[current],
        ),
    )
    assert response.status_code == 200
    assert escape(refused.value.messages[0]) in response.content.decode()
    with in_tenant(tenant_a):
        assert list(QuotientFamilial.objects.filter(foyer=foyer)) == [current]


def test_two_overlapping_quotients_typed_together_are_refused(agent_client, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        foyer = FoyerFactory()
    response = agent_client.post(
        f"{FOYERS}{foyer.pk}/change/",
        _foyer_form(
            foyer,
            [
                {"value": "600", "source": "CAF", "valid_from": "01/01/2026", "valid_to": ""},
                {"value": "900", "source": "CAF", "valid_from": "01/03/2026"},
            ],
        ),
    )
    assert response.status_code == 200
    assert escape(QUOTIENTS_OVERLAP_IN_FORM) in response.content.decode()
    with in_tenant(tenant_a):
        assert not QuotientFamilial.objects.filter(foyer=foyer).exists()


def _codes_sent(body: str) -> str:
    return re.search(r"^\s+([A-Z0-9]{10})$", body, re.M).group(1)


def test_the_adhesion_action_mails_each_foyer_and_names_those_without_email(
    agent_client, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        first = FoyerFactory(name="FOYER UN", email="un@exemple.test")
        second = FoyerFactory(name="FOYER DEUX", email="deux@exemple.test")
        no_email = FoyerFactory(name="FOYER SANS ADRESSE")
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            FOYERS,
            {
                "action": "send_adhesion",
                "_selected_action": [first.pk, second.pk, no_email.pk],
                "index": "0",
            },
        )
    assert response.status_code == 302
    assert sorted(message.to[0] for message in mail.outbox) == [
        "deux@exemple.test",
        "un@exemple.test",
    ]
    for message in mail.outbox:
        assert message.subject == "Adhésion à un service sur Espace Famille"
        assert f"activationCode={_codes_sent(message.body)}" in message.body
    notes = _messages(response)
    assert f"{no_email.name} : {FoyerHasNoEmail.message}" in notes
    assert "Adhésion envoyée à 2 foyers." in notes


def test_the_adhesion_button_of_a_foyer_page_mails_that_foyer(
    agent_client, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="FOYER BOUTON", email="bouton@exemple.test")
    url = f"{FOYERS}{foyer.pk}/adhesion/"
    assert url in agent_client.get(f"{FOYERS}{foyer.pk}/change/").content.decode()
    assert agent_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{FOYERS}{foyer.pk}/change/"
    (message,) = mail.outbox
    assert message.to == ["bouton@exemple.test"]
    assert "Adhésion envoyée à 1 foyer." in _messages(response)


def test_a_comptable_may_not_send_adhesions(
    comptable_client, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        foyer = FoyerFactory(email="refus@exemple.test")
    assert "send_adhesion" not in comptable_client.get(FOYERS).content.decode()
    change_page = comptable_client.get(f"{FOYERS}{foyer.pk}/change/").content.decode()
    assert f"{foyer.pk}/adhesion/" not in change_page
    with django_capture_on_commit_callbacks(execute=True):
        comptable_client.post(
            FOYERS, {"action": "send_adhesion", "_selected_action": [foyer.pk], "index": "0"}
        )
        assert comptable_client.post(f"{FOYERS}{foyer.pk}/adhesion/").status_code == 403
    assert mail.outbox == []
    assert not AdhesionCode.objects.filter(collectivite=tenant_a, foyer_id=foyer.pk).exists()


def test_the_foyer_list_runs_the_same_queries_for_1_and_10_foyers(
    agent_client, tenant_a, in_tenant
):
    def changelist_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(FOYERS).status_code == 200
        return len(queries)

    def add_foyers(count: int) -> None:
        with in_tenant(tenant_a):
            for _ in range(count):
                foyer = FoyerFactory(user=UserFactory(), email="")
                ResponsableFactory(foyer=foyer)
                ChildFactory.create_batch(2, foyer=foyer, school="École du Bourg")

    add_foyers(1)
    agent_client.get(FOYERS)  # warm the tenant cache and the content types
    with_one = changelist_queries()
    add_foyers(9)
    assert changelist_queries() == with_one
    # SET search_path; account (the session comes from the cache); role (asked once: the
    # admin site and the permission backend share its cache); count of the page and full
    # count; the foyers with their children counted in the same query; the distinct schools
    # and classes of the filters.
    assert with_one == 8


def test_an_agent_cannot_reach_a_foyer_of_another_collectivite(
    agent_client, tenant_a, tenant_b, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_b):
        beta_foyer = FoyerFactory(pk=987_654, name="FOYER BETA", email="beta@exemple.test")
    with in_tenant(tenant_a):
        assert not Foyer.objects.filter(pk=beta_foyer.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            FOYERS, {"action": "send_adhesion", "_selected_action": [beta_foyer.pk], "index": "0"}
        )
        response = agent_client.post(f"{FOYERS}{beta_foyer.pk}/adhesion/")
    assert response.status_code == 302
    assert mail.outbox == []
    assert not AdhesionCode.objects.filter(foyer_id=beta_foyer.pk).exists()
