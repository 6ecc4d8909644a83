"""Staff pages: the live car-park screen (occupancy, reads, decisions by hand) and reports."""

from django.urls import path

from . import admin_exports, views

app_name = "staff-parking"

urlpatterns = [
    path("", views.staff_index, name="index"),
    path("reports/", views.staff_reports, name="reports"),
    path("reports/export.xlsx", admin_exports.sessions_export, name="export"),
    path("lanes/<int:lane_id>/open/", views.staff_open, name="open"),
    path("sessions/<int:session_id>/close/", views.staff_close, name="close"),
    path("sessions/<int:session_id>/correct/", views.staff_correct, name="correct"),
]
