from django import forms
from django.contrib import admin, messages
from django.db import connection
from django.http import HttpResponseRedirect
from django.urls import reverse

from portal.admin_sites import platform_admin_site, tenant_admin_site
from portal.search import ForgivingSearchMixin
from tenants import services
from tenants.exceptions import AlreadyStaff, LastAdministrateur
from tenants.models import ROLE_SUMMARIES, Adhesion, Collectivite, Domain, Membership, Role


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Collectivite, site=platform_admin_site)
class CollectiviteAdmin(ForgivingSearchMixin, admin.ModelAdmin):
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
        (
            "Données personnelles",
            {"fields": ["data_retention_years", "dpo_name", "dpo_email", "dpo_address"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).collectivites()

    def get_readonly_fields(self, request, obj=None):
        # The schema name is the collectivité's storage: fixed once created.
        return ["schema_name"] if obj else []


@admin.register(Membership, site=platform_admin_site)
class PlatformMembershipAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = ["user", "collectivite", "role", "created_at"]
    list_filter = ["role", "collectivite"]
    search_fields = ["user__email", "user__last_name", "collectivite__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "collectivite"]


@admin.register(Adhesion, site=platform_admin_site)
class AdhesionAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = ["user", "collectivite", "created_at"]
    list_filter = ["collectivite"]
    search_fields = ["user__email", "collectivite__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "collectivite"]


ROLE_CHOICES_EXPLAINED = [(role.value, f"{role.label} — {ROLE_SUMMARIES[role]}") for role in Role]
INVITATION_PENDING = "Invitation envoyée, pas encore acceptée"
ACTIVE = "Actif"


class StaffMemberForm(forms.ModelForm):
    """Invite a staff member by e-mail: the admin of one collectivité never browses accounts.

    Each role is explained in one line; the rules that protect the last administrateur are
    checked here for a clear message and again, under lock, by the service.
    """

    email = forms.EmailField(label="Adresse e-mail")

    class Meta:
        model = Membership
        fields = ["role"]
        widgets = {"role": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = ROLE_CHOICES_EXPLAINED
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True
        else:
            self.fields["email"].help_text = (
                "La personne reçoit une invitation par e-mail : elle n'a accès à "
                "l'administration qu'après l'avoir acceptée."
            )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if (
            not self.instance.pk
            and Membership.objects.filter(
                collectivite=connection.tenant, user__email__iexact=email
            ).exists()
        ):
            raise forms.ValidationError(AlreadyStaff.message)
        return email

    def clean_role(self):
        role = self.cleaned_data["role"]
        member = self.instance
        if (
            member.pk
            and member.role == Role.ADMINISTRATEUR
            and role != Role.ADMINISTRATEUR
            and member.accepted_at is not None
            and not Membership.objects.filter(
                collectivite=member.collectivite_id,
                role=Role.ADMINISTRATEUR,
                accepted_at__isnull=False,
            )
            .exclude(pk=member.pk)
            .exists()
        ):
            raise forms.ValidationError(LastAdministrateur.message)
        return role


@admin.register(Membership, site=tenant_admin_site)
class StaffMemberAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    """The staff of the current collectivité, and only of it."""

    form = StaffMemberForm
    list_display = ["user", "user_name", "role", "status", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__last_name", "user__first_name"]
    list_select_related = ["user"]
    readonly_fields = ["user_name", "status"]

    def get_fields(self, request, obj=None):
        return ["email", "user_name", "status", "role"] if obj else ["email", "role"]

    @admin.display(description="Nom", ordering="user__last_name")
    def user_name(self, obj):
        return obj.user.get_full_name()

    @admin.display(description="Statut")
    def status(self, obj):
        return ACTIVE if obj.accepted_at else INVITATION_PENDING

    def get_queryset(self, request):
        return super().get_queryset(request).filter(collectivite=request.tenant)

    def save_model(self, request, obj, form, change):
        if change:
            services.membership_role_change(member=obj, role=obj.role)
            return
        member = services.membership_invite(
            collectivite=request.tenant,
            email=form.cleaned_data["email"],
            role=obj.role,
            invited_by=request.user,
        )
        obj.pk, obj.user, obj.collectivite = member.pk, member.user, member.collectivite

    def response_add(self, request, obj, post_url_continue=None):
        messages.info(request, f"Invitation envoyée à {obj.user.email}.")
        return super().response_add(request, obj, post_url_continue)

    def delete_view(self, request, object_id, extra_context=None):
        member = self.get_object(request, object_id)
        if member is not None and request.method == "POST":
            try:
                services.membership_remove(collectivite=request.tenant, members=[member])
            except LastAdministrateur as error:
                messages.error(request, error.message)
                return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0])
            self.log_deletion(request, member, str(member))
            messages.success(request, f"{member.user.email} a été retiré du personnel.")
            return HttpResponseRedirect(reverse("admin:tenants_membership_changelist"))
        return super().delete_view(request, object_id, extra_context)

    # Django's bulk « delete selected » would report a success the service refused.
    actions = ["remove_selected"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Retirer du personnel", permissions=["delete"])
    def remove_selected(self, request, queryset):
        members = list(queryset)
        try:
            removed = services.membership_remove(collectivite=request.tenant, members=members)
        except LastAdministrateur as error:
            messages.error(request, error.message)
            return
        for member in members:
            self.log_deletion(request, member, str(member))
        messages.success(request, f"{removed} membre(s) retiré(s) du personnel.")
