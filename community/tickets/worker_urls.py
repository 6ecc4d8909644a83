from django.urls import path

from . import views

app_name = "worker"

urlpatterns = [
    path("", views.worker_index, name="index"),
    path("tickets/<int:pk>/", views.worker_detail, name="detail"),
    path("tickets/<int:pk>/note/", views.worker_note, name="note"),
    path("tickets/<int:pk>/<slug:action>/", views.worker_act, name="act"),
]
