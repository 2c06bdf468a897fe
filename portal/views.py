"""Pages of the public portal and the common pages of every collectivité."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponseNotFound
from django.shortcuts import render
from django.template.loader import render_to_string

from portal.forms import EmailLoginForm
from tenants.selectors import collectivites_for_user


def unknown_host(request):
    """Answer a host that is no collectivité's: a plain 404 that names nobody."""
    return HttpResponseNotFound(render_to_string("portal/unknown_host.html"))


def _site_url(request, domain: str) -> str:
    """Return the URL of ``domain``'s home, keeping the scheme and port of this request."""
    _, _, port = request.get_host().partition(":")
    return f"{request.scheme}://{domain}{':' + port if port else ''}/"


def public_home(request):
    """Root domain: the account's collectivités with links into each."""
    entries = []
    if request.user.is_authenticated:
        entries = [
            (entry, _site_url(request, entry.domain))
            for entry in collectivites_for_user(user=request.user)
            if entry.domain
        ]
    return render(request, "portal/public_home.html", {"entries": entries})


def tenant_home(request):
    """A collectivité's home page: its name, how to reach it, and the family menu."""
    return render(request, "portal/tenant_home.html")


def contacts(request):
    """« Contacts »: who to ask at the collectivité, from its own record."""
    return render(request, "portal/contacts.html")


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    redirect_authenticated_user = True
