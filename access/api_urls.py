"""Native device API under /api/v1/ (device token auth)."""

import os

from django.urls import path

from . import api

urlpatterns = [
    path("devices/events", api.DeviceEventsView.as_view(), name="access-device-events"),
    path("devices/heartbeat", api.DeviceHeartbeatView.as_view(), name="access-device-heartbeat"),
    path("devices/verify", api.DeviceVerifyView.as_view(), name="access-device-verify"),
]

# Benchmark baselines (bench/access_ingest.py): never mounted unless asked for explicitly.
if os.environ.get("ACCESS_BENCH_VIEWS") == "1":
    from . import bench_views

    urlpatterns += [
        path("bench/access/copy", bench_views.copy_batch),
        path("bench/access/insert-one", bench_views.insert_one),
    ]
