from django.urls import path

from . import views

app_name = "care_worker"

urlpatterns = [
    path("", views.worker_index, name="index"),
    path("orders/<int:pk>/", views.worker_order, name="order"),
    path("orders/<int:pk>/<slug:action>/", views.worker_order_act, name="order_act"),
    path("alarms/<int:pk>/", views.worker_alarm, name="alarm"),
    path("alarms/<int:pk>/<slug:action>/", views.worker_alarm_act, name="alarm_act"),
    path("exceptions/", views.worker_exceptions, name="exceptions"),
    path("position-sharing/", views.worker_position_sharing, name="position_sharing"),
    path("stations/<int:pk>/settlement.xlsx", views.worker_settlement, name="settlement"),
    path("elders/<int:pk>/door-card/", views.worker_door_card, name="door_card"),
]
