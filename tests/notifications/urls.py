"""The root URLconf plus the inbox page and API, as the lead is asked to include them
(community/urls.py and community/api/urls.py)."""

from django.urls import include, path

from community.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("portal/inbox/", include("community.notifications.urls")),
    path("api/v1/notifications/", include("community.notifications.api_urls")),
    *site_urlpatterns,
]
