"""Pages reached without logging in: the exit payment QR code of a lane."""

from django.urls import path

from . import pay_views

app_name = "parking-pay"

urlpatterns = [
    path("pay/<str:token>/", pay_views.lane_pay, name="lane"),
    path("pay/<str:token>/<int:session_id>/", pay_views.lane_pay_start, name="start"),
]
