from django.urls import path

from . import views

app_name = "portal-voting"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/roll/", views.roll, name="roll"),
    path("<int:pk>/my-ballots/", views.my_ballots, name="ballots"),
    path("<int:pk>/results.<str:fmt>", views.export, name="export"),
    path("<int:pk>/ballot/", views.submit, name="submit"),
    path("<int:pk>/scrutiny/", views.scrutiny, name="scrutiny"),
    path("paper/<int:pk>/", views.scrutinise, name="scrutinise"),
    path("paper/<int:pk>/scan/", views.scan, name="scan"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("receipt/", views.receipt, name="receipt"),
]
