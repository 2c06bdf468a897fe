"""Secrets of queued e-mails, sealed in the journal until the e-mail is sent.

A password-reset link or an adhesion code must reach the recipient, yet never be readable
in the journal (``portal.OutgoingEmail``) or its admin. The journal keeps the body with each
secret replaced by a marker, and the secrets themselves encrypted (Fernet, key derived from
SECRET_KEY); they are put back at sending time and erased once the e-mail is sent.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

MARKER = "[masqué n°{index}]"


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"portal.sealing:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def redact(text: str, secrets: list[str]) -> str:
    """Return ``text`` with every occurrence of each secret replaced by its marker."""
    # Longest first: a secret inside another (a code inside its link) leaves no remnant.
    for index, secret in sorted(enumerate(secrets, 1), key=lambda item: -len(item[1])):
        if secret:
            text = text.replace(secret, MARKER.format(index=index))
    return text


def restore(text: str, secrets: list[str]) -> str:
    """Return ``text`` with each marker replaced by its secret again."""
    for index, secret in enumerate(secrets, 1):
        text = text.replace(MARKER.format(index=index), secret)
    return text


def seal(secrets: list[str]) -> str:
    return _fernet().encrypt(json.dumps(secrets).encode()).decode() if secrets else ""


def unseal(sealed: str) -> list[str]:
    """Return the sealed secrets; [] if none or if SECRET_KEY changed since (cannot be read)."""
    if not sealed:
        return []
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except InvalidToken:
        return []


def key_digest(secret_part: str) -> str:
    """Return a stable, one-way name for a journal key built from a secret (a reset token)."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{secret_part}".encode()).hexdigest()[:40]
