"""A collectivité's URLs plus a page that fails, to see what an error report carries."""

from django.urls import path

from portal.urls_tenants import handler500
from portal.urls_tenants import urlpatterns as tenant_urlpatterns


def broken(request):
    request.POST.get("enfant")  # the view read what the family typed, then failed
    raise RuntimeError("panne simulée")


urlpatterns = [path("panne/", broken), *tenant_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
