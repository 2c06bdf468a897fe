from django.urls import path

from news import views

app_name = "news"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/piece-jointe/", views.attachment, name="attachment"),
]
