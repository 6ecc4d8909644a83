"""/api/v1/: auth tokens, "me" (residents and staff alike) and the estate-scoped staff endpoints.

community/api/urls.py includes this first, then the other apps' API URLconfs, then the JSON
404 catch-all.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from community.accounts.api import LogoutEverywhereView, MeView, TokenDetailView, TokenListView, TokenView

from .api import (
    AnnouncementViewSet,
    BuildingViewSet,
    EstateViewSet,
    MyAnnouncementViewSet,
    MyUnitViewSet,
    ResidentViewSet,
    UnitViewSet,
)

router = SimpleRouter()
router.register("me/units", MyUnitViewSet, basename="me-unit")
router.register("me/announcements", MyAnnouncementViewSet, basename="me-announcement")
router.register("estates", EstateViewSet, basename="estate")
router.register("buildings", BuildingViewSet, basename="building")
router.register("units", UnitViewSet, basename="unit")
router.register("residents", ResidentViewSet, basename="resident")
router.register("announcements", AnnouncementViewSet, basename="announcement")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="api-token-detail"),
    path("auth/logout-everywhere/", LogoutEverywhereView.as_view(), name="api-logout-everywhere"),
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
