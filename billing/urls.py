from django.urls import path

from billing import views, views_payments

app_name = "billing"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/payer/", views_payments.pay_invoice, name="pay_invoice"),
    path("personnel/<int:pk>/pdf/", views.staff_pdf, name="staff_pdf"),
    path("commandes/<int:pk>/", views_payments.order_page, name="order"),
    path("commandes/<int:pk>/payer/", views_payments.pay_order, name="pay_order"),
    path("reservations-a-payer/", views_payments.pay_held, name="pay_held"),
    path("paiements/<int:pk>/", views_payments.payment_return, name="payment_return"),
    path("paiements/demonstration/<str:provider_id>/", views_payments.demo_page, name="demo_page"),
    path("paiements/notification/<str:provider>/", views_payments.notify, name="notify"),
]
