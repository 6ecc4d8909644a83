"""REST API for whole ballots and returned paper ballots (/api/v1/voting/): owners submit every
motion at once; the front desk keys in sheets for the estates where its role may; appointed
scrutineers (residents) confirm or reject each. Apart from ``api`` so each module stays short;
the serializers of ballots and meetings are shared from there."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .api import BallotSerializer, _meeting
from .models import Meeting, PaperBallot, ProxyAuthorisation, RollEntry

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
