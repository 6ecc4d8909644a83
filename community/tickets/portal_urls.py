from django.urls import path

from . import views

app_name = "portal-tickets"

urlpatterns = [
    path("", views.portal_index, name="index"),
    path("new/", views.portal_create, name="create"),
    path("photos/<int:pk>/", views.ticket_photo, name="photo"),
    path("<int:pk>/", views.portal_detail, name="detail"),
    path("<int:pk>/comment/", views.portal_comment, name="comment"),
    path("<int:pk>/rate/", views.portal_rate, name="rate"),
    path("<int:pk>/<slug:action>/", views.portal_act, name="act"),
]
