"""The collectivité's admin of billing: tariffs with their QF brackets, numbering settings."""

from __future__ import annotations

from django.contrib import admin

from billing.forms import BillingProfileForm, BracketFormSet, TariffForm
from billing.models import BillingProfile, Tariff, TariffBracket
from portal.admin_sites import tenant_admin_site


class TariffBracketInline(admin.TabularInline):
    model = TariffBracket
    formset = BracketFormSet
    extra = 0
    fields = ["qf_min", "qf_max", "price"]
    verbose_name = "tranche (mode « par tranche » seulement)"


@admin.register(Tariff, site=tenant_admin_site)
class TariffAdmin(admin.ModelAdmin):
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
class BillingProfileAdmin(admin.ModelAdmin):
    form = BillingProfileForm
    list_display = ["service", "code", "invoice_pattern", "due_days"]
    list_select_related = ["service"]
    search_fields = ["service__name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False
