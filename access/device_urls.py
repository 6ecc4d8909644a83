"""Device endpoints at the site root, where vendor firmware expects them."""

from django.urls import path, re_path

from . import device_views

urlpatterns = [
    re_path(
        r"^iclock/(?P<endpoint>cdata|registry|push|getrequest|devicecmd|rtdata|ping|querydata)(?:\.aspx)?/?$",
        device_views.iclock,
        name="access-iclock",
    ),
    path("isapi/<str:token>/events", device_views.isapi_events, name="access-isapi-events"),
]
