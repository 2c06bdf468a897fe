"""Absolute links for e-mails, which are built outside any request."""

from __future__ import annotations

from django.conf import settings


def site_url(domain: str, path: str = "/") -> str:
    """Return the absolute URL of ``path`` on ``domain`` (scheme and port from settings)."""
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{domain}{port}{path}"
