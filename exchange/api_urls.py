from django.urls import path

from .api import OpenRecordsView

app_name = "exchange-api"

urlpatterns = [path("records/", OpenRecordsView.as_view(), name="records")]
