from django.urls import path

from reservations import views

app_name = "reservations"
urlpatterns = [
    path("", views.index, name="index"),
    path("cellule/", views.toggle, name="toggle"),
    path("valider/", views.validate, name="validate"),
    path("vider/", views.clear, name="clear"),
    path("agenda/", views.agenda, name="agenda"),
]
