from django.urls import path

from . import api, api_ballots

urlpatterns = [
    path("meetings/", api.MeetingList.as_view(), name="voting-meeting-list"),
    path("meetings/<int:pk>/", api.MeetingDetail.as_view(), name="voting-meeting-detail"),
    path("meetings/<int:pk>/motions/", api.MotionList.as_view(), name="voting-motion-list"),
    path("meetings/<int:pk>/results/", api.Results.as_view(), name="voting-results"),
    path("meetings/<int:pk>/ballots/", api.StaffBallotList.as_view(), name="voting-staff-ballots"),
    path("meetings/<int:pk>/ballot/", api_ballots.WholeBallot.as_view(), name="voting-whole-ballot"),
    path(
        "meetings/<int:pk>/paper-ballots/", api_ballots.PaperBallotList.as_view(), name="voting-paper-ballots"
    ),
    path("meetings/<int:pk>/scrutiny/", api_ballots.ScrutinyList.as_view(), name="voting-scrutiny"),
    path("paper-ballots/<int:pk>/confirm/", api_ballots.PaperConfirm.as_view(), name="voting-paper-confirm"),
    path("paper-ballots/<int:pk>/reject/", api_ballots.PaperReject.as_view(), name="voting-paper-reject"),
    path("motions/<int:pk>/cast/", api.Cast.as_view(), name="voting-cast"),
    path("my-ballots/", api.MyBallotList.as_view(), name="voting-my-ballots"),
    path("receipts/<str:code>/", api.Receipt.as_view(), name="voting-receipt"),
]
