from django.urls import path

from . import api

urlpatterns = [
    path("meetings/", api.MeetingList.as_view(), name="voting-meeting-list"),
    path("meetings/<int:pk>/", api.MeetingDetail.as_view(), name="voting-meeting-detail"),
    path("meetings/<int:pk>/motions/", api.MotionList.as_view(), name="voting-motion-list"),
    path("meetings/<int:pk>/results/", api.Results.as_view(), name="voting-results"),
    path("meetings/<int:pk>/ballots/", api.StaffBallotList.as_view(), name="voting-staff-ballots"),
    path("motions/<int:pk>/cast/", api.Cast.as_view(), name="voting-cast"),
    path("my-ballots/", api.MyBallotList.as_view(), name="voting-my-ballots"),
    path("receipts/<str:code>/", api.Receipt.as_view(), name="voting-receipt"),
]
