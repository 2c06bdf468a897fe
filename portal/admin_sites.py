"""The two admin sites: the platform's (public schema) and each collectivité's."""

from __future__ import annotations

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string

from portal.admin_french import with_french_titles
from tenants.selectors import membership_role

NOT_STAFF_HERE = (
    "Ce compte n'a pas accès à l'administration de cette collectivité. "
    "Connectez-vous avec un compte du personnel de la mairie."
)
NOT_PLATFORM_ADMIN = "Seuls les administrateurs de la plateforme ont accès à cette page."


def is_tenant_staff(user, tenant) -> bool:
    """Tell whether ``user`` may enter the admin of ``tenant``."""
    if not (user.is_authenticated and user.is_active) or tenant is None or tenant.is_public:
        return False
    return user.is_superuser or membership_role(user=user, collectivite=tenant) is not None


ADMIN_INVALID_LOGIN = (
    "Adresse e-mail ou mot de passe incorrect, ou ce compte n'a pas accès à cette administration."
)


class _AdminLoginForm(AdminAuthenticationForm):
    """An admin login that answers a right password without access like a wrong one.

    Saying « this account has no access here » would confirm the password to whoever
    typed it. The refusal also counts as a failed login for the lockout (django-axes), so
    a right password is not told apart by the lockout either.
    """

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": ADMIN_INVALID_LOGIN,
        "inactive": ADMIN_INVALID_LOGIN,
    }

    def may_enter(self, user) -> bool:
        raise NotImplementedError

    def confirm_login_allowed(self, user):
        if user.is_active and self.may_enter(user):
            return
        user_login_failed.send(
            sender=type(self),
            credentials={"username": self.cleaned_data.get("username")},
            request=self.request,
        )
        raise ValidationError(ADMIN_INVALID_LOGIN, code="invalid_login")


class TenantAdminAuthenticationForm(_AdminLoginForm):
    def may_enter(self, user) -> bool:
        return is_tenant_staff(user, getattr(self.request, "tenant", None))


class PlatformAdminAuthenticationForm(_AdminLoginForm):
    def may_enter(self, user) -> bool:
        return user.is_superuser


# Date parts an admin URL may filter on (date_hierarchy, ?birth_date__year=…), and their
# bounds. Outside them Python's date (year 1–9999; the drill-down adds one to the year) or
# the database driver (integers past 64 bits) raised an error, and the page was a 500.
DATE_PART_BOUNDS = {
    "year": (1, 9998),
    "iso_year": (1, 9998),
    "month": (1, 12),
    "day": (1, 31),
    "week": (1, 53),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "quarter": (1, 4),
}
BAD_DATE_FILTER = "Ce filtre de date n'est pas valide : choisissez une date dans la liste."


def _date_filters_valid(query) -> bool:
    for key, values in query.lists():
        part = key.rsplit("__", 1)[-1]
        if part not in DATE_PART_BOUNDS or "__" not in key:
            continue
        low, high = DATE_PART_BOUNDS[part]
        for value in values:
            try:
                number = int(value)
            except ValueError:
                return False
            if not low <= number <= high:
                return False
    return True


class _RefusingAdminSite(AdminSite):
    """An admin site that answers 403 to a logged-in user who may not enter it.

    Django's default sends them back to the login page, which tells nothing and invites
    trying other passwords.
    """

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every page title in French with its article and agreement (portal.admin_french).
        admin_class = with_french_titles(admin_class or ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if not _date_filters_valid(request.GET):
                return HttpResponseBadRequest(
                    render_to_string("400.html", {"message": BAD_DATE_FILTER})
                )
            if (
                request.user.is_authenticated
                and not self.has_permission(request)
                and getattr(request.resolver_match, "url_name", None) != "logout"
            ):
                raise PermissionDenied(self.refusal_message)
            return inner(request, *args, **kwargs)

        guarded.__name__ = getattr(view, "__name__", "admin_view")
        guarded.admin_site = self
        return guarded


class TenantAdminSite(_RefusingAdminSite):
    """The admin of one collectivité, served on its own domain, for its own staff only."""

    login_form = TenantAdminAuthenticationForm
    refusal_message = NOT_STAFF_HERE
    index_title = "Aujourd'hui"
    index_template = "admin/today.html"

    def has_permission(self, request):
        return is_tenant_staff(request.user, getattr(request, "tenant", None))

    def index(self, request, extra_context=None):
        """« Aujourd'hui »: what needs doing now for this person's role, then every section."""
        from portal.today import today_for

        context = {**(extra_context or {}), "today": today_for(user=request.user)}
        return super().index(request, context)

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None) or connection.tenant
        context["site_header"] = f"{tenant.name} — administration"
        context["site_title"] = tenant.name
        return context


class PlatformAdminSite(_RefusingAdminSite):
    """The platform's admin on the root domain: collectivités, domains and accounts."""

    login_form = PlatformAdminAuthenticationForm
    refusal_message = NOT_PLATFORM_ADMIN
    site_header = "Espace Famille — administration de la plateforme"
    site_title = "Espace Famille"
    index_title = "Plateforme"

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser


tenant_admin_site = TenantAdminSite(name="admin")
platform_admin_site = PlatformAdminSite(name="admin")
