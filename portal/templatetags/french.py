"""French agreement in templates: « 0 enfant attendu », « 1 facture », « 2 factures ».

Django's ``pluralize`` treats 0 as plural (« 0 enfants »); in French, 0 and 1 take the
singular.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pluriel(count, suffix: str = "s") -> str:
    """Return ``suffix`` when ``count`` (a number or a sized collection) is 2 or more."""
    try:
        number = len(count) if hasattr(count, "__len__") else int(count)
    except (TypeError, ValueError):
        return ""
    return suffix if abs(number) >= 2 else ""
