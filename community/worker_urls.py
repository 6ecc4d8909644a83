"""/worker/: the shell's home, then each core app's worker pages in the same namespace."""

from django.urls import include, path

from community.worker import worker_home

app_name = "worker"

urlpatterns = [
    path("", worker_home, name="index"),
    path("", include("community.tickets.worker_urls")),
]
