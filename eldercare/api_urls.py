from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CareAlarmView, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="care-order")

urlpatterns = [path("alarms", CareAlarmView.as_view(), name="care-alarms"), *router.urls]
