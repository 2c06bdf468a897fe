"""The régie in the collectivité's admin: payment settings, payments (recorded at the counter
by the régisseur), online transactions and their notifications, the foyers' accounts and
the prépaiement orders. Records of money are read-only here: services write them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from billing.exceptions import BillingError
from billing.models import (
    COUNTER_MODES,
    AccountEntry,
    Invoice,
    InvoiceKind,
    Payment,
    PaymentNotice,
    PaymentSettings,
    PaymentTransaction,
    PrepaidOrder,
    PrepaidOrderLine,
    TransactionStatus,
)
from billing.payments.counter import COLLECT, CounterEntry, counter_payment_record
from billing.services.duties import may
from billing.services.reconcile import payments_poll
from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin

RECORDED = "Paiement enregistré : reçu n° {number} ({amount} €)."
POLLED = "État demandé aux prestataires : {counts}."


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only: listed and read, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentSettings, site=tenant_admin_site)
class PaymentSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "payfip_numcli", "payfip_online", "payfip_mode", "demo"]
    fieldsets = [
        ("PayFiP", {"fields": ["payfip_numcli", "payfip_online", "payfip_mode"]}),
        (
            "Prélèvement SEPA (créancier)",
            {"fields": ["sepa_creditor_id", "sepa_creditor_name", "sepa_iban", "sepa_bic"]},
        ),
        ("Relances et démonstration", {"fields": ["reminder_delays", "demo"]}),
    ]

    def has_add_permission(self, request):
        return False  # the one row is created on first visit (settings_get)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        from billing.payments import settings_get

        found = settings_get()
        if found.pk is None:
            found.save()
        return redirect(reverse("admin:billing_paymentsettings_change", args=[found.pk]))


class CounterForm(forms.Form):
    invoice = forms.CharField(label="Numéro de facture", max_length=40)
    mode = forms.ChoiceField(
        label="Mode",
        choices=[(mode.value, mode.label) for mode in COUNTER_MODES],
    )
    amount = forms.DecimalField(label="Montant (€)", max_digits=12, decimal_places=2)
    cheque_number = forms.CharField(label="N° de chèque", required=False, max_length=30)
    bank = forms.CharField(label="Banque", required=False, max_length=100)
    reference = forms.CharField(label="Référence (CESU, virement)", required=False, max_length=100)

    def clean_invoice(self):
        number = self.cleaned_data["invoice"].strip()
        invoice = Invoice.objects.filter(number=number, kind=InvoiceKind.INVOICE).first()
        if invoice is None:
            raise forms.ValidationError("Aucune facture ne porte ce numéro.")
        return invoice


@admin.register(Payment, site=tenant_admin_site)
class PaymentAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = [
        "receipt_number",
        "received_at",
        "mode",
        "amount",
        "invoice",
        "foyer",
        "cheque_number",
        "bank",
    ]
    list_filter = ["mode", "service"]
    search_fields = ["receipt_number", "invoice__number", "foyer__name", "cheque_number"]
    date_hierarchy = "received_at"
    list_select_related = ["invoice", "foyer"]
    fields = [
        "receipt_number",
        "received_at",
        "mode",
        "amount",
        "service",
        "foyer",
        "invoice",
        "transaction",
        "cheque_number",
        "bank",
        "reference",
        "reverses",
        "note",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        # By role only: the admin asks it for every page's menu, and an exception's holder
        # reaches the form from the invoice (« Encaisser au guichet »), checked by ``may``.
        return request.user.has_perm(COLLECT)

    def add_view(self, request, form_url="", extra_context=None):
        """« Encaisser au guichet »: an invoice's number, the mode, the amount."""
        if not may(request.user, COLLECT):
            raise PermissionDenied
        initial = {}
        if request.GET.get("facture"):
            found = Invoice.objects.filter(pk=request.GET["facture"]).first()
            if found is not None:
                initial = {"invoice": found.number, "amount": found.balance}
        form = CounterForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            entry = CounterEntry(
                mode=data["mode"],
                amount=data["amount"],
                cheque_number=data["cheque_number"],
                bank=data["bank"],
                reference=data["reference"],
            )
            try:
                payment = counter_payment_record(
                    invoice=data["invoice"], entry=entry, user=request.user
                )
            except BillingError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    RECORDED.format(number=payment.receipt_number, amount=payment.amount),
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:billing_payment_change", args=[payment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Encaisser au guichet",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/payment/counter.html", context)


@admin.register(PaymentTransaction, site=tenant_admin_site)
class PaymentTransactionAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = [
        "pk",
        "created_at",
        "provider",
        "provider_id",
        "foyer",
        "invoice",
        "order",
        "amount",
        "credit_used",
        "status",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["provider_id", "foyer__name", "invoice__number"]
    date_hierarchy = "created_at"
    list_select_related = ["foyer", "invoice", "order"]
    actions = ["ask_providers"]

    def has_collect_permission(self, request):
        return may(request.user, COLLECT)

    @admin.action(
        description="Demander leur état aux prestataires (rapprochement)", permissions=["collect"]
    )
    def ask_providers(self, request, queryset):
        if not may(request.user, COLLECT):
            raise PermissionDenied
        ids = queryset.filter(status=TransactionStatus.PENDING).values_list("pk", flat=True)
        counts = payments_poll(ids=list(ids))
        text = ", ".join(f"{key} : {value}" for key, value in counts.items()) or "aucune en cours"
        self.message_user(request, POLLED.format(counts=text), messages.INFO)


@admin.register(PaymentNotice, site=tenant_admin_site)
class PaymentNoticeAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = ["at", "provider", "provider_id", "outcome", "message", "transaction"]
    list_filter = ["outcome", "provider"]
    search_fields = ["provider_id", "message"]
    date_hierarchy = "at"


@admin.register(AccountEntry, site=tenant_admin_site)
class AccountEntryAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = ["at", "foyer", "kind", "amount", "label"]
    list_filter = ["kind"]
    search_fields = ["foyer__name", "label"]
    list_select_related = ["foyer"]
    date_hierarchy = "at"


class OrderLineInline(admin.TabularInline):
    model = PrepaidOrderLine
    fields = ["child_name", "day", "label", "quantity", "unit_price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PrepaidOrder, site=tenant_admin_site)
class PrepaidOrderAdmin(ForgivingSearchMixin, ReadOnlyAdmin):
    list_display = ["pk", "created_at", "foyer", "service", "total", "status", "ticket"]
    list_filter = ["status", "service"]
    search_fields = ["foyer__name", "ticket__number"]
    list_select_related = ["foyer", "service", "ticket"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]


def counter_url(invoice: Invoice) -> str:
    return reverse("admin:billing_payment_add") + f"?facture={invoice.pk}"
