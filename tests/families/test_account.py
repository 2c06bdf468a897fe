"""A family's own pages: « Mon profil », « Mes enfants », « Données personnelles », download."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from dataclasses import dataclass
from html import escape

import pytest
from django.urls import reverse
from django.utils import timezone

from families.forms.account import EMAIL_INVALID
from families.models import Child, Foyer, QuotientFamilial, Responsable, phone_validator
from families.services_account import ChildEditNotAllowed
from portal.decorators import NOT_A_FAMILY_HERE
from tenants.models import Collectivite
from tenants.services import adhesion_add
from tests.conftest import TEST_COLLECTIVITES
from tests.factories import ChildFactory, FoyerFactory, ResponsableFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/mon-compte/"
CHILDREN = "/mon-compte/enfants/"
ADD_RESPONSABLE = "/mon-compte/responsables/ajouter/"
REMOVE_RESPONSABLE = "/mon-compte/responsables/2/retirer/"
PRIVACY = "/donnees-personnelles/"
EXPORT = "/donnees-personnelles/telecharger/"


@dataclass
class Family:
    user: object
    foyer: Foyer
    responsable: Responsable
    children: list[Child]


def make_family(collectivite: Collectivite, in_tenant, *, name="MARTIN", children=1, user=None):
    """Create an account that joined ``collectivite`` with a foyer, responsable 1 and children."""
    user = user or UserFactory()
    adhesion_add(user=user, collectivite=collectivite)
    with in_tenant(collectivite):
        foyer = FoyerFactory(user=user, name=name, email=user.email)
        responsable = ResponsableFactory(
            foyer=foyer,
            last_name=name,
            first_name="Julie",
            phone="06 12 34 56 78",
            email="julie@exemple.test",
            address="3 rue des Écoles\n81000 ALPHA",
        )
        kids = [
            ChildFactory(
                foyer=foyer,
                first_name=f"Enfant{index}",
                school="École des Sautarochs",
                classe="CE1",
                regime="vegetarien",
                allergies="arachide",
                pai=True,
            )
            for index in range(children)
        ]
    return Family(user=user, foyer=foyer, responsable=responsable, children=kids)


@pytest.fixture
def family(tenant_a, in_tenant, client_a) -> Family:
    """A family of alpha, logged in on alpha's client."""
    result = make_family(tenant_a, in_tenant)
    client_a.force_login(result.user)
    return result


def contacts_post(responsable: Responsable, **changes) -> dict:
    """Return the profile form's POST data for ``responsable``, with ``changes`` applied."""
    values = {
        "phone": responsable.phone,
        "phone_secondary": responsable.phone_secondary,
        "email": responsable.email,
        "email_secondary": responsable.email_secondary,
        "address": responsable.address,
        "notification": responsable.notification,
        **changes,
    }
    return {f"r{responsable.rank}-{field}": value for field, value in values.items()}


# « Mon profil »


