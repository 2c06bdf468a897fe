"""The database refuses to edit or delete issued invoices, credit notes and attendance history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.models import (
    Attendance,
    AttendanceMark,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
)
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def issued(site, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        child = ChildFactory(first_name="Léa")
        invoice = Invoice.objects.create(
            number="2026-GRO-000001",
            service=site["service"],
            foyer=child.foyer,
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30),
            issued_on=dt.date(2026, 12, 1),
            due_on=dt.date(2026, 12, 31),
            total=Decimal("3.60"),
            payer_name="Mme MARTIN Anne",
            foyer_name=child.foyer.name,
            service_name=site["service"].name,
        )
        line = InvoiceLine.objects.create(
            invoice=invoice,
            child=child,
            child_name="Léa MARTIN",
            prestation=site["cantine"],
            label="CANTINE",
            day=DAY,
            quantity=1,
            unit_price=Decimal("3.60"),
            amount=Decimal("3.60"),
        )
        credit = CreditNote.objects.create(
            number="2026-GRO-AV-000001",
            invoice=invoice,
            issued_on=dt.date(2026, 12, 2),
            reason="Repas compté deux fois",
            total=Decimal("3.60"),
        )
        credit_line = CreditNoteLine.objects.create(
            credit_note=credit, invoice_line=line, label="CANTINE", amount=Decimal("3.60")
        )
        attendance = Attendance.objects.create(
            child=child,
            prestation=site["cantine"],
            day=DAY,
            status="present",
            marked_at=timezone.now(),
        )
        mark = AttendanceMark.objects.create(
            attendance=attendance, status="present", at=timezone.now()
        )
        yield {
            "invoice": invoice,
            "line": line,
            "credit": credit,
            "credit_line": credit_line,
            "attendance": attendance,
            "mark": mark,
        }


def _refused(action) -> str:
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        action()
    return str(error.value)


def test_an_issued_invoice_cannot_be_edited_nor_deleted(issued):
    invoice = issued["invoice"]
    invoice.total = Decimal("1.00")
    assert "corrigez-la par un avoir" in _refused(invoice.save)
    assert "corrigez-la par un avoir" in _refused(
        lambda: Invoice.objects.filter(pk=invoice.pk).update(payer_name="Autre")
    )
    assert _refused(Invoice.objects.filter(pk=invoice.pk).delete)  # PROTECT answers first

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM billing_invoice WHERE id = %s", [invoice.pk])

    assert "corrigez-la par un avoir" in _refused(raw_delete)
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("3.60")


def test_only_what_follows_the_money_changes(issued):
    invoice = issued["invoice"]
    Invoice.objects.filter(pk=invoice.pk).update(
        amount_credited=Decimal("3.60"), status="credited", emailed_at=timezone.now()
    )
    assert Invoice.objects.get(pk=invoice.pk).status == "credited"


@pytest.mark.parametrize("name", ["line", "credit", "credit_line", "mark"])
def test_lines_credit_notes_and_history_are_kept(issued, name):
    row = issued[name]
    model = type(row)
    assert _refused(model.objects.filter(pk=row.pk).delete)
    field = {"line": "label", "credit": "reason", "credit_line": "label", "mark": "note"}[name]
    assert _refused(lambda: model.objects.filter(pk=row.pk).update(**{field: "changé"}))


def test_an_attendance_changes_state_but_is_never_deleted(issued):
    attendance = issued["attendance"]
    Attendance.objects.filter(pk=attendance.pk).update(status="absent_unjustified")
    assert _refused(attendance.delete)  # PROTECT by its marks

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM billing_attendance WHERE id = %s", [attendance.pk])

    assert "ne se supprime pas" in _refused(raw_delete)
