from django.urls import include, path, re_path

from community.api.views import not_found

urlpatterns = [
    # First: device traffic is most of the API's requests, and Django tries patterns in order.
    path("", include("access.api_urls")),
    path("parking/", include("parking.api_urls")),
    path("", include("community.residents.api_urls")),
    path("tickets/", include("community.tickets.api_urls")),
    path("voting/", include("community.voting.api_urls")),
    path("billing/", include("community.billing.api_urls")),
    path("notifications/", include("community.notifications.api_urls")),
    path("eldercare/", include("eldercare.api_urls")),
    path("open/", include("exchange.api_urls")),
    # Last: unknown /api/v1/ paths answer the JSON error body, not the HTML 404 page.
    re_path(r"^", not_found, name="api-not-found"),
]
