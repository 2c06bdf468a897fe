"""The audit trail: staff changes recorded with who, when, what and from where; read-only,
for the administrateur of the collectivité only, exported as CSV that no spreadsheet runs."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin import helpers
from django.db import connection

from families.models import Child, Responsable
from portal.audit.models import AuditEntry, SharedAuditEntry
from portal.audit.registry import HEALTH_MASK
from portal.audit.rules import csv_cell
from tenants.models import Membership, Role
from tests.factories import ChildFactory, FoyerFactory, MembershipFactory
from tests.requests_inbox.conftest import make_family

ENTRIES = "/admin/audit/auditentry/"
SHARED_ENTRIES = "/admin/audit/sharedauditentry/"


def staff(client, tenant, role):
    member = MembershipFactory(collectivite=tenant, role=role)
    client.force_login(member.user)
    return member.user


@pytest.fixture
def child(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        return ChildFactory(
            foyer=FoyerFactory(name="FAMILLE AUDIT"),
            first_name="Inès",
            last_name="AUDIT",
            allergies="arachide",
        )


def child_form(child, **changes):
    data = {
        "foyer": child.foyer_id,
        "last_name": child.last_name,
        "first_name": child.first_name,
        "birth_date": child.birth_date.isoformat(),
        "sexe": child.sexe,
        "school": child.school,
        "classe": child.classe,
        "regime": child.regime,
        "allergies": child.allergies,
    }
    data.update(changes)
    return data


def test_a_staff_edit_is_recorded_with_who_what_when_and_where(
    tenant_a, in_tenant, client_a, child
):
    agent = staff(client_a, tenant_a, Role.AGENT)
    response = client_a.post(
        f"/admin/families/child/{child.pk}/change/",
        child_form(child, classe="CM1", allergies="arachide, kiwi", pai="on"),
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
        HTTP_X_REQUEST_ID="req-audit-0001",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with in_tenant(tenant_a):
        entry = AuditEntry.objects.get(
            model_label="families.child", object_pk=str(child.pk), action=AuditEntry.Action.UPDATE
        )
        assert Child.objects.get(pk=child.pk).classe == "CM1"
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.actor_id == agent.pk
    assert entry.actor_email == agent.email
    # REMOTE_ADDR as the proxy handling left it, never the client's own header.
    assert entry.remote_addr == "198.51.100.7"
    assert entry.cid == "req-audit-0001"
    assert entry.schema_name == "alpha"
    assert entry.changes["classe"] == ["", "CM1"]
    # Health data: the change is recorded, its values are not.
    assert entry.changes["allergies"] == [HEALTH_MASK, HEALTH_MASK]
    assert entry.changes["pai"] == [HEALTH_MASK, HEALTH_MASK]
    assert "arachide" not in str(entry.changes)
    assert "kiwi" not in str(entry.changes)


def test_families_own_pages_record_nothing(tenant_a, in_tenant, client_a):
    # A family adding a responsable on its own page is not a staff change: nothing recorded,
    # and the page pays no query for the trail.
    family = make_family(tenant_a, in_tenant, name="PAGES")
    client_a.force_login(family.user)
    with in_tenant(tenant_a):
        before = AuditEntry.objects.count()
    response = client_a.post(
        "/mon-compte/responsables/ajouter/",
        {"civilite": "MME", "last_name": "PAGES", "first_name": "Anne", "notification": "email"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with in_tenant(tenant_a):
        assert Responsable.objects.filter(foyer=family.foyer, first_name="Anne").exists()
        assert AuditEntry.objects.count() == before


def test_a_staff_membership_change_is_recorded_in_the_public_schema_for_its_collectivite(
    tenant_a, tenant_b, client_a, client_b, in_tenant
):
    administrateur = staff(client_a, tenant_a, Role.ADMINISTRATEUR)
    member = MembershipFactory(collectivite=tenant_a, role=Role.AGENT)
    response = client_a.post(
        f"/admin/tenants/membership/{member.pk}/change/",
        {"role": Role.COMPTABLE},
        REMOTE_ADDR="198.51.100.8",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.get(pk=member.pk).role == Role.COMPTABLE
    connection.set_schema_to_public()
    entry = AuditEntry.objects.get(
        model_label="tenants.membership", object_pk=str(member.pk), action=AuditEntry.Action.UPDATE
    )
    assert entry.schema_name == "alpha"
    assert entry.changes["role"] == ["agent", "comptable"]
    assert (entry.actor_id, entry.remote_addr) == (administrateur.pk, "198.51.100.8")
    with in_tenant(tenant_a):
        assert not AuditEntry.objects.filter(model_label="tenants.membership").exists()

    # Alpha's administrateur reads it; Beta's does not see Alpha's staff changes.
    body = client_a.get(SHARED_ENTRIES).content.decode()
    assert str(member.user) in body
    beta_administrateur = staff(client_b, tenant_b, Role.ADMINISTRATEUR)
    body = client_b.get(SHARED_ENTRIES).content.decode()
    assert str(beta_administrateur) in body  # its own creation, recorded without actor
    assert str(member.user) not in body


@pytest.mark.parametrize("role", [Role.AGENT, Role.REGISSEUR, Role.COMPTABLE])
def test_only_the_administrateur_reads_the_trail(tenant_a, client_a, role):
    staff(client_a, tenant_a, role)
    assert client_a.get(ENTRIES).status_code == 403
    assert client_a.get(SHARED_ENTRIES).status_code == 403
    assert "Journal des modifications" not in client_a.get("/admin/").content.decode()


def test_nobody_adds_changes_or_deletes_an_entry(tenant_a, in_tenant, client_a, child):
    staff(client_a, tenant_a, Role.ADMINISTRATEUR)
    with in_tenant(tenant_a):
        child.classe = "CE2"
        child.save()  # outside a request: recorded, without actor
        entry = AuditEntry.objects.get(
            model_label="families.child", object_pk=str(child.pk), action=AuditEntry.Action.UPDATE
        )
    assert entry.actor_id is None
    assert client_a.get("/admin/").content.decode().count("Journal des modifications") >= 1
    assert client_a.get(f"{ENTRIES}add/").status_code == 403
    detail = client_a.get(f"{ENTRIES}{entry.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client_a.post(f"{ENTRIES}{entry.pk}/change/", {}).status_code == 403
    assert client_a.post(f"{ENTRIES}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    with in_tenant(tenant_a):
        assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_search_filters_and_a_fixed_number_of_queries(
    tenant_a, in_tenant, client_a, child, django_assert_num_queries
):
    administrateur = staff(client_a, tenant_a, Role.ADMINISTRATEUR)
    client_a.post(f"/admin/families/child/{child.pk}/change/", child_form(child, classe="CP"))
    with in_tenant(tenant_a):
        for number in range(3):
            ChildFactory(foyer=child.foyer, first_name=f"Enfant{number}")
    client_a.get(ENTRIES)
    # search_path, account, role (the session comes from the cache); the actors of the « par »
    # filter, the filtered count, the full count shown beside it, the page's rows: the same
    # for 4 entries as for 1.
    with django_assert_num_queries(7):
        body = client_a.get(f"{ENTRIES}?type=families.child&q=Enfant").content.decode()
    assert body.count("Enfant") >= 3
    body = client_a.get(f"{ENTRIES}?par={administrateur.email}").content.decode()
    assert "Inès AUDIT" in body
    assert "Enfant0" not in body
    assert (
        client_a.get(f"{ENTRIES}?timestamp__gte=2000-01-01+00:00:00%2B01:00&action=1").status_code
        == 200
    )


def test_the_csv_export_neutralises_formulas(tenant_a, in_tenant, client_a):
    staff(client_a, tenant_a, Role.ADMINISTRATEUR)
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name='=HYPERLINK("http://exemple.test")')
        pks = list(AuditEntry.objects.values_list("pk", flat=True))
    response = client_a.post(
        ENTRIES,
        {"action": "export_csv", helpers.ACTION_CHECKBOX_NAME: pks, "index": 0},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Date", "Action", "Type", "Objet", "Modifications", "Par", "Adresse IP", "Requête"
    ]  # fmt: skip
    row = next(row for row in rows[1:] if "HYPERLINK" in row[3])
    assert row[3] == "'" + str(foyer)
    assert row[1] == "Création"
    assert row[5] == "système"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_ordinary_cells_are_left_alone():
    assert csv_cell("Inès AUDIT") == "Inès AUDIT"
    assert csv_cell(None) == ""
    assert csv_cell("a=b") == "a=b"


def test_shared_entries_are_read_from_the_public_table():
    assert SharedAuditEntry._meta.db_table == 'public"."audit_auditentry'
    assert not SharedAuditEntry._meta.managed
