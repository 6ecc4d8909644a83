from django.urls import include, path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    # Residents join only through a staff invitation (allauth's own signup stays closed).
    path("invite/", views.invite, name="account_invite"),
    path("invite/password/", views.invite_password, name="account_invite_password"),
    # Phone and email change only with a code to the new value (and a notice to the old one):
    # allauth's own pages for both change them directly while verification is off.
    path("identifiers/", views.identifiers, name="account_identifiers"),
    path("identifiers/<int:pk>/confirm/", views.identifier_confirm, name="account_identifier_confirm"),
    path("email/", RedirectView.as_view(pattern_name="account_identifiers")),
    path("phone/change/", RedirectView.as_view(pattern_name="account_identifiers")),
    path("logout-everywhere/", views.logout_everywhere, name="account_logout_everywhere"),
    path("", include("allauth.urls")),
]
