"""Pages of the public portal and the common pages of every collectivité."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.http import HttpResponseNotFound
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from portal.forms import EmailLoginForm, QueuedPasswordResetForm, SignupForm
from portal.links import account_collectivite_links, site_url
from portal.ratelimits import password_reset_limit, signup_limit
from portal.services import account_confirm_email, account_signup
from portal.tokens import email_confirmation_token


def unknown_host(request):
    """Answer a host that is no collectivité's: a plain 404 that names nobody."""
    return HttpResponseNotFound(render_to_string("portal/unknown_host.html"))


def public_home(request):
    """Root domain: the account's collectivités with links into each."""
    entries = account_collectivite_links(request) if request.user.is_authenticated else []
    return render(request, "portal/public_home.html", {"entries": entries})


def tenant_home(request):
    """A collectivité's home page: its name, how to reach it, the family menu, the latest news.

    Anonymous visitors see the latest posts for every family (one query); an account sees
    those its foyer is in the audience of, and staff see all (news.selectors).
    """
    # Imported here: this module is shared with the public schema, news is a tenant app.
    from django.utils import timezone

    from news.selectors import latest_posts, reader_for
    from tenants.selectors import user_has_adhesion

    reader = reader_for(user=request.user, collectivite=request.tenant)
    posts = latest_posts(reader=reader, now=timezone.now())
    # Greeted by name only here: an account that is no family or staff of this collectivité
    # is told how to join instead (one query for an account, none for a visitor).
    is_member = reader.is_staff or (
        request.user.is_authenticated
        and user_has_adhesion(user=request.user, collectivite=request.tenant)
    )
    return render(request, "portal/tenant_home.html", {"posts": posts, "is_member": is_member})


def accessibility(request):
    """« Déclaration d'accessibilité » (RGAA): state of compliance, tests, how to complain."""
    return render(request, "portal/accessibility.html")


def contacts(request):
    """« Contacts »: who to ask at the collectivité, from its own record."""
    return render(request, "portal/contacts.html")


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Staff of this collectivité land on « Aujourd'hui » (its admin), families at home."""
        from portal.admin_sites import is_tenant_staff

        tenant = getattr(self.request, "tenant", None)
        if (
            tenant is not None
            and not tenant.is_public
            and is_tenant_staff(self.request.user, tenant)
        ):
            return reverse("admin:index")
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Accounts are created on the root portal, whichever collectivité the parent came from.
        signup_path = reverse("signup", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
        context["signup_url"] = site_url(settings.PORTAL_DOMAIN, signup_path)
        return context


@password_reset_limit
class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


@signup_limit
def signup(request):
    """« Créer un compte » (flow 2): an account first, collectivités joined later by code."""
    if request.user.is_authenticated:
        return redirect("subscriptions")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def confirm_url_for(user):
            path = reverse(
                "signup_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": email_confirmation_token.make_token(user),
                },
            )
            return request.build_absolute_uri(path)

        account_signup(form=form, confirm_url_for=confirm_url_for)
        request.session["signup_email"] = form.cleaned_data["email"]
        return redirect("signup_sent")
    return render(request, "portal/signup.html", {"form": form})


def signup_sent(request):
    return render(
        request, "portal/signup_sent.html", {"email": request.session.get("signup_email")}
    )


def signup_confirm(request, uidb64: str, token: str):
    """Follow the « confirmez votre adresse » link: the account may now log in."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = get_user_model().objects.filter(pk=pk).first()
    except (ValueError, OverflowError):
        user = None
    if user is None or not email_confirmation_token.check_token(user, token):
        return render(request, "portal/signup_invalid.html", status=400)
    account_confirm_email(user=user)
    messages.success(request, "Adresse e-mail confirmée : vous pouvez vous connecter.")
    return redirect(f"{reverse('login')}?next={reverse('subscriptions')}")


def rate_limited(request, exception=None):
    """Answer a form posted too often (django-ratelimit, see portal.ratelimits)."""
    return render(request, "portal/rate_limited.html", status=429)


def locked_out(request, credentials=None, *args, **kwargs):
    """Answer a login refused by the lockout (django-axes)."""
    return render(request, "portal/locked_out.html", status=429)


password_change = auth_views.PasswordChangeView.as_view(
    success_url=reverse_lazy("password_change_done")
)


def staff_invitation(request, uidb64: str, token: str):
    """Accept (or decline) an invitation to this collectivité's staff, from its e-mailed link.

    A new account chooses its password here; an existing one only consents. Nothing is
    granted before the « Accepter » button is pressed.
    """
    from django.contrib.auth import login
    from django.contrib.auth.forms import SetPasswordForm

    from portal.tokens import staff_invitation_token
    from tenants.exceptions import InvitationInvalid
    from tenants.models import ROLE_SUMMARIES, Membership, Role
    from tenants.services import membership_accept, membership_decline

    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError):
        pk = None
    member = (
        Membership.objects.select_related("user", "invited_by")
        .filter(pk=pk, collectivite=request.tenant, accepted_at__isnull=True)
        .first()
        if pk
        else None
    )
    if member is None or not staff_invitation_token.check_token(member, token):
        return render(
            request,
            "portal/staff_invitation.html",
            {"invalid": InvitationInvalid.message},
            status=400,
        )
    user = member.user
    needs_password = not user.has_usable_password()
    form = SetPasswordForm(user, request.POST or None) if needs_password else None
    if request.method == "POST":
        if "refuser" in request.POST:
            membership_decline(member=member)
            messages.info(request, "Invitation refusée : vous n'avez pas été ajouté au personnel.")
            return redirect("home")
        if form is None or form.is_valid():
            accepted = membership_accept(
                member=member, password=form.cleaned_data["new_password1"] if form else None
            )
            if needs_password:
                # The account as saved: its new password is in the session's hash.
                login(request, accepted.user, backend="tenants.backends.EmailRoleBackend")
                return redirect("admin:index")
            messages.success(request, "Invitation acceptée : connectez-vous à l'administration.")
            return redirect("admin:login")
    return render(
        request,
        "portal/staff_invitation.html",
        {
            "member": member,
            "role_summary": ROLE_SUMMARIES[Role(member.role)],
            "form": form,
        },
    )


ACCOUNT_DELETED = (
    "Votre compte a été supprimé. Les mairies gardent ce que la comptabilité publique les "
    "oblige à conserver (réservations, factures), sans lien avec votre compte."
)
WRONG_PASSWORD = "Mot de passe incorrect : votre compte n'a pas été supprimé."


def account_delete_view(request):
    """« Supprimer mon compte »: the account's own password confirms it."""
    from django import forms
    from django.contrib.auth import logout
    from django.contrib.auth.views import redirect_to_login

    from families.services_privacy import account_delete
    from tenants.exceptions import StaffError

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())

    class ConfirmForm(forms.Form):
        password = forms.CharField(
            label="Votre mot de passe",
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        )

    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not request.user.check_password(form.cleaned_data["password"]):
            form.add_error("password", WRONG_PASSWORD)
        else:
            try:
                account_delete(user=request.user)
            except StaffError as error:
                form.add_error(None, error.message)
            else:
                logout(request)
                messages.success(request, ACCOUNT_DELETED)
                return redirect("home")
    return render(request, "portal/account_delete.html", {"form": form})
