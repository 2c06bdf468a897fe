from django.contrib import admin

from portal.admin_sites import tenant_admin_site
from reservations import services
from reservations.models import (
    Booking,
    BookingEvent,
    Closure,
    Prestation,
    PrestationDay,
    Service,
    WaitingListEntry,
)


class PrestationInline(admin.TabularInline):
    model = Prestation
    extra = 0
    fields = ["name", "kind", "weekdays", "capacity", "booking_rule", "display_order"]
    show_change_link = True


@admin.register(Service, site=tenant_admin_site)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "billing_mode", "display_order"]
    list_filter = ["billing_mode"]
    search_fields = ["name"]
    inlines = [PrestationInline]


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
        ("Annulation et validation", {"fields": ["cancellation_rule", "requires_approval"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            # More places: the waiting lists get them at once.
            services.capacity_raised(prestation=obj)


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
        services.capacity_raised(prestation=obj.prestation, days=[obj.day])


@admin.register(WaitingListEntry, site=tenant_admin_site)
class WaitingListEntryAdmin(admin.ModelAdmin):
    list_display = ["day", "prestation", "child", "created_at", "promoted_to"]
    list_filter = ["prestation", ("promoted_to", admin.EmptyFieldListFilter)]
    search_fields = ["child__last_name", "child__first_name"]
    date_hierarchy = "day"
    list_select_related = ["prestation", "child", "promoted_to"]
    readonly_fields = ["created_at", "promoted_to"]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["state", "by_user", "by_staff", "note", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking, site=tenant_admin_site)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["day", "prestation", "child", "state", "updated_at"]
    list_filter = ["state", "prestation__service", "prestation", "child__school", "child__classe"]
    search_fields = ["child__last_name", "child__first_name", "child__foyer__name"]
    date_hierarchy = "day"
    list_select_related = ["prestation", "child"]
    autocomplete_fields = ["child"]
    readonly_fields = ["held_until", "created_at", "updated_at"]
    inlines = [BookingEventInline]
    actions = ["accept", "refuse"]

    @admin.action(
        description="Accepter les demandes en attente sélectionnées", permissions=["change"]
    )
    def accept(self, request, queryset):
        count = services.bookings_decide(bookings=queryset, accept=True, user=request.user)
        self.message_user(request, f"{count} demande(s) acceptée(s) ; les familles sont prévenues.")

    @admin.action(
        description="Refuser les demandes en attente sélectionnées", permissions=["change"]
    )
    def refuse(self, request, queryset):
        count = services.bookings_decide(bookings=queryset, accept=False, user=request.user)
        self.message_user(request, f"{count} demande(s) refusée(s) ; les familles sont prévenues.")

    def save_model(self, request, obj, form, change):
        # Staff may book or cancel at any time; each such change is logged with its author.
        super().save_model(request, obj, form, change)
        if not change or "state" in form.changed_data:
            services.booking_staff_record(booking=obj, user=request.user)
