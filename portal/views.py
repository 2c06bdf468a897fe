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

    reader = reader_for(user=request.user, collectivite=request.tenant)
    posts = latest_posts(reader=reader, now=timezone.now())
    return render(request, "portal/tenant_home.html", {"posts": posts})


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


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


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

        user = account_signup(form=form, confirm_url_for=confirm_url_for)
        request.session["signup_email"] = user.email
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


def locked_out(request, credentials=None, *args, **kwargs):
    """Answer a login refused by the lockout (django-axes)."""
    return render(request, "portal/locked_out.html", status=429)


password_change = auth_views.PasswordChangeView.as_view(
    success_url=reverse_lazy("password_change_done")
)
