"""Resident portal: my cars, permits, stays and visitor cars."""

from django.urls import path

from . import views

app_name = "portal-parking"

urlpatterns = [
    path("", views.portal_index, name="index"),
]
