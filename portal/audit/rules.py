"""How an audit entry reads in the admin and in a CSV file. Pure: no Django.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return before
one) as a formula: an object name typed by anyone could then run in the administrateur's
spreadsheet. Such a cell gets a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

from collections.abc import Mapping

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ARROW = " → "


def csv_cell(value: object) -> str:
    """Return ``value`` as a CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def changes_text(changes: Mapping[str, list] | None, names: Mapping[str, str]) -> str:
    """Return « champ : avant → après » lines for auditlog's ``changes``, fields by ``names``."""
    lines = []
    for field, values in (changes or {}).items():
        before, after = [*list(values), None, None][:2]
        label = names.get(field, field)
        lines.append(f"{label} : {_shown(before)}{ARROW}{_shown(after)}")
    return "\n".join(lines)


def _shown(value: object) -> str:
    # auditlog writes a missing value as the string "None".
    return "—" if value in (None, "None", "") else str(value)
