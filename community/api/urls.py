from django.urls import include, path

urlpatterns = [
    path("", include("community.residents.api_urls")),
    path("tickets/", include("community.tickets.api_urls")),
    path("voting/", include("community.voting.api_urls")),
    path("", include("access.api_urls")),
]
