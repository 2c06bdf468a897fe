from django.urls import path

from requests_inbox import views

app_name = "requests_inbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("nouvelle/", views.new, name="new"),
    path("absence/", views.absence, name="absence"),
    path("<int:pk>/", views.detail, name="detail"),
    path("pieces-jointes/<int:pk>/", views.attachment, name="attachment"),
]
