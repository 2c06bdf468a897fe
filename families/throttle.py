"""Counting wrong adhesion codes per IP address and per account (django-ratelimit's cache)."""

from __future__ import annotations

from django_ratelimit.core import get_usage

from families.rules import CODE_ATTEMPTS_PER_HOUR

GROUP = "adhesion-code"
RATE = f"{CODE_ATTEMPTS_PER_HOUR}/h"


def _keys(request) -> list[str]:
    return ["ip", "user"] if request.user.is_authenticated else ["ip"]


def code_attempts_blocked(request) -> bool:
    """Tell whether this IP address or this account spent its wrong codes for the hour."""
    for key in _keys(request):
        usage = get_usage(request, group=GROUP, key=key, rate=RATE, increment=False)
        if usage and usage["count"] >= usage["limit"]:
            return True
    return False


def code_attempt_failed(request) -> None:
    """Count one wrong code for this IP address and this account."""
    for key in _keys(request):
        get_usage(request, group=GROUP, key=key, rate=RATE, increment=True)
