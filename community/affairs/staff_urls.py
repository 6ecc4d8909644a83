from django.urls import path

from . import views

app_name = "staff-affairs"

urlpatterns = [
    path("", views.staff_index, name="index"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.staff_act, name="act"),
]
