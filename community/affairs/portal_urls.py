from django.urls import path

from . import appointment_views, grid_views, views

app_name = "portal-affairs"

urlpatterns = [
    path("", views.portal_index, name="index"),
    path("items/<int:item_pk>/apply/", views.portal_apply, name="apply"),
    path("items/<int:item_pk>/book/", appointment_views.portal_book, name="book"),
    path("appointments/", appointment_views.portal_appointments, name="appointments"),
    path("appointments/<int:pk>/qr.png", appointment_views.portal_appointment_qr, name="appointment-qr"),
    path(
        "appointments/<int:pk>/cancel/",
        appointment_views.portal_appointment_cancel,
        name="appointment-cancel",
    ),
    path("grid/new/", grid_views.portal_report, name="grid-report"),
    path("grid/<int:pk>/", grid_views.portal_grid_detail, name="grid-detail"),
    path("grid/<int:pk>/<slug:action>/", grid_views.portal_grid_act, name="grid-act"),
    path("<int:pk>/", views.portal_detail, name="detail"),
    path("<int:pk>/upload/", views.portal_upload, name="upload"),
    path("<int:pk>/rate/", views.portal_rate, name="rate"),
    path("<int:pk>/certificate.pdf", views.portal_certificate, name="certificate"),
    path("<int:pk>/materials/<int:material_pk>/", views.material_file, name="material"),
    path("<int:pk>/<slug:action>/", views.portal_act, name="act"),
]
