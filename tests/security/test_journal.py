"""Reset links and adhesion codes reach their recipient but never rest in the e-mail journal."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core import mail
from django.utils.html import escape

from families.models import Foyer
from families.services import adhesion_code_send
from portal.models import OutgoingEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _only_row(**filters) -> OutgoingEmail:
    (row,) = OutgoingEmail.objects.filter(**filters)
    return row


def test_password_reset_link_is_sent_but_not_journaled(
    client_a, tenant_a, django_capture_on_commit_callbacks
):
    UserFactory(email="oubli@exemple.test")
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post("/mot-de-passe/oublie/", {"email": "oubli@exemple.test"})
    (sent,) = mail.outbox
    link = re.search(r"/mot-de-passe/nouveau/([^/]+)/([^/\s]+)/", sent.body)
    uid, token = link.groups()
    row = _only_row(recipient="oubli@exemple.test")
    assert token not in row.body and token not in row.key
    assert "[masqué n°1]" in row.body
    assert row.sealed_secrets == ""  # erased once sent
    # The link works: the reset page accepts it.
    response = client_a.get(f"/mot-de-passe/nouveau/{uid}/{token}/", follow=True)
    assert response.context["validlink"] is True


def test_adhesion_code_is_sent_but_not_journaled(
    tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        foyer = Foyer.objects.create(name="SECRET", email="secret@exemple.test")
        adhesion_code_send(foyer=foyer)
    (sent,) = mail.outbox
    code = re.search(r"activationCode=([A-Z0-9]+)", sent.body).group(1)
    assert f"\n    {code}\n" in sent.body
    row = _only_row(recipient="secret@exemple.test")
    assert code not in row.body and code not in row.key
    assert "activationCode=[masqué n°1]" in row.body


def test_the_platform_admin_shows_the_masked_body(
    public_client, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        foyer = Foyer.objects.create(name="SECRET", email="secret@exemple.test")
        adhesion_code_send(foyer=foyer)
    code = re.search(r"activationCode=([A-Z0-9]+)", mail.outbox[0].body).group(1)
    row = _only_row(recipient="secret@exemple.test")
    public_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    body = public_client.get(f"/admin/portal/outgoingemail/{row.pk}/change/").content.decode()
    assert escape("[masqué n°1]") in body
    assert code not in body


def test_an_unsent_email_keeps_its_secret_sealed_until_sent(tenant_a, in_tenant, settings):
    from portal.services import email_queue, email_send

    with in_tenant(tenant_a):
        row = email_queue(
            to="x@exemple.test", subject="S", body="code ABC123 ici", key="k", secrets=["ABC123"]
        )
        assert "ABC123" not in row.sealed_secrets and row.sealed_secrets
        assert row.body == "code [masqué n°1] ici"
        assert email_send(email_id=row.pk)  # on_commit never ran: the test's transaction
    assert mail.outbox[0].body == "code ABC123 ici"


def test_the_migration_masks_rows_written_in_clear(tenant_a):
    migration = importlib.import_module("portal.migrations.0003_redact_journal")
    reset = OutgoingEmail.objects.create(
        schema_name="alpha",
        key="password-reset:MQ:abc123-def456",
        recipient="a@exemple.test",
        subject="S",
        body="http://alpha.localhost/mot-de-passe/nouveau/MQ/abc123-def456/\n",
    )
    code = OutgoingEmail.objects.create(
        schema_name="alpha",
        key="adhesion-code:7",
        recipient="b@exemple.test",
        subject="S",
        body="lien ?activationCode=KUD7QX9MAE&email=b\n\n    KUD7QX9MAE\n\nfin",
    )
    from django.apps import apps

    migration.redact(apps, None)
    reset.refresh_from_db()
    code.refresh_from_db()
    assert "abc123-def456" not in reset.body + reset.key
    assert "KUD7QX9MAE" not in code.body
    assert code.attempts == migration.MAX_ATTEMPTS  # unsent: retired, never sent masked
