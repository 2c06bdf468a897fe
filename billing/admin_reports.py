"""What the régisseur and the comptable read: « Encaissements » (collections and arrears by
month, a server-side SVG with its table, and the payments journal by day and mode for the
deposit to the Trésorerie) and the « état d'encaissement récapitulatif des prestations »
(CSV, XLSX, PDF)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone

from billing.admin_payments import ReadOnlyAdmin
from billing.exports import csv_response, xlsx_response
from billing.models import CollectionsReport, EncaissementStatement
from billing.reports import (
    chart_context,
    encaissement_statement,
    payments_journal,
    statement_table,
)
from billing.rules import last_month
from portal.admin_sites import tenant_admin_site
from portal.forms import DatePicker
from reservations.models import Service

EXPORT = "billing.export"


class PeriodForm(forms.Form):
    start = forms.DateField(label="Du", widget=DatePicker())
    end = forms.DateField(label="Au", widget=DatePicker())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("La fin de la période précède son début.")
        return data


class StatementForm(PeriodForm):
    service = forms.ModelChoiceField(
        label="Service", queryset=Service.objects.all(), empty_label=None
    )
    field_order = ["service", "start", "end"]


@admin.register(CollectionsReport, site=tenant_admin_site)
class CollectionsReportAdmin(ReadOnlyAdmin):
    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        start, end = last_month(timezone.localdate())
        today = timezone.localdate()
        form = PeriodForm(
            request.GET or None, initial={"start": today.replace(day=1), "end": today}
        )
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            start, end = today.replace(day=1), today
        context = {
            **self.admin_site.each_context(request),
            "title": "Encaissements",
            "opts": self.model._meta,
            "form": form,
            "journal": payments_journal(start=start, end=end),
            "start": start,
            "end": end,
            **chart_context(),
        }
        return TemplateResponse(request, "admin/billing/collections.html", context)


@admin.register(EncaissementStatement, site=tenant_admin_site)
class EncaissementStatementAdmin(ReadOnlyAdmin):
    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        start, end = last_month(timezone.localdate())
        form = StatementForm(
            request.GET or None,
            initial={"start": start, "end": end, "service": Service.objects.first()},
        )
        statement = None
        if form.is_valid():
            data = form.cleaned_data
            statement = encaissement_statement(
                service=data["service"], start=data["start"], end=data["end"]
            )
            export = request.GET.get("format")
            if export:
                if not request.user.has_perm(EXPORT):
                    raise PermissionDenied
                return statement_export(statement, export)
        context = {
            **self.admin_site.each_context(request),
            "title": "État d'encaissement récapitulatif des prestations",
            "opts": self.model._meta,
            "form": form,
            "statement": statement,
            "table": statement_table(statement) if statement else None,
            "can_export": request.user.has_perm(EXPORT),
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/billing/statement.html", context)


def statement_export(statement, export: str) -> HttpResponse:
    header, rows = statement_table(statement)
    name = f"etat-encaissement-{statement.start:%Y%m%d}-{statement.end:%Y%m%d}"
    if export == "csv":
        return csv_response(f"{name}.csv", header, rows)
    if export == "xlsx":
        return xlsx_response(f"{name}.xlsx", header, rows)
    if export == "pdf":
        return statement_pdf(statement, header, rows, name)
    raise PermissionDenied


def statement_pdf(statement, header, rows, name: str) -> HttpResponse:
    """The statement as a PDF: monospaced lines (one text box, as billing.documents does)."""
    from weasyprint import HTML

    from billing.documents import euros

    def cell(value):
        if hasattr(value, "quantize"):
            return euros(value)
        if hasattr(value, "strftime"):
            return f"{value:%d/%m/%Y}"
        return str(value)

    widths = [max(len(str(h)), *(len(cell(r[i])) for r in rows)) for i, h in enumerate(header)]
    lines = [
        "  ".join(
            cell(value).rjust(widths[i]) if i >= 3 else cell(value).ljust(widths[i])
            for i, value in enumerate(row)
        )
        for row in rows
    ]
    head = "  ".join(str(h).ljust(widths[i]) for i, h in enumerate(header))
    html = render_to_string(
        "billing/pdf/statement.html",
        {"statement": statement, "head": head, "lines": "\n".join(lines)},
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
