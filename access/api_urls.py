"""Native device API under /api/v1/ (device token auth)."""

from django.urls import path

from . import device_api

urlpatterns = [
    path("devices/events", device_api.DeviceEventsView.as_view(), name="access-device-events"),
    path("devices/heartbeat", device_api.DeviceHeartbeatView.as_view(), name="access-device-heartbeat"),
    path("devices/verify", device_api.DeviceVerifyView.as_view(), name="access-device-verify"),
]
