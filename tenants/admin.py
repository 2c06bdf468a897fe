from django import forms
from django.contrib import admin
from django.db import connection

from portal.admin_sites import platform_admin_site, tenant_admin_site
from tenants import services
from tenants.models import Adhesion, Collectivite, Domain, Membership


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Collectivite, site=platform_admin_site)
class CollectiviteAdmin(admin.ModelAdmin):
    list_display = ["name", "schema_name", "holiday_zone", "email", "phone", "created_on"]
    list_filter = ["holiday_zone"]
    search_fields = ["name", "schema_name", "email", "domains__domain"]
    inlines = [DomainInline]
    fieldsets = [
        (None, {"fields": ["name", "schema_name", "logo"]}),
        (
            "Contacts",
            {"fields": ["contact_person", "address", "phone", "email", "opening_hours"]},
        ),
        ("Fonctionnement", {"fields": ["holiday_zone", "payfip_identifier", "reglement"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).collectivites()

    def get_readonly_fields(self, request, obj=None):
        # The schema name is the collectivité's storage: fixed once created.
        return ["schema_name"] if obj else []


@admin.register(Membership, site=platform_admin_site)
class PlatformMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "collectivite", "role", "created_at"]
    list_filter = ["role", "collectivite"]
    search_fields = ["user__email", "user__last_name", "collectivite__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "collectivite"]


@admin.register(Adhesion, site=platform_admin_site)
class AdhesionAdmin(admin.ModelAdmin):
    list_display = ["user", "collectivite", "created_at"]
    list_filter = ["collectivite"]
    search_fields = ["user__email", "collectivite__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "collectivite"]


class StaffMemberForm(forms.ModelForm):
    """Add a staff member by e-mail: the admin of one collectivité never browses all accounts."""

    email = forms.EmailField(label="Adresse e-mail")

    class Meta:
        model = Membership
        fields = ["role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if (
            not self.instance.pk
            and Membership.objects.filter(
                collectivite=connection.tenant, user__email__iexact=email
            ).exists()
        ):
            raise forms.ValidationError("Cette personne fait déjà partie du personnel.")
        return email


@admin.register(Membership, site=tenant_admin_site)
class StaffMemberAdmin(admin.ModelAdmin):
    """The staff of the current collectivité, and only of it."""

    form = StaffMemberForm
    list_display = ["user", "user_name", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__last_name", "user__first_name"]
    list_select_related = ["user"]
    fields = ["email", "role"]

    @admin.display(description="Nom", ordering="user__last_name")
    def user_name(self, obj):
        return obj.user.get_full_name()

    def get_queryset(self, request):
        return super().get_queryset(request).filter(collectivite=request.tenant)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["role"])
            return
        member = services.membership_add(
            collectivite=request.tenant, email=form.cleaned_data["email"], role=obj.role
        )
        obj.pk, obj.user, obj.collectivite = member.pk, member.user, member.collectivite
