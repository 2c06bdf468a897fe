"""A family's own account pages on a collectivité's domain: profile, children, personal data."""

from django.urls import path

from families.views import account

urlpatterns = [
    path("mon-compte/", account.profile, name="profile"),
    path(
        "mon-compte/responsables/ajouter/",
        account.responsable_add_view,
        name="responsable_add",
    ),
    path(
        "mon-compte/responsables/2/retirer/",
        account.responsable_remove_view,
        name="responsable_remove",
    ),
    path("mon-compte/enfants/", account.children, name="children"),
    path("mon-compte/enfants/<int:pk>/", account.child_edit, name="child_edit"),
    path("donnees-personnelles/", account.privacy, name="privacy"),
    path("donnees-personnelles/telecharger/", account.export, name="export"),
]
