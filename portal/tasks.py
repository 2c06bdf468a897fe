"""Celery tasks of the portal: thin wrappers around portal.services."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from django.utils import timezone
from django_tenants.utils import schema_context

from portal import services
from portal.celery import app
from portal.dispatch import task_dispatch
from portal.models import OutgoingEmail

MAX_ATTEMPTS = 10


@app.task(bind=True, max_retries=MAX_ATTEMPTS)
def email_send_task(self, *, email_id: int) -> bool:
    """Send one queued e-mail; safe to run twice (the second run finds it sent)."""
    try:
        return services.email_send(email_id=email_id)
    except (SMTPException, OSError) as exc:
        services.email_record_failure(email_id=email_id, error=repr(exc))
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc


@app.task
def email_resend_pending_task(older_than_seconds: int = 600) -> int:
    """Send again, each in its own schema, the e-mails still unsent after ten minutes.

    A message is never lost: if the broker was down when it was queued, dropped the task, or
    a worker died mid-send, the row is still pending and this periodic job hands it out
    again. Handing it out twice is harmless: email_send locks the row and sends it once.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = OutgoingEmail.objects.filter(
        sent_at__isnull=True, created_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", "schema_name")
    count = 0
    for email_id, schema_name in pending.iterator():
        with schema_context(schema_name):
            task_dispatch(email_send_task, email_id=email_id)
        count += 1
    return count
