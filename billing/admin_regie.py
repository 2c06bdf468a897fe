"""Direct debit (mandates, runs, rejections), reminders and late payers, and the logged
exceptions to the segregation of duties, in the collectivité's admin."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from billing.admin_payments import ReadOnlyAdmin, counter_url
from billing.exceptions import BillingError
from billing.models import (
    DebitItem,
    DebitRun,
    DutyException,
    InvoiceKind,
    InvoiceStatus,
    LatePayer,
    Reminder,
    SepaMandate,
)
from billing.payments.counter import COLLECT
from billing.payments.sepa import debit_reject, debit_run_create, mandate_create
from billing.services.duties import GRANT, duty_exception_grant, duty_exception_revoke, may
from families.models import Foyer
from portal.admin_sites import tenant_admin_site
from portal.forms import DatePicker
from portal.models import User
from portal.search import ForgivingSearchMixin
from tenants.models import Membership

MANDATE_SAVED = "Mandat {rum} enregistré."
RUN_SAVED = "Lot de {count} prélèvements ({total} €) créé : téléchargez le fichier pain.008."
REJECTED = "Rejet enregistré : la facture {number} est de nouveau due."
GRANTED = "Exception accordée à {email} et journalisée."


class MandateForm(forms.Form):
    foyer = forms.ModelChoiceField(label="Foyer", queryset=Foyer.objects.order_by("name"))
    holder = forms.CharField(label="Titulaire du compte", max_length=70)
    iban = forms.CharField(label="IBAN", max_length=42)
    bic = forms.CharField(label="BIC", max_length=11)
    signed_on = forms.DateField(label="Signé le", widget=DatePicker())


@admin.register(SepaMandate, site=tenant_admin_site)
class SepaMandateAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = ["rum", "foyer", "holder", "iban_masked", "signed_on", "revoked_on"]
    search_fields = ["rum", "foyer__name", "holder"]
    list_filter = ["revoked_on"]
    list_select_related = ["foyer"]
    actions = ["revoke"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(COLLECT)  # by role: asked by every page's menu

    def add_view(self, request, form_url="", extra_context=None):
        if not may(request.user, COLLECT):
            raise PermissionDenied
        form = MandateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                mandate = mandate_create(user=request.user, **data)
            except BillingError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, MANDATE_SAVED.format(rum=mandate.rum), messages.SUCCESS)
                return redirect(reverse("admin:billing_sepamandate_changelist"))
        return _form_page(self, request, form, "Enregistrer un mandat de prélèvement")

    def has_collect_permission(self, request):
        return may(request.user, COLLECT)

    @admin.action(description="Révoquer les mandats sélectionnés", permissions=["collect"])
    def revoke(self, request, queryset):
        if not may(request.user, COLLECT):
            raise PermissionDenied
        queryset.filter(revoked_on__isnull=True).update(revoked_on=timezone.localdate())


def _form_page(model_admin, request, form, title, template="admin/billing/form.html", **extra):
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
        **extra,
    }
    return TemplateResponse(request, template, context)


class RunForm(forms.Form):
    collection_date = forms.DateField(label="Date du prélèvement", widget=DatePicker())


class RejectForm(forms.Form):
    code = forms.CharField(label="Code de rejet de la banque (AM04, MD01…)", max_length=10)


class DebitItemInline(admin.TabularInline):
    model = DebitItem
    fields = ["end_to_end_id", "invoice", "mandate", "amount", "reject_link"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Rejet")
    def reject_link(self, item):
        from django.utils.html import format_html

        url = reverse("admin:billing_debitrun_reject", args=[item.pk])
        return format_html('<a href="{}">Enregistrer un rejet</a>', url)


@admin.register(DebitRun, site=tenant_admin_site)
class DebitRunAdmin(ReadOnlyAdmin):
    list_display = ["collection_date", "count", "total", "message_id", "created_at"]
    date_hierarchy = "collection_date"
    fields = ["collection_date", "message_id", "count", "total", "created_at"]
    readonly_fields = fields
    inlines = [DebitItemInline]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(COLLECT)  # by role: asked by every page's menu

    def get_urls(self):
        own = [
            path(
                "<int:pk>/pain008/",
                self.admin_site.admin_view(self.xml_view),
                name="billing_debitrun_xml",
            ),
            path(
                "prelevement/<int:pk>/rejet/",
                self.admin_site.admin_view(self.reject_view),
                name="billing_debitrun_reject",
            ),
        ]
        return own + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        if not may(request.user, COLLECT):
            raise PermissionDenied
        form = RunForm(
            request.POST or None,
            initial={"collection_date": timezone.localdate() + timedelta(days=7)},
        )
        if request.method == "POST" and form.is_valid():
            try:
                run = debit_run_create(
                    collection_date=form.cleaned_data["collection_date"], user=request.user
                )
            except BillingError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, RUN_SAVED.format(count=run.count, total=run.total), messages.SUCCESS
                )
                return redirect(reverse("admin:billing_debitrun_change", args=[run.pk]))
        return _form_page(self, request, form, "Préparer un lot de prélèvements")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            **(extra_context or {}),
            "xml_url": reverse("admin:billing_debitrun_xml", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra)

    def xml_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(DebitRun, pk=pk)
        response = HttpResponse(run.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{run.message_id}.xml"'
        return response

    def reject_view(self, request, pk):
        if not may(request.user, COLLECT):
            raise PermissionDenied
        item = get_object_or_404(DebitItem.objects.select_related("invoice"), pk=pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                debit_reject(item=item, code=form.cleaned_data["code"], user=request.user)
            except BillingError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, REJECTED.format(number=item.invoice.number), messages.WARNING
                )
                return redirect(reverse("admin:billing_debitrun_change", args=[item.run_id]))
        return _form_page(self, request, form, f"Rejet du prélèvement {item.end_to_end_id}")


@admin.register(Reminder, site=tenant_admin_site)
class ReminderAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = ["sent_at", "invoice", "level", "days", "balance"]
    list_filter = ["level"]
    search_fields = ["invoice__number", "invoice__foyer_name"]
    list_select_related = ["invoice"]
    date_hierarchy = "sent_at"


@admin.register(LatePayer, site=tenant_admin_site)
class LatePayerAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    """Late payers: invoices past their due date with something left to pay."""

    list_display = [
        "number",
        "foyer_name",
        "service_name",
        "due_on",
        "days_late",
        "total",
        "left_to_pay",
        "last_reminder",
        "collect",
    ]
    list_filter = ["service", "status"]
    search_fields = ["number", "foyer_name", "payer_name"]
    ordering = ["due_on", "number"]

    def get_queryset(self, request):
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .filter(
                kind=InvoiceKind.INVOICE,
                status__in=[InvoiceStatus.DUE, InvoiceStatus.PARTIAL],
                due_on__lt=today,
            )
            .annotate(reminded=Max("reminders__sent_at"))
        )

    @admin.display(description="jours de retard", ordering="due_on")
    def days_late(self, invoice):
        return (timezone.localdate() - invoice.due_on).days

    @admin.display(description="reste dû")
    def left_to_pay(self, invoice):
        return invoice.balance

    @admin.display(description="dernière relance", ordering="reminded")
    def last_reminder(self, invoice):
        return invoice.reminded

    @admin.display(description="guichet")
    def collect(self, invoice):
        from django.utils.html import format_html

        return format_html('<a href="{}">Encaisser</a>', counter_url(invoice))


class ExceptionForm(forms.Form):
    user = forms.ModelChoiceField(label="Membre du personnel", queryset=User.objects.none())
    capability = forms.ChoiceField(
        label="Droit accordé", choices=DutyException._meta.get_field("capability").choices
    )
    reason = forms.CharField(label="Motif (journalisé)", max_length=255)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        staff = Membership.objects.filter(collectivite=tenant).values_list("user_id", flat=True)
        self.fields["user"].queryset = User.objects.filter(pk__in=list(staff)).order_by("email")


@admin.register(DutyException, site=tenant_admin_site)
class DutyExceptionAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = [
        "user_email",
        "capability",
        "reason",
        "granted_by_email",
        "granted_at",
        "revoked_at",
    ]
    list_filter = ["capability", "revoked_at"]
    search_fields = ["user_email", "reason"]
    actions = ["revoke"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(GRANT)

    def add_view(self, request, form_url="", extra_context=None):
        if not request.user.has_perm(GRANT):
            raise PermissionDenied
        form = ExceptionForm(request.POST or None, tenant=request.tenant)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                exception = duty_exception_grant(granted_by=request.user, **data)
            except BillingError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, GRANTED.format(email=exception.user_email), messages.WARNING
                )
                return redirect(reverse("admin:billing_dutyexception_changelist"))
        return _form_page(self, request, form, "Accorder une exception à la séparation des tâches")

    def has_grant_permission(self, request):
        return request.user.has_perm(GRANT)

    @admin.action(description="Révoquer les exceptions sélectionnées", permissions=["grant"])
    def revoke(self, request, queryset):
        if not request.user.has_perm(GRANT):
            raise PermissionDenied
        for exception in queryset:
            duty_exception_revoke(exception=exception, by=request.user)
