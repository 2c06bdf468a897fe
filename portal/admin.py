from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponseRedirect
from django.urls import reverse

from portal.admin_sites import platform_admin_site
from portal.models import OutgoingEmail, User


@admin.register(User, site=platform_admin_site)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Droits sur la plateforme", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = []
    readonly_fields = ["last_login", "date_joined"]
    # Django's bulk delete would hit the foyers' foreign keys in every schema (a 500).
    actions = ["delete_accounts"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _delete(self, request, users) -> int:
        from families.services_privacy import account_delete
        from tenants.exceptions import StaffError

        deleted = 0
        for user in users:
            try:
                account_delete(user=user)
            except StaffError as error:
                messages.error(request, f"{user.email} : {error.message}")
            else:
                deleted += 1
        return deleted

    @admin.action(description="Supprimer les comptes (anonymisés)", permissions=["delete"])
    def delete_accounts(self, request, queryset):
        deleted = self._delete(request, list(queryset))
        if deleted:
            messages.success(request, f"{deleted} compte(s) supprimé(s) et anonymisé(s).")

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, object_id)
        if user is not None and request.method == "POST":
            if self._delete(request, [user]):
                messages.success(request, "Compte supprimé et anonymisé.")
                return HttpResponseRedirect(reverse("admin:portal_user_changelist"))
            return HttpResponseRedirect(reverse("admin:portal_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)


@admin.register(OutgoingEmail, site=platform_admin_site)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "schema_name", "created_at", "sent_at", "attempts"]
    list_filter = ["schema_name", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "subject", "key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
