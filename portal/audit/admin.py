"""The audit trail in the admin: read-only, for the administrateur, searchable, exported.

The permission is checked here, from the staff role itself: only ``administrateur`` (and
platform superusers) may read the trail, and nobody may add, change or delete an entry.
"""

from __future__ import annotations

import csv

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from portal.admin_sites import platform_admin_site, tenant_admin_site
from portal.audit import rules
from portal.audit.models import Action, AuditEntry, SharedAuditEntry
from portal.audit.registry import audited_models
from tenants.models import Role
from tenants.selectors import membership_role

CSV_HEADER = ["Date", "Action", "Type", "Objet", "Modifications", "Par", "Adresse IP", "Requête"]


def may_read_audit(request) -> bool:
    """Tell whether the request's account may read this collectivité's audit trail."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        return False
    return membership_role(user=user, collectivite=tenant) == Role.ADMINISTRATEUR


class ModelFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return audited_models()

    def queryset(self, request, queryset):
        return queryset.filter(model_label=self.value()) if self.value() else queryset


class ActorFilter(admin.SimpleListFilter):
    """The people who appear in this trail, not every account of the platform."""

    title = "par"
    parameter_name = "par"

    def lookups(self, request, model_admin):
        actors = (
            model_admin.get_queryset(request)
            .exclude(actor_email__isnull=True)
            .values_list("actor_email", flat=True)
            .distinct()
            .order_by("actor_email")
        )
        return [(email, email) for email in actors]

    def queryset(self, request, queryset):
        return queryset.filter(actor_email=self.value()) if self.value() else queryset


def _field_names(label: str) -> dict[str, str] | None:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return {field.name: str(field.verbose_name) for field in model._meta.concrete_fields}


def _type_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return label


def _changes_text(entry) -> str:
    names = _field_names(entry.model_label)
    changes = entry.changes or {}
    if names is not None:
        # auditlog lists reverse relations on a creation (« children: None »): columns only.
        changes = {field: values for field, values in changes.items() if field in names}
    return rules.changes_text(changes, names or {})


class AuditEntryAdminBase(admin.ModelAdmin):
    list_display = ["timestamp", "action", "type_name", "object_repr", "changes_list", "by"]
    list_filter = [ModelFilter, "action", ActorFilter, ("timestamp", admin.DateFieldListFilter)]
    search_fields = ["object_repr", "actor_email", "changes", "remote_addr", "cid"]
    ordering = ["-timestamp", "-pk"]
    list_per_page = 50
    actions = ["export_csv"]
    fields = [
        "timestamp",
        "action",
        "type_name",
        "object_repr",
        "object_pk",
        "changes_list",
        "actor_email",
        "remote_addr",
        "cid",
    ]
    readonly_fields = fields

    @admin.display(description="type", ordering="model_label")
    def type_name(self, entry) -> str:
        return _type_name(entry.model_label)

    @admin.display(description="modifications")
    def changes_list(self, entry) -> str:
        text = _changes_text(entry)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in text.splitlines()))

    @admin.display(description="par", ordering="actor_email")
    def by(self, entry) -> str:
        where = f" ({entry.remote_addr})" if entry.remote_addr else ""
        return f"{entry.actor_email or 'système'}{where}"

    @admin.action(description="Exporter en CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="journal-{stamp}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 with accents only with a BOM
        writer = csv.writer(response, delimiter=";")
        writer.writerow(CSV_HEADER)
        for entry in queryset.order_by("-timestamp", "-pk").iterator():
            writer.writerow(
                rules.csv_cell(value)
                for value in (
                    timezone.localtime(entry.timestamp).isoformat(timespec="seconds"),
                    Action(entry.action).label,
                    _type_name(entry.model_label),
                    entry.object_repr,
                    _changes_text(entry),
                    entry.actor_email or "système",
                    entry.remote_addr,
                    entry.cid,
                )
            )
        return response

    def has_view_permission(self, request, obj=None):
        return may_read_audit(request)

    def has_module_permission(self, request):
        return may_read_audit(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry, site=tenant_admin_site)
class AuditEntryAdmin(AuditEntryAdminBase):
    """This collectivité's own schema: families, bookings, services, news."""


@admin.register(SharedAuditEntry, site=tenant_admin_site)
class SharedAuditEntryAdmin(AuditEntryAdminBase):
    """The public schema's entries about this collectivité: its staff and its settings."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(schema_name=request.tenant.schema_name)


@admin.register(AuditEntry, site=platform_admin_site)
class PlatformAuditEntryAdmin(AuditEntryAdminBase):
    """The public schema's entries, every collectivité's, for platform superusers."""

    list_display = ["timestamp", "schema_name", *AuditEntryAdminBase.list_display[1:]]
    list_filter = ["schema_name", *AuditEntryAdminBase.list_filter]
