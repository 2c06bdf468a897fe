"""URLs served on both the root domain and every collectivité's domain."""

from django.contrib.auth import views as auth_views
from django.urls import path

from portal.views import LoginView

urlpatterns = [
    path("connexion/", LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
]
