"""Reminders of unpaid invoices, at the collectivité's delays after the due date, once each.

Run daily by Celery beat (billing.tasks.reminders_send_task). An invoice gets one reminder
per run at most, the first level it reached and has not had: a reminder missed while the
worker was down is sent the next day, never two at once. Families on direct debit are
debited, not reminded. The row (unique per invoice and level) is written before the
e-mail is queued, in one transaction: a second run at the same time sends nothing twice.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.models import Invoice, InvoiceKind, InvoiceStatus, Reminder, SepaMandate
from billing.payments import settings_get
from billing.services import mails


def overdue_invoices(*, today: date):
    """Invoices past their due date with something left to pay, oldest first."""
    return (
        Invoice.objects.filter(
            kind=InvoiceKind.INVOICE,
            status__in=[InvoiceStatus.DUE, InvoiceStatus.PARTIAL],
            due_on__lt=today,
        )
        .exclude(Exists(SepaMandate.objects.filter(foyer=OuterRef("foyer"), revoked_on=None)))
        .order_by("due_on", "pk")
    )


def reminders_send(*, today: date | None = None) -> int:
    """Send the reminders due ``today``; return how many were sent."""
    today = today or timezone.localdate()
    delays = settings_get().delays
    if not delays:
        return 0
    sent_levels: dict[int, set[int]] = {}
    invoices = list(overdue_invoices(today=today - timedelta(days=delays[0] - 1)))
    for invoice_id, level in Reminder.objects.filter(
        invoice_id__in=[i.pk for i in invoices]
    ).values_list("invoice_id", "level"):
        sent_levels.setdefault(invoice_id, set()).add(level)
    sent = 0
    for invoice in invoices:
        late = (today - invoice.due_on).days
        reached = [n for n, days in enumerate(delays, start=1) if late >= days]
        missing = [n for n in reached if n not in sent_levels.get(invoice.pk, set())]
        if not missing:
            continue
        level = missing[0]
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    invoice=invoice, level=level, days=delays[level - 1], balance=invoice.balance
                )
                mails.reminder(invoice=invoice, level=level, days=delays[level - 1])
        except IntegrityError:
            continue  # another run sent it
        sent += 1
    return sent
