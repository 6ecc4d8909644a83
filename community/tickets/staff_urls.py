from django.urls import path

from . import views

app_name = "staff-tickets"

urlpatterns = [
    path("", views.staff_dashboard, name="index"),
]
