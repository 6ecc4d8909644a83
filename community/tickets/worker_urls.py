# Mounted by community/worker_urls.py inside the "worker" namespace (no app_name of its own).
from django.urls import path

from . import views

urlpatterns = [
    path("tickets/", views.worker_index, name="tickets"),
    path("tickets/<int:pk>/", views.worker_detail, name="detail"),
    path("tickets/<int:pk>/note/", views.worker_note, name="note"),
    path("tickets/<int:pk>/<slug:action>/", views.worker_act, name="act"),
]
