from rest_framework.routers import SimpleRouter

from .api import CategoryViewSet, TicketViewSet

router = SimpleRouter()
router.register("categories", CategoryViewSet, basename="ticket-category")
router.register("", TicketViewSet, basename="ticket")

urlpatterns = router.urls
