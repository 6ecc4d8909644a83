"""Staff pages: live gate feed and device health; audited movement lookups."""

from django.urls import path

from . import views

app_name = "staff-access"

urlpatterns = [
    path("", views.staff_index, name="index"),
    path("residents/<int:resident_id>/movements/", views.movement_lookup, name="movements"),
]
