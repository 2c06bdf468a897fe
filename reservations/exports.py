"""CSV files of the staff's sheets, safe to open in a spreadsheet.

Names are typed by parents: « =HYPERLINK(…) » in a child's name would become a live formula
in the mairie's spreadsheet (CSV injection). Every cell goes through ``safe_cell``, the one
place to point at the platform's spreadsheet module when it exists.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Return ``value`` inert in a spreadsheet: text starting a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    """Return a CSV download as French Excel reads it: UTF-8 with a BOM, semicolons."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel opens UTF-8 with accents only with a BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response
