"""URLs of a collectivité's domain (its schema)."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from portal import views
from portal.admin_sites import tenant_admin_site

# The 500 page says the team was told only when someone was (portal.error_reports).
handler500 = "portal.error_reports.server_error"

urlpatterns = [
    path("", views.tenant_home, name="home"),
    path("contacts/", views.contacts, name="contacts"),
    path(
        "invitation-personnel/<uidb64>/<token>/",
        views.staff_invitation,
        name="staff_invitation",
    ),
    path("", include("portal.urls_common")),
    path("", include("families.urls")),
    path("actualites/", include("news.urls")),
    path("reservations/", include("reservations.urls")),
    path("factures/", include("billing.urls")),
    path("demandes/", include("requests_inbox.urls")),
    path("admin/", tenant_admin_site.urls),
]

# Development only: in production the proxy serves public media.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