def test_profile_shows_the_foyer_responsables_and_the_quotient_read_only(
    family, client_a, tenant_a, in_tenant
):
    today = timezone.localdate()
    with in_tenant(tenant_a):
        QuotientFamilial.objects.create(
            foyer=family.foyer, value=612, source="CAF", valid_from=today.replace(day=1)
        )
    body = client_a.get(PROFILE).content.decode()
    assert "Foyer MARTIN" in body
    for value in ("Madame MARTIN Julie", "06 12 34 56 78", "julie@exemple.test", "81000 ALPHA"):
        assert value in body
    assert "612" in body
    assert today.replace(day=1).strftime("%d/%m/%Y") in body
    assert "Non renseigné" not in body
    # No form field for the quotient: posting one is ignored.
    assert 'name="r1-value"' not in body
    response = client_a.post(
        PROFILE,
        {**contacts_post(family.responsable), "r1-value": "1", "value": "1", "quotient": "1"},
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert list(family.foyer.quotients.values_list("value", flat=True)) == [612]


def test_profile_without_a_current_quotient_says_non_renseigne(
    family, client_a, tenant_a, in_tenant
):
    with in_tenant(tenant_a):  # an expired one does not count
        QuotientFamilial.objects.create(
            foyer=family.foyer,
            value=800,
            source="MSA",
            valid_from=datetime.date(2020, 1, 1),
            valid_to=datetime.date(2020, 12, 31),
        )
    body = client_a.get(PROFILE).content.decode()
    assert "Non renseigné" in body
    assert "800" not in body


def test_profile_saves_contact_details_but_never_names(family, client_a, tenant_a, in_tenant):
    response = client_a.post(
        PROFILE,
        contacts_post(
            family.responsable,
            phone="+33 6 98 76 54 32",
            email="julie.martin@exemple.test",
            notification="courrier",
            last_name="AUTRE",
            first_name="Autre",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("families:profile")
    with in_tenant(tenant_a):
        family.responsable.refresh_from_db()
    assert family.responsable.phone == "+33 6 98 76 54 32"
    assert family.responsable.email == "julie.martin@exemple.test"
    assert family.responsable.notification == "courrier"
    assert (family.responsable.last_name, family.responsable.first_name) == ("MARTIN", "Julie")


def test_profile_with_an_invalid_phone_or_email_changes_nothing(
    family, client_a, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        second = ResponsableFactory(foyer=family.foyer, rank=2, civilite="M", first_name="Paul")
    data = {
        # Responsable 1 is valid, responsable 2 is not: neither is saved.
        **contacts_post(family.responsable, phone="05 63 50 51 19"),
        **contacts_post(second, phone="123", email="pas-une-adresse"),
    }
    response = client_a.post(PROFILE, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert escape(phone_validator.message) in body
    assert escape(EMAIL_INVALID) in body
    assert 'value="123"' in body  # the form shows what was typed
    with in_tenant(tenant_a):
        family.responsable.refresh_from_db()
        second.refresh_from_db()
    assert family.responsable.phone == "06 12 34 56 78"
    assert (second.phone, second.email) == ("", "")


def test_parent_adds_then_removes_responsable_2(family, client_a, tenant_a, in_tenant):
    assert client_a.get(ADD_RESPONSABLE).status_code == 200
    response = client_a.post(ADD_RESPONSABLE, {"civilite": "M", "notification": "email"})
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()

    response = client_a.post(
        ADD_RESPONSABLE,
        {
            "civilite": "M",
            "last_name": "MARTIN",
            "first_name": "Paul",
            "phone": "07 11 22 33 44",
            "email": "paul@exemple.test",
            "notification": "email",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        second = Responsable.objects.get(foyer=family.foyer, rank=2)
    assert (second.first_name, second.phone) == ("Paul", "07 11 22 33 44")
    body = client_a.get(PROFILE).content.decode()
    assert "Monsieur MARTIN Paul" in body
    assert REMOVE_RESPONSABLE in body
    assert ADD_RESPONSABLE not in body
    assert client_a.get(ADD_RESPONSABLE).status_code == 302  # already two

    assert "Monsieur Paul MARTIN" in client_a.get(REMOVE_RESPONSABLE).content.decode()
    assert client_a.post(REMOVE_RESPONSABLE).status_code == 302
    with in_tenant(tenant_a):
        assert list(family.foyer.responsables.values_list("rank", flat=True)) == [1]
    assert client_a.get(REMOVE_RESPONSABLE).status_code == 404


# « Mes enfants »


def test_children_page_lists_the_familys_children_without_health_data(
    family, client_a, tenant_a, in_tenant
):
    make_family(tenant_a, in_tenant, name="VOISIN")
    body = client_a.get(CHILDREN).content.decode()
    child = family.children[0]
    for value in (child.first_name, "MARTIN", "01/09/2017", "École des Sautarochs", "CE1"):
        assert escape(value) in body
    assert "Végétarien" in body
    assert "arachide" not in body
    assert "PAI" not in body
    assert "VOISIN" not in body


def test_child_edit_is_forbidden_unless_the_collectivite_allows_it(
    family, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    url = reverse("families:child_edit", args=[child.pk])
    assert tenant_a.parents_may_edit_children is False
    assert url not in client_a.get(CHILDREN).content.decode()
    response = client_a.get(url)
    assert response.status_code == 403
    assert escape(ChildEditNotAllowed.message) in response.content.decode()
    assert client_a.post(url, {"school": "Autre", "classe": "CM2"}).status_code == 403
    with in_tenant(tenant_a):
        child.refresh_from_db()
    assert child.school == "École des Sautarochs"


def test_child_edit_changes_school_class_and_diet_only(family, client_a, tenant_a, in_tenant):
    tenant_a.parents_may_edit_children = True
    tenant_a.save()
    child = family.children[0]
    url = reverse("families:child_edit", args=[child.pk])
    assert url in client_a.get(CHILDREN).content.decode()
    assert client_a.get(url).status_code == 200

    response = client_a.post(url, {"school": "École Jean Moulin", "classe": "", "regime": "halal"})
    assert response.status_code == 200  # not a diet the portal records
    response = client_a.post(
        url,
        {
            "school": "École Jean Moulin",
            "classe": "CE2",
            "regime": "sans_porc",
            "allergies": "",
            "pai": "",
            "first_name": "Autre",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        child.refresh_from_db()
    assert (child.school, child.classe, child.regime) == ("École Jean Moulin", "CE2", "sans_porc")
    assert (child.allergies, child.pai, child.first_name) == ("arachide", True, "Enfant0")


def test_a_child_of_another_family_is_not_found(
    family, client_a, tenant_a, tenant_b, in_tenant, client_b
):
    tenant_a.parents_may_edit_children = True
    tenant_a.save()
    other = make_family(tenant_a, in_tenant, name="VOISIN").children[0]
    url = reverse("families:child_edit", args=[other.pk])
    assert client_a.get(url).status_code == 404
    assert (
        client_a.post(url, {"school": "X", "classe": "X", "regime": "classique"}).status_code == 404
    )
    with in_tenant(tenant_a):
        other.refresh_from_db()
    assert other.school == "École des Sautarochs"

    # The same account at beta (a foyer without children there): its alpha child is unknown.
    make_family(tenant_b, in_tenant, name="MARTIN", children=0, user=family.user)
    client_b.force_login(family.user)
    own_alpha_child = reverse("families:child_edit", args=[family.children[0].pk])
    assert client_b.get(own_alpha_child).status_code == 404


def test_a_parent_of_alpha_is_refused_on_betas_host(family, client_b):
    client_b.force_login(family.user)
    for url in (PROFILE, CHILDREN, EXPORT, reverse("families:child_edit", args=[1])):
        response = client_b.get(url)
        assert response.status_code == 403
        assert escape(NOT_A_FAMILY_HERE) in response.content.decode()


def test_account_pages_need_a_login_and_a_foyer(client_a, tenant_a):
    for url in (PROFILE, CHILDREN, EXPORT):
        response = client_a.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/?next=")
    joined_without_foyer = UserFactory()
    adhesion_add(user=joined_without_foyer, collectivite=tenant_a)
    client_a.force_login(joined_without_foyer)
    assert client_a.get(PROFILE).status_code == 404


# Query counts


@pytest.mark.parametrize("url", [PROFILE, CHILDREN])
def test_account_pages_run_the_same_queries_for_1_and_4_children(
    url, tenant_a, in_tenant, client_a, django_assert_max_num_queries
):
    small = make_family(tenant_a, in_tenant, name="PETIT", children=1)
    large = make_family(tenant_a, in_tenant, name="GRAND", children=4)
    with in_tenant(tenant_a):
        ResponsableFactory(foyer=large.foyer, rank=2)
        for foyer in (small.foyer, large.foyer):
            QuotientFamilial.objects.create(
                foyer=foyer, value=500, source="CAF", valid_from=datetime.date(2020, 1, 1)
            )
    counts = []
    for member in (small, large):
        client_a.force_login(member.user)
        client_a.get(url)  # the host lookup is cached from here on
        # search_path, session, account, adhesion (family_required), then the foyer with
        # its account, its responsables, children and quotients: one query each.
        with django_assert_max_num_queries(8) as captured:
            assert client_a.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# « Données personnelles » and the download


def test_privacy_page_is_public_and_names_who_to_ask(client_a):
    response = client_a.get(PRIVACY)
    assert response.status_code == 200
    body = response.content.decode()
    spec = TEST_COLLECTIVITES["alpha"]
    assert spec["email"] in body
    assert escape(spec["name"]) in body
    assert "3 ans" in body
    assert "10 ans" in body
    assert "CNIL" in body
    for right in ("accès", "rectification", "effacement", "limitation", "opposition"):
        assert right in body
    assert EXPORT not in body


def test_privacy_page_offers_the_download_to_a_family(family, client_a):
    assert EXPORT in client_a.get(PRIVACY).content.decode()


def test_export_holds_the_familys_data_and_nobody_elses(
    family, client_a, tenant_a, tenant_b, in_tenant, django_assert_max_num_queries
):
    adhesion_add(user=family.user, collectivite=tenant_b)
    with in_tenant(tenant_a):
        QuotientFamilial.objects.create(
            foyer=family.foyer, value=612, source="CAF", valid_from=datetime.date(2024, 9, 1)
        )
    make_family(tenant_a, in_tenant, name="VOISIN")

    client_a.get(EXPORT)
    # As the pages (8), plus the account's adhesions with their collectivités, plus the
    # history (foyer_history_export): bookings, their events, waiting lists, threads with
    # their absence, messages, attachments.
    with django_assert_max_num_queries(15):
        response = client_a.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    filename = f"donnees-espace-famille-alpha-{timezone.localdate().isoformat()}.zip"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in response["Cache-Control"]  # personal data: never kept by a proxy

    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        raw = archive.read("donnees.json").decode("utf-8")
    assert "Végétarien" in raw  # UTF-8, not \u escapes
    assert "password" not in raw.lower()
    assert family.user.password not in raw
    assert "VOISIN" not in raw
    data = json.loads(raw)
    assert data["compte"]["email"] == family.user.email
    assert data["foyer"]["nom"] == "MARTIN"
    assert [r["prenom"] for r in data["responsables"]] == ["Julie"]
    assert data["enfants"] == [
        {
            "nom": "MARTIN",
            "prenom": "Enfant0",
            "date_de_naissance": "2017-09-01",
            "sexe": "Fille",
            "ecole": "École des Sautarochs",
            "classe": "CE1",
            "regime_alimentaire": "Végétarien",
            "allergies": "arachide",
            "pai": True,
        }
    ]
    assert data["quotients_familiaux"][0]["valeur"] == 612
    assert data["quotients_familiaux"][0]["valable_du"] == "2024-09-01"
    assert sorted(a["collectivite"] for a in data["adhesions"]) == [
        TEST_COLLECTIVITES["alpha"]["name"],
        TEST_COLLECTIVITES["beta"]["name"],
    ]
