"""Cells written to CSV or XLSX files that staff open in a spreadsheet, made inert.

A child's name is typed by its parents: « =HYPERLINK("http://…";"Léa") » in a name becomes a
live formula in the mairie's spreadsheet (CSV injection, OWASP). Every text cell starting
with = + - @ or a tab / carriage return gets a leading apostrophe, which spreadsheets show as
text and hide. Every CSV or XLSX the portal writes goes through ``neutralise``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Return ``value`` safe for a spreadsheet cell: text starting a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_row(row: Iterable) -> list:
    return [neutralise(value) for value in row]


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """Return a CSV as French Excel reads it (semicolons), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(neutralise_row(header))
    for row in rows:
        writer.writerow(neutralise_row(row))
    return buffer.getvalue()


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> HttpResponse:
    """Return a CSV download (UTF-8 with BOM, so that Excel reads the accents)."""
    response = HttpResponse(
        "\ufeff" + csv_text(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(header: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    """Return an XLSX workbook of one sheet, every cell neutralised (openpyxl)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(neutralise_row(header))
    for row in rows:
        sheet.append(neutralise_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
