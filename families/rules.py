"""Adhesion codes: their alphabet, their shape and how they are compared. No Django imports."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: what parents type from an e-mail must not be ambiguous.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 10
# Wrong codes allowed per IP address and per account in one hour before a lockout.
CODE_ATTEMPTS_PER_HOUR = 20


def code_generate() -> str:
    """Return a new random code of CODE_LENGTH characters from CODE_ALPHABET."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_normalize(raw: str) -> str:
    """Return ``raw`` as a parent probably meant it: upper case, without spaces or dashes."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if ch.isalnum())


def code_is_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def code_hash(code: str, *, key: str) -> str:
    """Return the keyed SHA-256 of a normalised code, as stored (the code itself never is)."""
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()
