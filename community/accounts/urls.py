from django.urls import include, path

from . import views

urlpatterns = [
    # Residents join only through a staff invitation (allauth's own signup stays closed).
    path("invite/", views.invite, name="account_invite"),
    path("invite/password/", views.invite_password, name="account_invite_password"),
    path("", include("allauth.urls")),
]
