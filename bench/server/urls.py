"""The product's URLs plus the benchmark baselines (bench/access_ingest.py compares with them)."""

from django.urls import path

from community.urls import urlpatterns as product_urlpatterns

from . import access_views

urlpatterns = [
    path("api/v1/bench/access/copy", access_views.copy_batch),
    path("api/v1/bench/access/insert-one", access_views.insert_one),
    *product_urlpatterns,
]
