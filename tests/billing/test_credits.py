"""Credit notes: a whole invoice or some lines, their own numbers, never twice, never edits."""

from __future__ import annotations

import pytest

from billing.exceptions import BillingError
from billing.models import Invoice, InvoiceRun
from billing.services import credits
from billing.services.credits import credit_note_issue
from billing.services.runs import invoice_run_execute
from tests.billing.conftest import ISSUED, NOV, D

pytestmark = pytest.mark.django_db


@pytest.fixture
def bernard(month, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        run = InvoiceRun.objects.create(
            service=month["service"], period_start=NOV[0], period_end=NOV[1]
        )
        invoice_run_execute(run=run, today=ISSUED)
        yield Invoice.objects.get(foyer=month["bernard"])


def test_a_credit_note_per_line_leaves_the_rest_due(bernard):
    unjustified = bernard.lines.get(label="CANTINE (absence non justifiée)")
    credit = credit_note_issue(
        invoice=bernard,
        reason="Absence justifiée reçue après coup",
        user=None,
        line_ids=[unjustified.pk],
        today=ISSUED,
    )
    bernard.refresh_from_db()
    assert (credit.number, credit.total) == ("2026-GRO-AV-000001", D("5.40"))
    assert (bernard.amount_credited, bernard.balance, bernard.status) == (
        D("5.40"),
        D("39.40"),
        "partial",
    )
    assert bernard.total == D("44.80")  # the invoice itself never changes
    with pytest.raises(BillingError) as error:
        credit_note_issue(invoice=bernard, reason="Encore", user=None, line_ids=[unjustified.pk])
    assert error.value.message == credits.NOTHING_TO_CREDIT


def test_a_total_credit_note_cancels_the_invoice(bernard):
    credit_note_issue(invoice=bernard, reason="Facture émise par erreur", user=None, today=ISSUED)
    bernard.refresh_from_db()
    assert (bernard.amount_credited, bernard.balance, bernard.status) == (
        D("44.80"),
        D("0.00"),
        "credited",
    )
    assert bernard.credit_notes.get().lines.count() == 16


def test_bad_credit_requests_change_nothing(bernard, month, tenant_a, in_tenant):
    other = Invoice.objects.get(foyer=month["aubert"]).lines.get()
    with pytest.raises(BillingError) as error:
        credit_note_issue(invoice=bernard, reason="x", user=None, line_ids=[other.pk])
    assert error.value.message == credits.NOT_THIS_INVOICE
    with pytest.raises(BillingError) as error:
        credit_note_issue(invoice=bernard, reason="  ", user=None)
    assert error.value.message == credits.REASON_NEEDED
    assert not bernard.credit_notes.exists()


def test_crediting_what_was_paid_moves_it_to_the_foyers_account(bernard):
    """40,00 € of 44,80 € paid, the whole invoice credited: 4,80 € were still due, the 40,00 €
    paid go to the foyer's account; the invoice keeps total >= paid + credited."""
    from billing.models import AccountEntry
    from billing.services.accounts import account_balance

    Invoice.objects.filter(pk=bernard.pk).update(amount_paid=D("40.00"), status="partial")
    credit = credit_note_issue(invoice=bernard, reason="Fermeture de la cantine", user=None)
    bernard.refresh_from_db()
    assert (bernard.amount_paid, bernard.amount_credited, bernard.status) == (
        D("0.00"),
        D("44.80"),
        "credited",
    )
    entry = AccountEntry.objects.get(foyer=bernard.foyer)
    assert (entry.amount, entry.credit_note, entry.kind) == (D("40.00"), credit, "credit_note")
    assert account_balance(foyer_id=bernard.foyer_id) == D("40.00")
