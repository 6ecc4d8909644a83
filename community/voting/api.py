"""REST API of the owners' assembly (/api/v1/voting/): thin views over selectors and services.

Owners submit whole ballots (every motion at once, unanswered ones blank); the front desk keys
in returned paper ballots for the estates where its role may; appointed scrutineers (residents)
list the keyed ballots waiting for them and confirm or reject each. Staff never list named
choices before the results are published (``selectors.choice_visible_to_staff``).
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
    PaperBallot,
    ProxyAuthorisation,
    RollEntry,
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


# --- Whole ballots -------------------------------------------------------------------------------

ANSWER_HELP = (
    "Motion id -> the answer: agree / oppose / abstain for a yes/no motion; for an election a list "
    "of candidate ids (at most `seats`) or abstain. Motions left out are blank (counted as "
    "abstentions where the estate says so, as by default)."
)


class AnswersField(serializers.DictField):
    """motion id -> "agree" | "oppose" | "abstain" | "" | [candidate ids]."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        out = {}
        for key, value in data.items():
            if not str(key).isdigit():
                raise serializers.ValidationError(_("Motion ids are whole numbers."))
            if isinstance(value, list):
                if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                    raise serializers.ValidationError(_("Candidates are given by their ids."))
            elif value is not None and not isinstance(value, str):
                raise serializers.ValidationError(_("Give a choice or a list of candidate ids."))
            out[int(key)] = value
        return out


class WholeBallotSerializer(serializers.Serializer):
    choices = AnswersField(help_text=ANSWER_HELP)
    entry = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The roll entry this ballot is for; required when the owner is in several entries.",
    )


class WholeBallot(APIView):
    """Submit the whole ballot at once: every motion takes part (the last ballot counts until
    voting closes). The answer lists the ballot recorded for each motion with its receipt code."""

    @extend_schema(request=WholeBallotSerializer, responses={201: BallotSerializer(many=True)})
    def post(self, request, pk: int):
        meeting = _meeting(request, pk)
        serializer = WholeBallotSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ballots = services.ballot_submit_by_owner(
            user=request.user,
            meeting=meeting,
            choices=serializer.validated_data["choices"],
            entry_id=serializer.validated_data.get("entry"),
        )
        return Response(BallotSerializer(ballots, many=True).data, status=status.HTTP_201_CREATED)


# --- Paper ballots: keyed by the desk, confirmed by a scrutineer ---------------------------------


class PaperBallotSerializer(serializers.ModelSerializer):
    roll_entry_name = serializers.CharField(source="roll_entry.name", read_only=True)
    choices = serializers.SerializerMethodField(
        help_text="Motion id -> the choice (or chosen candidate ids). Null for staff other than the "
        "person who keyed it until the results are published."
    )

    class Meta:
        model = PaperBallot
        fields = [
            "id",
            "meeting",
            "roll_entry",
            "roll_entry_name",
            "proxy",
            "signer_name",
            "received_at",
            "status",
            "choices",
            "entered_at",
            "confirmed_at",
            "rejection_reason",
        ]

    def get_choices(self, obj) -> dict | None:
        if self.context.get("scrutineer") or selectors.paper_choices_visible(
            obj, self.context["request"].user
        ):
            return obj.choices
        return None


class PaperBallotEntrySerializer(serializers.Serializer):
    roll_entry = serializers.IntegerField(min_value=1)
    proxy = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    signer_name = serializers.CharField(max_length=100)
    received_at = serializers.DateTimeField()
    scan = serializers.FileField()
    choices = serializers.JSONField(
        help_text="As on the sheet: " + ANSWER_HELP + " Over-marked lists are recorded invalid."
    )

    def validate_choices(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Give an object: motion id -> choice."))
        return AnswersField().to_internal_value(value)


class PaperBallotList(generics.ListCreateAPIView):
    """Returned ballots of one meeting, for staff whose role keys them in (the front desk,
    managers) in that estate. Each sheet's choices show only to the person who keyed it until
    the results are published."""

    serializer_class = PaperBallotSerializer
    filterset_class = None

    def _meeting(self) -> Meeting:
        return get_object_or_404(
            selectors.meetings_for_staff(self.request.user, selectors.KEY_PAPER), pk=self.kwargs["pk"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PaperBallot.objects.none()
        return selectors.paper_ballots(self._meeting())

    @extend_schema(
        request={"multipart/form-data": PaperBallotEntrySerializer}, responses={201: PaperBallotSerializer}
    )
    def post(self, request, pk: int):
        meeting = self._meeting()
        serializer = PaperBallotEntrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = RollEntry.objects.filter(meeting=meeting, pk=data["roll_entry"]).first()
        if entry is None:
            raise exceptions.ValidationError({"roll_entry": [_("No such entry on this meeting's roll.")]})
        proxy = None
        if data.get("proxy"):
            proxy = ProxyAuthorisation.objects.filter(meeting=meeting, pk=data["proxy"]).first()
            if proxy is None:
                raise exceptions.ValidationError({"proxy": [_("No such authorisation in this meeting.")]})
        paper = services.paper_ballot_enter(
            meeting=meeting,
            roll_entry=entry,
            proxy=proxy,
            signer_name=data["signer_name"],
            received_at=data["received_at"],
            scan=data["scan"],
            choices=data["choices"],
            by=request.user,
        )
        return Response(
            PaperBallotSerializer(paper, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


def _scrutineer_meeting(request, pk: int) -> Meeting:
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    if not services.is_scrutineer(meeting, request.user):
        raise exceptions.NotFound(_("You are not a scrutineer of this meeting."))
    return meeting


class ScrutinyList(generics.ListAPIView):
    """For the meeting's scrutineers: keyed ballots waiting for confirmation, with their choices."""

    serializer_class = PaperBallotSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PaperBallot.objects.none()
        return selectors.paper_ballots_pending(_scrutineer_meeting(self.request, self.kwargs["pk"]))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "scrutineer": True}


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


def _paper_for_scrutineer(request, pk: int) -> PaperBallot:
    paper = get_object_or_404(
        PaperBallot.objects.select_related("meeting").filter(
            meeting__in=selectors.meetings_for_resident(request.user)
        ),
        pk=pk,
    )
    if not services.is_scrutineer(paper.meeting, request.user):
        raise exceptions.NotFound()
    return paper


class PaperConfirm(APIView):
    """A scrutineer confirms a keyed ballot (never the person who keyed it; never staff)."""

    @extend_schema(request=None, responses={200: PaperBallotSerializer})
    def post(self, request, pk: int):
        paper = services.paper_ballot_confirm(paper=_paper_for_scrutineer(request, pk), by=request.user)
        return Response(PaperBallotSerializer(paper, context={"request": request, "scrutineer": True}).data)


class PaperReject(APIView):
    """A scrutineer rejects a keyed ballot, with the reason: it stays on record, uncounted."""

    @extend_schema(request=RejectSerializer, responses={200: PaperBallotSerializer})
    def post(self, request, pk: int):
        paper = _paper_for_scrutineer(request, pk)
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        paper = services.paper_ballot_reject(
            paper=paper, reason=serializer.validated_data["reason"], by=request.user
        )
        return Response(PaperBallotSerializer(paper, context={"request": request, "scrutineer": True}).data)
