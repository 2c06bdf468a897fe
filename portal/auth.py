"""Authentication helpers shared by the login forms and the lockout (django-axes)."""

from __future__ import annotations


def normalise_email(value) -> str:
    """Return an e-mail as accounts store it: trimmed and lower-cased."""
    return str(value or "").strip().lower()


def axes_username(request, credentials: dict | None = None) -> str:
    """Return the login's e-mail, normalised, as django-axes keys its lockout.

    Logins match e-mails case-insensitively: keyed on the typed text, « Marie@x » and
    « marie@x » would be two accounts to axes, one lock each.
    """
    if credentials:
        return normalise_email(credentials.get("username"))
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalise_email(data.get("username"))
