from django.contrib import admin

from families.models import Child, Foyer, Responsable
from portal.admin_sites import tenant_admin_site


class ResponsableInline(admin.StackedInline):
    model = Responsable
    extra = 0
    max_num = 2


class ChildInline(admin.TabularInline):
    model = Child
    extra = 0
    fields = ["last_name", "first_name", "birth_date", "sexe", "school", "classe", "regime"]


@admin.register(Foyer, site=tenant_admin_site)
class FoyerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at"]
    search_fields = [
        "name",
        "responsables__last_name",
        "responsables__email",
        "children__first_name",
    ]
    list_filter = ["children__school", "children__classe"]
    inlines = [ResponsableInline, ChildInline]
    readonly_fields = ["user", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


@admin.register(Child, site=tenant_admin_site)
class ChildAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "birth_date", "school", "classe", "regime", "foyer"]
    list_filter = ["school", "classe", "regime", "sexe"]
    search_fields = ["last_name", "first_name", "foyer__name"]
    list_select_related = ["foyer"]
    autocomplete_fields = ["foyer"]
