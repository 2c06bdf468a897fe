from django.urls import path

from requests_inbox import views

app_name = "requests_inbox"
urlpatterns = [path("", views.index, name="index")]
