"""Invoices as spreadsheets for staff and the Trésorerie: CSV (Excel-friendly) and XLSX.

Cells a spreadsheet would read as a formula (= + - @, tab, carriage return first) are written
with a leading apostrophe: a foyer's name is typed by families.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = [
    "Numéro",
    "Émise le",
    "Foyer",
    "Au nom de",
    "Service",
    "Du",
    "Au",
    "Montant",
    "Réglé",
    "Avoirs",
    "Reste dû",
    "État",
]


def safe(value):
    """Return ``value`` so that no spreadsheet evaluates it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def invoice_rows(invoices: Iterable) -> Iterable[list]:
    for invoice in invoices:
        yield [
            invoice.number,
            invoice.issued_on,
            invoice.foyer_name,
            invoice.payer_name,
            invoice.service_name,
            invoice.period_start,
            invoice.period_end,
            invoice.total,
            invoice.amount_paid,
            invoice.amount_credited,
            invoice.total - invoice.amount_paid - invoice.amount_credited,
            invoice.get_status_display(),
        ]


def _csv_cell(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return safe(str(value))


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel opens UTF-8 with accents only with a BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow(header)
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return response


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Factures")
    sheet.append(list(header))
    for row in rows:
        sheet.append([safe(value) if isinstance(value, str) else value for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
