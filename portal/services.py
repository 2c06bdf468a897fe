"""E-mail: queued once per (event, recipient), sent after commit by a Celery task."""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from portal import sealing
from portal.dispatch import task_dispatch_on_commit
from portal.models import OutgoingEmail

logger = logging.getLogger(__name__)


def email_queue(
    *,
    to: str,
    subject: str,
    body: str,
    key: str,
    html_body: str = "",
    secrets: tuple[str, ...] | list[str] = (),
) -> OutgoingEmail:
    """Record the e-mail of event ``key`` for ``to`` and send it once the transaction commits.

    Queuing the same (key, recipient) again in the same collectivité returns the first row
    and sends nothing more: callers may retry freely. ``secrets`` (a reset token, an adhesion
    code) are masked in the journal and sealed until sending (portal.sealing); ``key`` must
    not hold one.
    """
    from portal.tasks import email_send_task

    secrets = [secret for secret in secrets if secret]
    email, created = OutgoingEmail.objects.get_or_create(
        schema_name=connection.schema_name,
        key=key,
        recipient=to.lower(),
        defaults={
            "subject": subject,
            "body": sealing.redact(body, secrets),
            "html_body": sealing.redact(html_body, secrets),
            "sealed_secrets": sealing.seal(secrets),
        },
    )
    if created:
        task_dispatch_on_commit(email_send_task, email_id=email.pk)
    return email


def _sender(schema_name: str) -> tuple[str, list[str]]:
    """Return the From address and Reply-To list of the collectivité of ``schema_name``.

    Messages come from the platform's no-reply address under the collectivité's name, and a
    parent's reply goes to the mairie's own address.
    """
    from tenants.models import Collectivite

    tenant = Collectivite.objects.filter(schema_name=schema_name).first()
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if tenant is None or tenant.is_public:
        return settings.DEFAULT_FROM_EMAIL, []
    return formataddr((tenant.name, address)), [tenant.email] if tenant.email else []


def email_send(*, email_id: int) -> bool:
    """Send the queued e-mail ``email_id`` unless already sent; return whether it was sent now.

    The row is locked while sending, so two workers handed the same task send it once.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.sent_at is not None:
            return False
        if email.schema_name != connection.schema_name:
            raise RuntimeError(
                f"E-mail {email_id} belongs to schema {email.schema_name!r}, "
                f"task runs in {connection.schema_name!r}"
            )
        from_email, reply_to = _sender(email.schema_name)
        secrets = sealing.unseal(email.sealed_secrets)
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=sealing.restore(email.body, secrets),
            from_email=from_email,
            to=[email.recipient],
            reply_to=reply_to,
            headers={"X-Espace-Famille-Event": email.key},
        )
        if email.html_body:
            message.attach_alternative(sealing.restore(email.html_body, secrets), "text/html")
        message.send()
        email.sent_at = timezone.now()
        email.attempts += 1
        email.last_error = ""
        email.sealed_secrets = ""  # sent: the secrets have no reason to stay
        email.save(update_fields=["sent_at", "attempts", "last_error", "sealed_secrets"])
    logger.info("E-mail %s sent to %s (%s)", email_id, email.recipient, email.key)
    return True


def email_record_failure(*, email_id: int, error: str) -> None:
    """Count a failed attempt to send ``email_id`` and keep its error for the admin."""
    OutgoingEmail.objects.filter(pk=email_id).update(
        attempts=F("attempts") + 1, last_error=error[:2000]
    )


def account_signup(*, form, confirm_url_for) -> object:
    """Create an inactive account from the signup form and e-mail its confirmation link.

    ``confirm_url_for(user)`` returns the absolute confirmation URL. The account can log in
    once the link is followed (portal.views.signup_confirm). When the address already has
    an account, nothing is created: its owner gets an e-mail saying so, and None is returned
    (the page says the same in both cases).
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.template.loader import render_to_string

    email = form.cleaned_data["email"]
    existing = get_user_model().objects.filter(email__iexact=email).first()
    if existing is not None:
        # Same page, same work (a password hashed), and a word to the real owner.
        make_password(form.cleaned_data["password1"])
        email_queue(
            to=existing.email,
            subject="Vous avez déjà un compte — Espace Famille",
            body=render_to_string("portal/emails/account_exists.txt", {"user": existing}),
            # At most one such e-mail a day per account, however often the form is posted.
            key=f"signup-existing:{existing.pk}:{timezone.localdate().isoformat()}",
        )
        return None
    with transaction.atomic():
        user = form.save(commit=False)
        user.set_password(form.cleaned_data["password1"])
        user.is_active = False
        user.full_clean()
        user.save()
        url = confirm_url_for(user)
        email_queue(
            to=user.email,
            subject="Confirmez votre adresse e-mail — Espace Famille",
            body=render_to_string("portal/emails/confirm_email.txt", {"user": user, "url": url}),
            key=f"confirm-email:{user.pk}",
            secrets=[url],
        )
    return user


def account_confirm_email(*, user) -> None:
    """Mark the account's address as confirmed and let it log in."""
    user.is_active = True
    user.email_confirmed_at = timezone.now()
    user.save(update_fields=["is_active", "email_confirmed_at"])
