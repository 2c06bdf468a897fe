"""Staff import of foyers and children from CSV and XLSX through the admin's two steps."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from families.admin import IMPORT_REFUSED, ImportFileStorage
from families.models import Child, Foyer, Responsable
from families.resources import (
    AMBIGUOUS_FOYER,
    BAD_DATE,
    BAD_EMAIL,
    BIRTH_DATE,
    CHILD_FIRST_NAME,
    CHILD_LAST_NAME,
    CLASSE,
    FOYER_EMAIL,
    FOYER_NAME,
    MISSING_COLUMNS,
    MISSING_VALUE,
    R1_CIVILITE,
    R1_FIRST_NAME,
    R1_LAST_NAME,
    R1_PHONE,
    REGIME,
    SCHOOL,
    SEXE,
    UNKNOWN_REGIME,
)
from tenants.models import Role
from tests.factories import (
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    ResponsableFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

IMPORT = "/admin/families/foyer/import/"
PROCESS = "/admin/families/foyer/process_import/"
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # FoyerAdmin.import_formats
HEADERS = [
    FOYER_NAME,
    FOYER_EMAIL,
    R1_CIVILITE,
    R1_LAST_NAME,
    R1_FIRST_NAME,
    R1_PHONE,
    CHILD_LAST_NAME,
    CHILD_FIRST_NAME,
    BIRTH_DATE,
    SEXE,
    SCHOOL,
    CLASSE,
    REGIME,
]
MARTIN = ["MARTIN", "Martin@Exemple.test", "Madame", "MARTIN", "Claire", "05 63 50 51 18"]
DURAND = ["DURAND", "", "M", "DURAND", "Paul", ""]
GOOD_ROWS = [
    [*MARTIN, "MARTIN", "Léa", "03/02/2017", "F", "École du Bourg", "CE2", "Classique"],
    [*MARTIN, "MARTIN", "Hugo", "15/09/2019", "Garçon", "École du Bourg", "GS", "Végétarien"],
    [*DURAND, "DURAND", "Emma", "01/12/2018", "Fille", "École des Pins", "CP", "sans porc"],
]


@pytest.fixture
def agent_client(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


def _csv(rows, delimiter=";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _dry_run(client, content: bytes, name="familles.csv", format=CSV_FORMAT):
    upload = SimpleUploadedFile(name, content)
    return client.post(IMPORT, {"import_file": upload, "format": format, "resource": "0"})


def _confirm(client, data: dict):
    """Post the confirmation, let the job run (after commit, in-process here), open its page.

    Returns the job page's answer: a redirect to the foyers with the summary, or the errors.
    """
    from django.db import DEFAULT_DB_ALIAS
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(using=DEFAULT_DB_ALIAS, execute=True):
        started = client.post(PROCESS, data)
    assert started.status_code == 302, started.content.decode()[-2000:]
    assert "/admin/families/foyer/import/" in started["Location"]
    return client.get(started["Location"])


def _import(client, content: bytes, name="familles.csv", format=CSV_FORMAT):
    """Run the dry run, check it offers confirmation, confirm; return the final response."""
    preview = _dry_run(client, content, name, format)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.content.decode()[-3000:]
    return _confirm(client, preview.context["confirm_form"].initial)


def _counts(tenant, in_tenant) -> tuple[int, int, int]:
    with in_tenant(tenant):
        return Foyer.objects.count(), Responsable.objects.count(), Child.objects.count()


def test_a_csv_file_creates_foyers_responsables_and_children(agent_client, tenant_a, in_tenant):
    before = _counts(tenant_a, in_tenant)
    response = _import(agent_client, _csv(GOOD_ROWS))
    assert response.status_code == 302
    assert response["Location"] == "/admin/families/foyer/"
    assert _counts(tenant_a, in_tenant) == (before[0] + 2, before[1] + 2, before[2] + 3)
    with in_tenant(tenant_a):
        martin = Foyer.objects.get(email="martin@exemple.test")
        assert martin.name == "MARTIN"
        assert [(c.first_name, c.sexe, c.regime, c.classe) for c in martin.children.all()] == [
            ("Léa", "F", "classique", "CE2"),
            ("Hugo", "G", "vegetarien", "GS"),
        ]
        (responsable,) = martin.responsables.all()
        assert (responsable.civilite, responsable.first_name, responsable.phone) == (
            "MME",
            "Claire",
            "05 63 50 51 18",
        )
        durand = Foyer.objects.get(name="DURAND")
        assert durand.email == ""
        (emma,) = durand.children.all()
        assert (emma.birth_date, emma.regime) == (datetime.date(2018, 12, 1), "sans_porc")
        assert durand.responsables.get().civilite == "M"
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert "Import terminé : 2 foyers créé(s), 3 enfants ajouté(s), 0 enfant mis à jour." in (
        messages
    )


def test_a_known_child_is_updated_not_duplicated(agent_client, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="MARTIN", email="martin@exemple.test")
        ResponsableFactory(foyer=foyer, first_name="Claire")
        lea = ChildFactory(
            foyer=foyer,
            last_name="MARTIN",
            first_name="LÉA",
            birth_date=datetime.date(2017, 2, 3),
            school="Ancienne école",
        )
    before = _counts(tenant_a, in_tenant)
    assert _import(agent_client, _csv(GOOD_ROWS[:2])).status_code == 302
    # Léa is updated, Hugo is added, the foyer and its responsable are reused.
    assert _counts(tenant_a, in_tenant) == (before[0], before[1], before[2] + 1)
    with in_tenant(tenant_a):
        lea.refresh_from_db()
        assert (lea.school, lea.classe) == ("École du Bourg", "CE2")


def test_an_xlsx_file_imports_too(agent_client, tenant_a, in_tenant):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    # Spreadsheets store dates as dates and a phone typed as a number loses its 0.
    leroy = ["LEROY", "leroy@exemple.test", "MME", "LEROY", "Anne", 563505118]
    sheet.append([*leroy, "LEROY", "Jules", datetime.date(2016, 5, 4), "G", "École", "CM1", None])
    sheet.append([None] * len(HEADERS))
    content = io.BytesIO()
    book.save(content)
    before = _counts(tenant_a, in_tenant)
    response = _import(agent_client, content.getvalue(), "familles.xlsx", XLSX_FORMAT)
    assert response.status_code == 302
    assert _counts(tenant_a, in_tenant) == (before[0] + 1, before[1] + 1, before[2] + 1)
    with in_tenant(tenant_a):
        jules = Child.objects.get(first_name="Jules")
        assert (jules.birth_date, jules.regime) == (datetime.date(2016, 5, 4), "classique")
        assert jules.foyer.responsables.get().phone == "0563505118"


BAD_ROWS = [
    GOOD_ROWS[0],
    [*DURAND, "DURAND", "Emma", "31/02/2018", "F", "", "", "Classique"],
    [*DURAND, "DURAND", "Noé", "01/12/2018", "G", "", "", "Halal"],
    ["PETIT", "petit@", "Madame", "", "Zoé", "12 34", "PETIT", "", "01/01/2019", "F", "", "", ""],
]


def test_bad_rows_are_reported_by_row_number_and_nothing_is_imported(
    agent_client, tenant_a, in_tenant
):
    before = _counts(tenant_a, in_tenant)
    content = _csv(BAD_ROWS, delimiter=",")
    preview = _dry_run(agent_client, content)

    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    invalid = {row.number: row.error_dict for row in preview.context["result"].invalid_rows}
    assert set(invalid) == {2, 3, 4}
    assert invalid[2] == {BIRTH_DATE: [BAD_DATE.format(value="31/02/2018")]}
    assert invalid[3] == {REGIME: [UNKNOWN_REGIME.format(value="Halal")]}
    assert invalid[4][FOYER_EMAIL] == [BAD_EMAIL.format(value="petit@")]
    assert invalid[4][R1_LAST_NAME] == [MISSING_VALUE]
    assert invalid[4][CHILD_FIRST_NAME] == [MISSING_VALUE]
    assert R1_PHONE in invalid[4]
    body = preview.content.decode()
    assert escape(f"Ligne 2 — {BIRTH_DATE} : {BAD_DATE.format(value='31/02/2018')}") in body
    assert escape(f"Ligne 3 — {REGIME} : {UNKNOWN_REGIME.format(value='Halal')}") in body
    assert _counts(tenant_a, in_tenant) == before

    # A confirmation posted anyway (a forged form, or a file changed since its preview)
    # is refused as a whole: the good first row is not kept either.
    storage = ImportFileStorage()
    storage.save(content)
    refused = _confirm(
        agent_client,
        {
            "import_file_name": storage.name,
            "original_file_name": "familles.csv",
            "format": CSV_FORMAT,
            "resource": "0",
        },
    )
    assert refused.status_code == 200
    assert escape(IMPORT_REFUSED) in refused.content.decode()
    assert escape(UNKNOWN_REGIME.format(value="Halal")) in refused.content.decode()
    assert _counts(tenant_a, in_tenant) == before


def test_an_activated_foyer_keeps_the_responsable_its_family_typed(
    agent_client, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="MARTIN", email="martin@exemple.test", user=UserFactory())
        responsable = ResponsableFactory(foyer=foyer, first_name="Claire-Marie", phone="")
    assert _import(agent_client, _csv(GOOD_ROWS[:1])).status_code == 302
    with in_tenant(tenant_a):
        assert list(foyer.responsables.all()) == [responsable]
        responsable.refresh_from_db()
        assert (responsable.first_name, responsable.phone) == ("Claire-Marie", "")
        assert foyer.children.get().first_name == "Léa"


def test_a_foyer_name_shared_by_two_foyers_needs_the_email(agent_client, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        FoyerFactory.create_batch(2, name="DURAND")
    preview = _dry_run(agent_client, _csv(GOOD_ROWS[2:]))
    (row,) = preview.context["result"].invalid_rows
    assert row.error_dict == {FOYER_NAME: [AMBIGUOUS_FOYER.format(name="DURAND")]}


def test_a_file_without_the_required_columns_is_refused(agent_client):
    content = "Nom;Prénom\nMARTIN;Léa\n".encode()
    preview = _dry_run(agent_client, content)
    assert "confirm_form" not in preview.context
    missing = MISSING_COLUMNS.format(
        columns=", ".join([FOYER_NAME, CHILD_LAST_NAME, CHILD_FIRST_NAME, BIRTH_DATE, SEXE])
    )
    assert escape(missing) in preview.content.decode()


def test_a_comptable_may_not_import(tenant_a, in_tenant, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.COMPTABLE).user)
    before = _counts(tenant_a, in_tenant)
    assert client_a.get(IMPORT).status_code == 403
    assert _dry_run(client_a, _csv(GOOD_ROWS)).status_code == 403
    assert client_a.post(PROCESS, {"import_file_name": "x", "format": "0"}).status_code == 403
    assert IMPORT not in client_a.get("/admin/families/foyer/").content.decode()
    assert _counts(tenant_a, in_tenant) == before
