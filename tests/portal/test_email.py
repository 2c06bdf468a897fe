"""E-mails: queued once per event and recipient, sent in the collectivité's name."""

from __future__ import annotations

import email
from datetime import timedelta
from email.utils import parseaddr
from smtplib import SMTPException

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from portal.mail import OutboxEmailBackend
from portal.models import OutgoingEmail
from portal.services import email_queue, email_send
from portal.tasks import email_resend_pending_task, email_send_task

pytestmark = pytest.mark.django_db


def test_same_event_twice_sends_one_email_in_the_collectivites_name(
    tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        first = email_queue(to="Parent@Exemple.test", subject="Bienvenue", body="Bonjour", key="k1")
        again = email_queue(to="parent@exemple.test", subject="Bienvenue", body="Bonjour", key="k1")
    assert first.pk == again.pk
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["parent@exemple.test"]
    assert parseaddr(message.from_email)[0] == "COMMUNE D'ALPHA"
    assert message.reply_to == ["mairie@alpha.test"]
    first.refresh_from_db()
    assert first.sent_at is not None
    assert first.schema_name == "alpha"


def test_a_sent_email_is_not_sent_again(tenant_a, in_tenant, django_capture_on_commit_callbacks):
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            queued = email_queue(to="a@exemple.test", subject="S", body="B", key="k2")
        assert email_send(email_id=queued.pk) is False
        email_send_task.delay(email_id=queued.pk)
    assert len(mail.outbox) == 1


def test_the_task_refuses_an_email_of_another_schema(tenant_a, tenant_b, in_tenant):
    with in_tenant(tenant_a):
        queued = OutgoingEmail.objects.create(
            schema_name="alpha", key="k3", recipient="a@exemple.test", subject="S", body="B"
        )
    with in_tenant(tenant_b), pytest.raises(RuntimeError, match="belongs to schema 'alpha'"):
        email_send(email_id=queued.pk)
    assert mail.outbox == []


def test_a_failed_send_is_recorded_and_kept_for_later(tenant_a, in_tenant, settings):
    settings.EMAIL_BACKEND = "tests.portal.test_email.FailingBackend"
    with in_tenant(tenant_a):
        queued = OutgoingEmail.objects.create(
            schema_name="alpha", key="k4", recipient="a@exemple.test", subject="S", body="B"
        )
        with pytest.raises(Retry):
            email_send_task.apply(kwargs={"email_id": queued.pk}, throw=True)
    queued.refresh_from_db()
    assert queued.sent_at is None
    assert queued.attempts >= 1
    assert "serveur indisponible" in queued.last_error


def test_pending_emails_are_handed_out_again_in_their_schema(tenant_a, tenant_b):
    old = timezone.now() - timedelta(minutes=30)
    for schema in ("alpha", "beta"):
        row = OutgoingEmail.objects.create(
            schema_name=schema, key="k5", recipient=f"{schema}@exemple.test", subject="S", body="B"
        )
        OutgoingEmail.objects.filter(pk=row.pk).update(created_at=old)
    OutgoingEmail.objects.create(
        schema_name="alpha", key="recent", recipient="r@exemple.test", subject="S", body="B"
    )
    assert email_resend_pending_task.delay().get() == 2
    reply_to = {m.to[0]: m.reply_to for m in mail.outbox}
    assert reply_to == {
        "alpha@exemple.test": ["mairie@alpha.test"],
        "beta@exemple.test": ["mairie@beta.test"],
    }


def test_outbox_backend_writes_one_eml_per_message(tmp_path):
    backend = OutboxEmailBackend(outbox_dir=tmp_path)
    sent = backend.send_messages(
        [
            EmailMessage("Adhésion à un service", "Votre code : ABC", "n@x.test", ["p@x.test"]),
            EmailMessage("Autre", "Texte", "n@x.test", ["q@x.test"]),
        ]
    )
    files = sorted(tmp_path.glob("*.eml"))
    assert sent == 2
    assert len(files) == 2
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["To"] in {"p@x.test", "q@x.test"}


class FailingBackend(OutboxEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPException("serveur indisponible")
