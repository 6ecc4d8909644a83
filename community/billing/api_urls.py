from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .api import BillViewSet

router = SimpleRouter()
router.register("bills", BillViewSet, basename="billing-bill")

urlpatterns = [
    path("meter-readings/", views.meter_readings_push, name="billing-meter-push"),
    *router.urls,
]
