from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("personnel/<int:pk>/pdf/", views.staff_pdf, name="staff_pdf"),
]
