from django.urls import path

from . import views

app_name = "portal-billing"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pay/", views.pay, name="pay"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("receipts/<int:pk>/pdf/", views.receipt_download, name="receipt-pdf"),
    path("receipts/<int:pk>/fapiao/", views.fapiao_request, name="fapiao"),
    path("top-up/", views.top_up, name="top-up"),
]
