"""Plate-camera endpoints at the site root, where the cameras are configured to post."""

from django.urls import path

from . import device_views

urlpatterns = [
    path("lpr/vzenith/<str:token>", device_views.vzenith_alarm, name="parking-vzenith"),
    path("isapi/<str:token>/anpr", device_views.isapi_anpr, name="parking-isapi-anpr"),
]
