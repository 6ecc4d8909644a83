from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .api import BillViewSet, PrepaidViewSet

router = SimpleRouter()
router.register("bills", BillViewSet, basename="billing-bill")
router.register("prepaid", PrepaidViewSet, basename="billing-prepaid")

urlpatterns = [
    path("meter-readings/", views.meter_readings_push, name="billing-meter-push"),
    *router.urls,
]
