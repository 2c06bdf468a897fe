"""The collectivité's admin of billing: tariffs, numbering, « Générer les factures » with its
preview and progress, invoices (read-only, searchable, exportable) and their credit notes."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from billing.exceptions import BillingError
from billing.exports import HEADER, csv_response, invoice_rows, xlsx_response
from billing.forms import BillingProfileForm, BracketFormSet, CreditForm, TariffForm
from billing.models import (
    BillingProfile,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    Tariff,
    TariffBracket,
)
from billing.rules import last_month
from billing.services.credits import credit_note_issue
from billing.services.duties import may
from billing.services.invoicing import invoice_preview, services_to_bill
from billing.services.runs import invoice_run_start
from portal.admin_sites import tenant_admin_site
from portal.forms import DatePicker
from portal.search import ForgivingSearchMixin
from reservations.models import BillingMode, Service

ISSUE = "billing.issue"
CORRECT = "billing.correct"
EXPORT = "billing.export"
RUN_QUEUED = "La génération des factures a commencé : suivez sa progression ci-dessous."
CREDIT_ISSUED = "Avoir {number} émis ({amount} €)."


class TariffBracketInline(admin.TabularInline):
    model = TariffBracket
    formset = BracketFormSet
    extra = 0
    fields = ["qf_min", "qf_max", "price"]
    verbose_name = "tranche (mode « par tranche » seulement)"


@admin.register(Tariff, site=tenant_admin_site)
class TariffAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    form = TariffForm
    list_display = ["prestation", "label", "valid_from", "valid_to", "price_mode", "price"]
    list_filter = ["prestation__service", "prestation", "price_mode"]
    search_fields = ["label", "prestation__name", "prestation__service__name"]
    list_select_related = ["prestation"]
    date_hierarchy = "valid_from"
    inlines = [TariffBracketInline]
    fieldsets = [
        (None, {"fields": ["prestation", "label", ("valid_from", "valid_to")]}),
        (
            "Prix",
            {
                "fields": ["price_mode", "price", "unbooked_price", "unjustified_absence_price"],
                "description": (
                    "Le prix s'applique par jour, par heure ou par forfait selon le type de "
                    "la prestation. Les prix « non prévu » et « absence injustifiée » "
                    "remplacent le prix normal ; vides, le prix normal s'applique."
                ),
            },
        ),
        ("Taux d'effort", {"fields": ["effort_rate", ("effort_min", "effort_max")]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # A tariff is ended (« au »), never deleted: invoices were priced with it.
        return False


@admin.register(BillingProfile, site=tenant_admin_site)
class BillingProfileAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    form = BillingProfileForm
    list_display = ["service", "code", "invoice_pattern", "due_days"]
    list_select_related = ["service"]
    search_fields = ["service__name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False


class RunForm(forms.Form):
    service = forms.ModelChoiceField(
        label="Service",
        queryset=Service.objects.filter(billing_mode=BillingMode.POSTFACTURATION),
        empty_label=None,
    )
    start = forms.DateField(label="Du", widget=DatePicker())
    end = forms.DateField(label="Au", widget=DatePicker())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("La fin de la période précède son début.")
        return data


@admin.register(InvoiceRun, site=tenant_admin_site)
class InvoiceRunAdmin(admin.ModelAdmin):
    list_display = [
        "service",
        "period_start",
        "period_end",
        "status",
        "invoices_created",
        "total",
        "created_at",
    ]
    list_filter = ["service", "status"]
    date_hierarchy = "period_start"
    list_select_related = ["service"]

    def get_urls(self):
        own = [
            path(
                "<int:pk>/progression/",
                self.admin_site.admin_view(self.progress_view),
                name="billing_invoicerun_progress",
            ),
        ]
        return own + super().get_urls()

    def has_add_permission(self, request):
        return request.user.has_perm(ISSUE)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """« Générer les factures »: a service and a period (last month by default), an
        « Aperçu » that writes nothing, then « Générer »."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        start, end = last_month(timezone.localdate())
        # The service proposed first is one with something left to bill last month.
        # « Aujourd'hui » links here with ?service=; otherwise the first one left to bill.
        asked = request.GET.get("service", "")
        to_bill = services_to_bill(start=start, end=end)
        chosen = next((x for x in to_bill if str(x.pk) == asked), to_bill[0] if to_bill else None)
        initial = {"start": start, "end": end, "service": chosen}
        form = RunForm(request.POST or None, initial=initial)
        preview = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if "generer" in request.POST:
                try:
                    run = invoice_run_start(
                        service=data["service"],
                        start=data["start"],
                        end=data["end"],
                        user=request.user,
                    )
                except BillingError as error:
                    form.add_error(None, error.message)
                else:
                    self.message_user(request, RUN_QUEUED, messages.SUCCESS)
                    return redirect(reverse("admin:billing_invoicerun_change", args=[run.pk]))
            else:
                preview = invoice_preview(
                    service=data["service"], start=data["start"], end=data["end"]
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Générer les factures",
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/billing/invoicerun/generate.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A run and its progress bar, refreshed every second while it works."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(InvoiceRun.objects.select_related("service"), pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Génération des factures — {run}",
            "opts": self.model._meta,
            "run": run,
        }
        return TemplateResponse(request, "admin/billing/invoicerun/detail.html", context)

    def progress_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(InvoiceRun, pk=pk)
        return render(request, "admin/billing/invoicerun/_progress.html", {"run": run})


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["child_name", "day", "label", "quantity", "unit_price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class CreditNoteInline(admin.TabularInline):
    model = CreditNote
    fields = ["number", "issued_on", "reason", "total"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice, site=tenant_admin_site)
class InvoiceAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "issued_on",
        "foyer_name",
        "service_name",
        "period_start",
        "total",
        "amount_paid",
        "amount_credited",
        "status",
    ]
    list_filter = ["service", "status", "kind", "period_start"]
    search_fields = ["number", "foyer_name", "payer_name", "foyer__name"]
    date_hierarchy = "issued_on"
    list_select_related = ["service"]
    inlines = [InvoiceLineInline, CreditNoteInline]
    readonly_fields = [
        "kind",
        "number",
        "service_name",
        "foyer_name",
        "payer_name",
        "payer_address",
        "period_start",
        "period_end",
        "issued_on",
        "due_on",
        "total",
        "amount_paid",
        "amount_credited",
        "status",
        "paid_at",
        "emailed_at",
    ]
    fields = readonly_fields
    actions = ["export_csv", "export_xlsx"]
    change_list_template = "admin/billing/invoice/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path(
                "<int:pk>/avoir/",
                self.admin_site.admin_view(self.credit_view),
                name="billing_invoice_credit",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["totals"] = changelist.queryset.aggregate(
                count=Count("pk"),
                total=Sum("total"),
                paid=Sum("amount_paid"),
                credited=Sum("amount_credited"),
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            **(extra_context or {}),
            "can_credit": may(request.user, CORRECT),
            "credit_url": reverse("admin:billing_invoice_credit", args=[object_id]),
            "can_collect": may(request.user, "billing.collect"),
            "collect_url": reverse("admin:billing_payment_add") + f"?facture={object_id}",
        }
        return super().change_view(request, object_id, form_url, extra)

    def credit_view(self, request, pk):
        """« Émettre un avoir »: a reason and the lines (none ticked: the whole invoice)."""
        if not may(request.user, CORRECT):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice, pk=pk)
        form = CreditForm(request.POST or None, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            line_ids = [int(pk) for pk in form.cleaned_data["lines"]] or None
            try:
                credit = credit_note_issue(
                    invoice=invoice,
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                    line_ids=line_ids,
                )
            except BillingError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    CREDIT_ISSUED.format(number=credit.number, amount=credit.total),
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Émettre un avoir sur la facture {invoice.number}",
            "opts": self.model._meta,
            "original": invoice,
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/invoice/credit.html", context)

    def _export(self, request, queryset, respond, extension):
        if not request.user.has_perm(EXPORT):
            raise PermissionDenied
        rows = invoice_rows(queryset.order_by("number"))
        return respond(f"factures-{timezone.localdate():%Y-%m-%d}.{extension}", HEADER, rows)

    def has_export_permission(self, request):
        return request.user.has_perm(EXPORT)

    @admin.action(description="Exporter les factures sélectionnées (CSV)", permissions=["export"])
    def export_csv(self, request, queryset):
        return self._export(request, queryset, csv_response, "csv")

    @admin.action(description="Exporter les factures sélectionnées (XLSX)", permissions=["export"])
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, xlsx_response, "xlsx")


@admin.register(CreditNote, site=tenant_admin_site)
class CreditNoteAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = ["number", "issued_on", "invoice", "reason", "total"]
    search_fields = ["number", "invoice__number", "invoice__foyer_name", "reason"]
    list_filter = ["invoice__service"]
    date_hierarchy = "issued_on"
    list_select_related = ["invoice"]
    readonly_fields = ["number", "invoice", "issued_on", "reason", "total"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from billing import (  # noqa: E402, F401
    admin_attendance,
    admin_payments,
    admin_regie,
    admin_reports,
)
