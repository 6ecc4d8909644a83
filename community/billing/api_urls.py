from rest_framework.routers import SimpleRouter

from .api import BillViewSet

router = SimpleRouter()
router.register("bills", BillViewSet, basename="billing-bill")

urlpatterns = router.urls
