"""Family pages on a collectivité's domain."""

from django.urls import include, path

from families.views import onboarding

app_name = "families"
urlpatterns = [
    path("creer-compte/", onboarding.ActivationWizard.as_view(), name="activate"),
    path("creer-compte/annuler/", onboarding.activation_cancel, name="activate_cancel"),
    path("creer-compte/termine/", onboarding.activation_done, name="activate_done"),
    path("", include("families.urls_account")),
]
