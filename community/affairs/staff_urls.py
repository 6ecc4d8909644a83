from django.urls import path

from . import appointment_views, grid_views, roster_views, views

app_name = "staff-affairs"

urlpatterns = [
    path("", views.staff_index, name="index"),
    path("grid/", grid_views.staff_grid_index, name="grid-index"),
    path("check-in/", appointment_views.staff_check_in, name="check-in"),
    path("rosters/", roster_views.roster_index, name="rosters"),
    path("rosters/<int:pk>/", roster_views.roster_open, name="roster"),
    path("grid/<int:pk>/", grid_views.staff_grid_detail, name="grid-detail"),
    path("grid/<int:pk>/<slug:action>/", grid_views.staff_grid_act, name="grid-act"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.staff_act, name="act"),
]
