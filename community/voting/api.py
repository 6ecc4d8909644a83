"""REST API of the owners' assembly (/api/v1/voting/): thin views over selectors and services.

Meetings, motions (with an election's candidates), results, the one-motion cast, receipts and
the staff's ballot list; whole ballots and paper ballots are in ``api_ballots``. Staff never
list named choices before the results are published (``selectors.choice_visible_to_staff``).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api.errors import Conflict
from community.api.filters import IdFilter

from . import selectors, services
from .models import (
    OWNER_CHOICES,
    Ballot,
    Candidate,
    Meeting,
    MeetingStatus,
    Motion,
    MotionAttachment,
)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = MotionAttachment
        fields = ["id", "name", "url"]

    def get_url(self, obj) -> str:
        # The scoped download view, not the storage URL: media are not served publicly (a
        # storage URL would 404 here, or, served by a web server, skip the visibility check).
        return reverse("portal-voting:attachment", args=[obj.pk])


class CandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Candidate
        fields = ["id", "position", "name", "statement"]


class MotionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    seats = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="An election (candidate list): how many may be elected; choose up to this many. "
        "Null for a yes/no motion.",
    )
    candidates = CandidateSerializer(many=True, read_only=True)

    class Meta:
        model = Motion
        fields = ["id", "position", "title", "text", "matter", "kind", "seats", "candidates", "attachments"]


class MeetingSerializer(serializers.ModelSerializer):
    estate_name = serializers.CharField(source="estate.name", read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "estate",
            "estate_name",
            "title",
            "description",
            "convenor",
            "ballot_mode",
            "status",
            "notice_published_at",
            "voting_opens_at",
            "voting_closes_at",
            "results_published_at",
        ]


class MeetingDetailSerializer(MeetingSerializer):
    motions = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "motions"]

    def get_motions(self, obj) -> list[dict]:
        return MotionSerializer(selectors.motions_with_attachments(obj), many=True, context=self.context).data


class BallotSerializer(serializers.ModelSerializer):
    motion_title = serializers.CharField(source="motion.title", read_only=True)
    counted = serializers.SerializerMethodField()
    candidates = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Ballot
        fields = [
            "id",
            "meeting",
            "motion",
            "motion_title",
            "choice",
            "candidates",
            "channel",
            "cast_at",
            "receipt_code",
            "counted",
        ]

    def get_counted(self, obj) -> bool:
        return not obj.superseded


class StaffBallotSerializer(serializers.ModelSerializer):
    roll_entry_name = serializers.CharField(source="roll_entry.name", read_only=True)

    class Meta:
        model = Ballot
        fields = [
            "seq",
            "motion",
            "roll_entry",
            "roll_entry_name",
            "choice",
            "candidates",
            "channel",
            "cast_at",
            "superseded",
        ]

    def to_representation(self, obj):
        data = super().to_representation(obj)
        if not self.context["show_choice"]:
            # Secret meeting, or results not yet published: who took part, never what they chose.
            data.pop("choice")
            data.pop("candidates")
        return data


class FiguresSerializer(serializers.Serializer):
    total_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_owners = serializers.IntegerField()
    participating_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    participating_owners = serializers.IntegerField()
    agree_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    agree_owners = serializers.IntegerField()
    oppose_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    oppose_owners = serializers.IntegerField()
    abstain_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    abstain_owners = serializers.IntegerField()


class CandidateTallySerializer(serializers.Serializer):
    candidate = serializers.IntegerField(source="candidate_id")
    name = serializers.CharField()
    yes_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    yes_owners = serializers.IntegerField()
    passed = serializers.BooleanField(
        source="outcome.decision.passed", help_text="Reached the Art. 278 thresholds alone."
    )
    rank = serializers.IntegerField(source="outcome.rank", allow_null=True)
    elected = serializers.BooleanField(source="outcome.elected")
    tied = serializers.BooleanField(
        source="outcome.tied", help_text="Tied for the last seat(s): a runoff decides."
    )


class TallySerializer(serializers.Serializer):
    motion = serializers.IntegerField(source="motion_id")
    title = serializers.CharField()
    matter = serializers.IntegerField()
    kind = serializers.CharField()
    figures = FiguresSerializer()
    quorum_met = serializers.BooleanField(source="decision.quorum_met")
    passed = serializers.BooleanField(source="decision.passed")
    imputed = FiguresSerializer(
        allow_null=True,
        help_text="'Non-voters follow the majority' (local rule), "
        "shown beside the raw figures; null when the estate does not use it.",
    )
    imputed_passed = serializers.SerializerMethodField()
    seats = serializers.IntegerField(allow_null=True)
    candidates = CandidateTallySerializer(
        many=True, help_text="An election: each candidate's votes and outcome; empty for a yes/no motion."
    )

    def get_imputed_passed(self, obj) -> bool | None:
        return obj.imputed_decision.passed if obj.imputed_decision else None


class CastSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=[(c.value, c.label) for c in OWNER_CHOICES])
    entry = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The roll entry this ballot is for; required when the owner is in several entries.",
    )


def _meeting(request, pk) -> Meeting:
    return get_object_or_404(selectors.meetings_visible_to(request.user), pk=pk)


class MeetingFilter(filters.FilterSet):
    estate = IdFilter(field_name="estate_id")

    class Meta:
        model = Meeting
        fields = ["status", "estate"]


class BallotFilter(filters.FilterSet):
    meeting = IdFilter(field_name="meeting_id")

    class Meta:
        model = Ballot
        fields = ["meeting"]


class MeetingList(generics.ListAPIView):
    """Meetings the user may see: staff their estates' (drafts too), owners and residents theirs."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self):
        return selectors.meetings_visible_to(self.request.user).order_by("-voting_opens_at", "-id")


