"""Machine-readable times for <time datetime>: ISO 8601 to the second, in Paris time."""

from __future__ import annotations

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_seconds(value) -> str:
    """Return ``value`` as 2026-01-12T09:00:00+01:00 (no microseconds: the Nu checker)."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.isoformat(timespec="seconds")
