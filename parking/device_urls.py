"""Plate-camera endpoints at the site root, where the cameras are configured to post."""

import os

from django.urls import path

from . import device_views

urlpatterns = [
    path("lpr/vzenith/<str:token>", device_views.vzenith_alarm, name="parking-vzenith"),
    path("isapi/<str:token>/anpr", device_views.isapi_anpr, name="parking-isapi-anpr"),
]

# Benchmark baseline (bench/parking_decide.py): never mounted unless asked for explicitly.
if os.environ.get("PARKING_BENCH_VIEWS") == "1":
    from . import bench_views

    urlpatterns += [path("bench/parking/lookup", bench_views.lookup)]
