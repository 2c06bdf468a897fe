"""The collectivité's admin of services, prestations, closures, capacities and waiting lists.

Bookings have their own module (reservations.admin_bookings): staff decide and cancel
there, through the lifecycle, and never delete.
"""

import csv
from datetime import date, timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from families.models import Regime
from portal.admin_sites import tenant_admin_site
from reservations import admin_bookings  # noqa: F401 (registers the bookings' admin)
from reservations.models import Closure, Prestation, PrestationDay, Service, WaitingListEntry
from reservations.selectors import reports
from reservations.services.waitlist import capacity_raised


class PrestationInline(admin.TabularInline):
    model = Prestation
    extra = 0
    fields = ["name", "kind", "weekdays", "capacity", "booking_rule", "display_order"]
    show_change_link = True


def _day_param(request, name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return default


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel opens UTF-8 with accents only with a BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return response


@admin.register(Service, site=tenant_admin_site)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "billing_mode", "display_order", "sheet_links"]
    list_filter = ["billing_mode"]
    search_fields = ["name"]
    inlines = [PrestationInline]

    @admin.display(description="Documents")
    def sheet_links(self, obj):
        return format_html(
            '<a href="{}">Feuille du jour</a> · <a href="{}">Repas de la semaine</a>',
            reverse("admin:reservations_service_day_sheet", args=[obj.pk]),
            reverse("admin:reservations_service_meals", args=[obj.pk]),
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/feuille-du-jour/",
                self.admin_site.admin_view(self.day_sheet_view),
                name="reservations_service_day_sheet",
            ),
            path(
                "<int:pk>/repas/",
                self.admin_site.admin_view(self.meals_view),
                name="reservations_service_meals",
            ),
        ]
        return own + super().get_urls()

    def _service(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Service, pk=pk)

    def day_sheet_view(self, request, pk):
        """Who is expected for what on a day, by class: printable, or CSV."""
        service = self._service(request, pk)
        day = _day_param(request, "jour", timezone.localdate())
        sheet = reports.day_sheet(service=service, day=day, now=timezone.now())
        if request.GET.get("format") == "csv":
            return _csv_response(
                f"feuille-{service.pk}-{day:%Y-%m-%d}.csv",
                ["Classe", "Enfant", "Régime", "Prestations"],
                (
                    [classe, row.child, row.regime, ", ".join(row.prestations)]
                    for classe, rows in sheet.classes.items()
                    for row in rows
                ),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Feuille du {day:%d/%m/%Y} — {service}",
            "service": service,
            "day": day,
            "sheet": sheet,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        }
        return render(request, "admin/reservations/service/day_sheet.html", context)

    def meals_view(self, request, pk):
        """Meals to order per day and régime, for a week (Monday to Friday), or CSV."""
        service = self._service(request, pk)
        start = _day_param(request, "debut", timezone.localdate())
        start -= timedelta(days=start.weekday())
        end = start + timedelta(days=4)
        counts = reports.meal_counts(service=service, start=start, end=end, now=timezone.now())
        regimes = [label for _, label in Regime.choices]
        if request.GET.get("format") == "csv":
            return _csv_response(
                f"repas-{service.pk}-{start:%Y-%m-%d}.csv",
                ["Jour", *regimes, "Total", "Dont en attente"],
                (
                    [
                        f"{row.day:%d/%m/%Y}",
                        *(row.by_regime[r] for r in regimes),
                        row.total,
                        row.awaiting,
                    ]
                    for row in counts
                ),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Repas du {start:%d/%m/%Y} au {end:%d/%m/%Y} — {service}",
            "service": service,
            "regimes": regimes,
            "rows": [(row, [row.by_regime[r] for r in regimes]) for row in counts],
            "start": start,
            "previous": start - timedelta(days=7),
            "next": start + timedelta(days=7),
        }
        return render(request, "admin/reservations/service/meals.html", context)


@admin.register(Prestation, site=tenant_admin_site)
class PrestationAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "kind", "capacity", "booking_rule", "cancellation_rule"]
    list_filter = ["service", "kind", "booking_rule", "requires_approval"]
    search_fields = ["name", "service__name"]
    list_select_related = ["service"]
    fieldsets = [
        (None, {"fields": ["service", "name", "kind", "display_order"]}),
        ("Jours et horaires", {"fields": ["weekdays", "start_time", "end_time", "capacity"]}),
        (
            "Délai de réservation",
            {
                "fields": [
                    "booking_rule",
                    "rule_weekday",
                    "rule_weeks_ahead",
                    "rule_days_before",
                    "rule_skip_non_working_days",
                    "rule_time",
                    "opening_date",
                ]
            },
        ),
        (
            "Annulation, validation, cuisine",
            {"fields": ["cancellation_rule", "requires_approval", "is_meal"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            # More places: the waiting lists get them at once.
            capacity_raised(prestation=obj)


@admin.register(Closure, site=tenant_admin_site)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["day", "service", "prestation", "reason"]
    list_filter = ["service", "prestation"]
    search_fields = ["reason"]
    date_hierarchy = "day"
    list_select_related = ["service", "prestation"]


@admin.register(PrestationDay, site=tenant_admin_site)
class PrestationDayAdmin(admin.ModelAdmin):
    list_display = ["prestation", "day", "capacity"]
    list_filter = ["prestation"]
    date_hierarchy = "day"
    list_select_related = ["prestation"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        capacity_raised(prestation=obj.prestation, days=[obj.day])


@admin.register(WaitingListEntry, site=tenant_admin_site)
class WaitingListEntryAdmin(admin.ModelAdmin):
    list_display = ["day", "prestation", "child", "created_at", "promoted_to"]
    list_filter = ["prestation", ("promoted_to", admin.EmptyFieldListFilter)]
    search_fields = ["child__last_name", "child__first_name"]
    date_hierarchy = "day"
    list_select_related = ["prestation", "child", "promoted_to"]
    readonly_fields = ["created_at", "promoted_to"]
