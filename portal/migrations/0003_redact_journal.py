"""Mask the reset links, confirmation links and adhesion codes already in the e-mail journal.

Rows written before sealing existed hold them in clear. Their secrets are masked in the body
and in the key; an unsent one can no longer carry its link, so it is retired with a note
(its owner asks again: « Mot de passe oublié », or staff send a new adhesion).
"""

import hashlib
import re

from django.conf import settings
from django.db import migrations

RESET_KEY = re.compile(r"^password-reset:(?P<uid>[^:]+):(?P<token>.+)$")
LINK_TOKEN = re.compile(r"(/(?:mot-de-passe/nouveau|inscription/confirmer)/[^/\s]+/)([^/\s]+)(/)")
ACTIVATION = re.compile(r"(activationCode=)([^&\s]+)")
CODE_LINE = re.compile(r"^(\s+)([ACDEFGHJKMNPQRTUVWXY34679]{10})\s*$", re.MULTILINE)
MASK = "[masqué]"
MAX_ATTEMPTS = 10


def redact(apps, schema_editor):
    # The journal is in the public schema; django-tenants runs this in every schema too.
    if schema_editor is not None and schema_editor.connection.schema_name != "public":
        return
    OutgoingEmail = apps.get_model("portal", "OutgoingEmail")
    for email in OutgoingEmail.objects.filter(
        key__regex=r"^(password-reset|confirm-email|adhesion-code):"
    ).iterator():
        body = LINK_TOKEN.sub(rf"\1{MASK}\3", email.body)
        body = ACTIVATION.sub(rf"\1{MASK}", body)
        body = CODE_LINE.sub(rf"\1{MASK}", body)
        email.body = body
        match = RESET_KEY.match(email.key)
        if match:
            digest = hashlib.sha256(f"{settings.SECRET_KEY}:{match['token']}".encode()).hexdigest()[
                :40
            ]
            email.key = f"password-reset:{match['uid']}:{digest}"
        fields = ["body", "key"]
        if email.sent_at is None:
            email.attempts = MAX_ATTEMPTS
            email.last_error = "Lien masqué avant l'envoi : à redemander."
            fields += ["attempts", "last_error"]
        email.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_outgoing_email_sealed_secrets")]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
