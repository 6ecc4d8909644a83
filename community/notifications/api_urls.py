"""Included by community/api/urls.py at ``notifications/`` (i.e. /api/v1/notifications/)."""

from rest_framework.routers import SimpleRouter

from .api import NotificationViewSet

router = SimpleRouter()
router.register("", NotificationViewSet, basename="notification")

urlpatterns = router.urls
