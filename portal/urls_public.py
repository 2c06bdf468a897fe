"""URLs of the root domain (public schema): the platform portal and its admin."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from billing.webhooks import stripe_webhook
from portal import views
from portal.admin_sites import platform_admin_site

# The 500 page says the team was told only when someone was (portal.error_reports).
handler500 = "portal.error_reports.server_error"

urlpatterns = [
    path("", views.public_home, name="home"),
    path("", include("portal.urls_common")),
    path("inscription/", views.signup, name="signup"),
    path("inscription/envoyee/", views.signup_sent, name="signup_sent"),
    path("inscription/confirmer/<uidb64>/<token>/", views.signup_confirm, name="signup_confirm"),
    path("admin/", platform_admin_site.urls),
    # Stripe's one webhook for every collectivité (each session names its schema).
    path("paiements/stripe/webhook/", stripe_webhook, name="stripe_webhook"),
]

# Development only: in production the proxy serves public media.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
