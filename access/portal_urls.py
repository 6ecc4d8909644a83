"""Resident portal: visitor passes and my household's access records."""

from django.urls import path

from . import views

app_name = "portal-access"

urlpatterns = [
    path("", views.portal_index, name="index"),
    path("passes/new/", views.pass_create, name="pass-create"),
    path("passes/<int:pk>/", views.pass_detail, name="pass"),
    path("passes/<int:pk>/revoke/", views.pass_revoke, name="pass-revoke"),
    path("v/<str:token>/", views.visitor_view, name="visitor"),
]