class MeetingDetail(generics.RetrieveAPIView):
    serializer_class = MeetingDetailSerializer

    def get_queryset(self):
        return selectors.meetings_visible_to(self.request.user)


class MotionList(generics.ListAPIView):
    serializer_class = MotionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Motion.objects.none()
        return selectors.motions_with_attachments(_meeting(self.request, self.kwargs["pk"]))


class MyBallotList(generics.ListAPIView):
    """The user's current ballots (the ones that count) with their receipt codes."""

    serializer_class = BallotSerializer
    filterset_class = BallotFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ballot.objects.none()
        return selectors.my_current_ballots(self.request.user)


class Cast(APIView):
    """Cast or change the owner's ballot on a motion (the last one counts until voting closes)."""

    @extend_schema(request=CastSerializer, responses={201: BallotSerializer})
    def post(self, request, pk: int):
        motion = get_object_or_404(
            Motion.objects.select_related("meeting").filter(
                meeting__in=selectors.meetings_visible_to(request.user)
            ),
            pk=pk,
        )
        serializer = CastSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Refusals are community.errors exceptions: the envelope answers 403 / 409 / 400.
        ballot = services.ballot_cast_by_owner(
            user=request.user,
            motion=motion,
            choice=serializer.validated_data["choice"],
            entry_id=serializer.validated_data.get("entry"),
        )
        return Response(BallotSerializer(ballot).data, status=status.HTTP_201_CREATED)


class Results(APIView):
    """Published results (公示). Staff of the estate also see them once voting has closed."""

    @extend_schema(responses=TallySerializer(many=True))
    def get(self, request, pk: int):
        meeting = _meeting(request, pk)
        staff = selectors.is_meeting_staff(request.user, meeting)
        allowed = meeting.status == MeetingStatus.PUBLISHED or (
            staff and meeting.status in (MeetingStatus.CLOSED, MeetingStatus.COUNTING)
        )
        if not allowed:
            raise Conflict(_("The results are not published yet."))
        return Response(TallySerializer(selectors.published_tally(meeting), many=True).data)


class StaffBallotList(generics.ListAPIView):
    """Staff whose role may see ballots in the meeting's estate: who took part; the choice only
    in a named meeting whose results are published."""

    serializer_class = StaffBallotSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ballot.objects.none()
        meeting = get_object_or_404(
            selectors.meetings_for_staff(self.request.user, selectors.VIEW_BALLOT), pk=self.kwargs["pk"]
        )
        self.meeting = meeting
        return selectors.staff_ballots(meeting)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        meeting = getattr(self, "meeting", None)
        context["show_choice"] = bool(meeting and selectors.choice_visible_to_staff(meeting))
        return context


class Receipt(APIView):
    """Check a receipt code: the ballot it stands for, and whether it is the one that counts."""

    @extend_schema(
        responses=inline_serializer(
            "ReceiptCheck", {"ballot": BallotSerializer(), "chain_intact": serializers.BooleanField()}
        )
    )
    def get(self, request, code: str):
        ballot = selectors.receipt_lookup(request.user, code)
        if ballot is None:
            raise exceptions.NotFound(_("No ballot of yours has this receipt code."))
        return Response(
            {
                "ballot": BallotSerializer(ballot).data,
                "chain_intact": services.ballot_hash(ballot) == ballot.hash,
            }
        )
