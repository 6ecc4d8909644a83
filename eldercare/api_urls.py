from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CareAlarmView, MyPositionSharingView, MyPositionView, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="care-order")

urlpatterns = [
    path("alarms", CareAlarmView.as_view(), name="care-alarms"),
    path("me/position/", MyPositionView.as_view(), name="care-my-position"),
    path("me/position-sharing/", MyPositionSharingView.as_view(), name="care-my-position-sharing"),
    *router.urls,
]
