from django.urls import path

from . import views

app_name = "portal-voting"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/roll/", views.roll, name="roll"),
    path("<int:pk>/my-ballots/", views.my_ballots, name="ballots"),
    path("<int:pk>/results.<str:fmt>", views.export, name="export"),
    path("motions/<int:pk>/vote/", views.vote, name="vote"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("receipt/", views.receipt, name="receipt"),
]
