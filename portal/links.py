"""Absolute links for e-mails, which are built outside any request."""

from __future__ import annotations

from django.conf import settings


def site_url(domain: str, path: str = "/") -> str:
    """Return the absolute URL of ``path`` on ``domain`` (scheme and port from settings)."""
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{domain}{port}{path}"


def request_site_url(request, domain: str) -> str:
    """Return the URL of ``domain``'s home, keeping the scheme and port of ``request``."""
    _, _, port = request.get_host().partition(":")
    return f"{request.scheme}://{domain}{':' + port if port else ''}/"


def account_collectivite_links(request) -> list:
    """Return [(AccountCollectivite, home URL)] for the logged-in account (two queries)."""
    from tenants.selectors import collectivites_for_user

    return [
        (entry, request_site_url(request, entry.domain))
        for entry in collectivites_for_user(user=request.user)
        if entry.domain
    ]
