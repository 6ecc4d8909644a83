"""Parking's part of /api/v1/ (included under ``parking/``)."""

from django.urls import path

from . import api

urlpatterns = [
    path("plate-events", api.PlateEventsView.as_view(), name="parking-plate-events"),
]
