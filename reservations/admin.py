"""The collectivité's admin of services, prestations, closures, capacities and waiting lists.

Bookings have their own module (reservations.admin_bookings): staff decide and cancel
there, through the lifecycle, and never delete.
"""

from datetime import date, timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from families.admin import can_view_health
from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin
from portal.spreadsheets import csv_response
from reservations import admin_bookings, admin_closures  # noqa: F401 (register their admins)
from reservations.models import Prestation, PrestationDay, Service, WaitingListEntry
from reservations.selectors import reports
from reservations.services.waitlist import capacity_raised

# Days a prestation can run, ticked rather than typed (« 1,2,4,5 » was the old way).
WEEKDAY_CHOICES = [
    (1, "Lundi"),
    (2, "Mardi"),
    (3, "Mercredi"),
    (4, "Jeudi"),
    (5, "Vendredi"),
    (6, "Samedi"),
]
NO_WEEKDAY = "Cochez au moins un jour : une prestation sans jour n'a jamais lieu."


class WeekdaysCheckboxes:
    """The prestation's ``weekdays`` as one checkbox per day."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "weekdays":
            return forms.TypedMultipleChoiceField(
                label="Jours",
                choices=WEEKDAY_CHOICES,
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": NO_WEEKDAY},
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class PrestationInline(WeekdaysCheckboxes, admin.TabularInline):
    model = Prestation
    extra = 0
    fields = ["name", "kind", "weekdays", "capacity", "booking_rule", "display_order"]
    show_change_link = True


BAD_DATE = "Cette date n'est pas valide : choisissez un jour entre le {first} et le {last}."


class BadDate(ValueError):
    """A date in the address that the pages cannot show (garbage, year 9999)."""


def _day_param(request, name: str, default: date) -> date:
    """Return the date ``?name=AAAA-MM-JJ`` (``default`` when absent); BadDate otherwise."""
    value = request.GET.get(name, "")
    if not value:
        return default
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise BadDate from error
    if not reports.FIRST_DAY <= day <= reports.LAST_DAY:
        raise BadDate
    return day


def _within(day: date) -> date | None:
    return day if reports.FIRST_DAY <= day <= reports.LAST_DAY else None


def bad_date_response(request, admin_site) -> HttpResponse:
    message = BAD_DATE.format(
        first=f"{reports.FIRST_DAY:%d/%m/%Y}", last=f"{reports.LAST_DAY:%d/%m/%Y}"
    )
    context = {**admin_site.each_context(request), "title": "Date non valide", "message": message}
    return render(request, "admin/reservations/bad_date.html", context, status=400)


@admin.register(Service, site=tenant_admin_site)
class ServiceAdmin(ForgivingSearchMixin, admin.ModelAdmin):
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
        """Who is expected for what on a day, one list per prestation: printable, or CSV."""
        service = self._service(request, pk)
        try:
            day = _day_param(request, "jour", timezone.localdate())
        except BadDate:
            return bad_date_response(request, self.admin_site)
        with_health = can_view_health(request)
        sheet = reports.day_sheet(
            service=service, day=day, now=timezone.now(), with_health=with_health
        )
        if request.GET.get("format") == "csv":
            health = ["Allergies", "PAI"] if with_health else []
            return csv_response(
                f"feuille-{service.pk}-{day:%Y-%m-%d}.csv",
                ["Jour", "Prestation", "Classe", "Enfant", "Régime", *health, "Parents", "État"],
                (
                    [
                        f"{day:%d/%m/%Y}",
                        part.prestation.name,
                        row.classe,
                        row.child,
                        row.regime,
                        *([row.allergies, "oui" if row.pai else ""] if with_health else []),
                        " ; ".join(row.phones),
                        row.state,
                    ]
                    for part in sheet.prestations
                    for row in part.rows
                ),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Feuille du {sheet.weekday} — {service}",
            "opts": Service._meta,
            "service": service,
            "sheet": sheet,
            "regimes": reports.REGIMES,
        }
        return render(request, "admin/reservations/service/day_sheet.html", context)

    def meals_view(self, request, pk):
        """Meals to order per day and régime, for a week (Monday to Friday), or CSV."""
        service = self._service(request, pk)
        try:
            start = _day_param(request, "debut", timezone.localdate())
        except BadDate:
            return bad_date_response(request, self.admin_site)
        start -= timedelta(days=start.weekday())
        week = reports.meal_counts(
            service=service, start=start, end=start + timedelta(days=4), now=timezone.now()
        )
        regimes = reports.REGIMES
        if request.GET.get("format") == "csv":
            return csv_response(
                f"repas-{service.pk}-{start:%Y-%m-%d}.csv",
                ["Jour", *regimes, "Total", "Dont en attente"],
                [
                    *(
                        [
                            f"{row.day:%d/%m/%Y}",
                            *(row.by_regime[r] for r in regimes),
                            row.total,
                            row.awaiting,
                        ]
                        for row in week.days
                    ),
                    ["Semaine", *(week.by_regime[r] for r in regimes), week.total, week.awaiting],
                ],
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Repas du {start:%d/%m/%Y} au {week.end:%d/%m/%Y} — {service}",
            "opts": Service._meta,
            "service": service,
            "regimes": regimes,
            "week": week,
            "rows": [(row, [row.by_regime[r] for r in regimes]) for row in week.days],
            "totals": [week.by_regime[r] for r in regimes],
            "previous": _within(start - timedelta(days=7)),
            "next": _within(start + timedelta(days=7)),
        }
        return render(request, "admin/reservations/service/meals.html", context)


@admin.register(Prestation, site=tenant_admin_site)
class PrestationAdmin(WeekdaysCheckboxes, ForgivingSearchMixin, admin.ModelAdmin):
    list_display = ["name", "service", "days", "capacity", "booking_rule", "cancellation_rule"]
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

    @admin.display(description="jours")
    def days(self, obj):
        names = dict(WEEKDAY_CHOICES)
        return ", ".join(names.get(day, str(day)).lower() for day in sorted(obj.weekdays))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            # More places: the waiting lists get them at once.
            capacity_raised(prestation=obj)


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
class WaitingListEntryAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = ["day", "prestation", "child", "created_at", "promoted_to"]
    list_filter = ["prestation", ("promoted_to", admin.EmptyFieldListFilter)]
    search_fields = ["child__last_name", "child__first_name", "child__foyer__name"]
    date_hierarchy = "day"
    list_select_related = ["prestation", "child", "promoted_to"]
    readonly_fields = ["created_at", "promoted_to"]
