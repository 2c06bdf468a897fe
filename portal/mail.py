"""Development e-mail backend: one .eml file per message in EMAIL_OUTBOX_DIR."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.crypto import get_random_string


class OutboxEmailBackend(BaseEmailBackend):
    """Write each message as ``<time>-<recipient>-<random>.eml``, openable by any mail client.

    Django's file backend appends a whole session to one .log file; a newcomer wants to
    double-click the activation e-mail instead.
    """

    def __init__(self, *args, outbox_dir: str | Path | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox_dir = Path(outbox_dir or settings.EMAIL_OUTBOX_DIR)

    def send_messages(self, email_messages) -> int:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            recipient = re.sub(r"[^\w.@-]", "_", (message.to or ["inconnu"])[0])
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = self.outbox_dir / f"{stamp}-{recipient}-{get_random_string(6)}.eml"
            path.write_bytes(message.message().as_bytes())
            sent += 1
        return sent
