"""Invoices as spreadsheets for staff and the Trésorerie: CSV (as French Excel reads it) and
XLSX, every cell made inert by portal.spreadsheets (a foyer's name is typed by families)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse

from portal import spreadsheets

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
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _french(value):
    """« 44,80 » and « 01/12/2026 »: what a French spreadsheet reads as a number and a date."""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    return spreadsheets.csv_response(
        filename, header, ([_french(value) for value in row] for row in rows)
    )


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """An XLSX keeps numbers and dates typed (the spreadsheet formats them)."""
    response = HttpResponse(spreadsheets.xlsx_bytes(header, rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
