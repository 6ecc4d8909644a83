from django.urls import path

from . import views

app_name = "staff-billing"

urlpatterns = [
    path("", views.staff_reports, name="index"),
    path("export.xlsx", views.staff_reports_export, name="export"),
]
