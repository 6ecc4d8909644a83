"""REST API for tickets: residents and staff share the endpoints; what each sees and may do
is decided by selectors (visibility) and the transition table (actions)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from community.api.parsers import PARSER_CLASSES

from . import selectors, services
from .models import Ticket
from .serializers import (
    ACTION_NAMES,
    CategorySerializer,
    CommentSerializer,
    EventSerializer,
    RateSerializer,
    RatingSerializer,
    TicketActionSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)
from .transitions import OPEN_STATUSES, Status


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    open = django_filters.BooleanFilter(method="filter_open", label=gettext_lazy("open"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=gettext_lazy("assigned to me"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=gettext_lazy("overdue"))

    class Meta:
        model = Ticket
        fields = ["status", "kind", "category", "priority", "assignee", "estate"]

    def filter_open(self, qs, name, value):
        return qs.filter(status__in=OPEN_STATUSES) if value else qs.exclude(status__in=OPEN_STATUSES)

    def filter_mine(self, qs, name, value):
        return qs.filter(assignee=self.request.user) if value else qs

    def filter_overdue(self, qs, name, value):
        if not value:
            return qs
        return qs.overdue(timezone.now())


def _files(request, data: dict) -> list:
    return request.FILES.getlist("photos") if hasattr(request, "FILES") else data.get("photos", [])


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    parser_classes = PARSER_CLASSES

    def get_queryset(self):
        return (
            selectors.visible_tickets(self.request.user)
            .select_related("category", "unit__building", "assignee")
            .order_by("-created_at", "-id")
        )

    def _ticket(self, pk) -> Ticket:
        # DRF's get_object_or_404 answers 404 for a malformed id ("abc") instead of a 500.
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _detail(self, ticket: Ticket, code=status.HTTP_200_OK) -> Response:
        user = self.request.user
        internal = selectors.can_see_internal(user, ticket)
        full = selectors.ticket_detail(selectors.visible_tickets(user), ticket.pk, internal=internal)
        context = {**self.get_serializer_context(), "actions": selectors.actions_for(user, full)}
        return Response(TicketDetailSerializer(full, context=context).data, status=code)

    @extend_schema(responses=TicketDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(self._ticket(pk))

    @extend_schema(
        request={"multipart/form-data": TicketCreateSerializer, "application/json": TicketCreateSerializer},
        responses={201: TicketDetailSerializer},
    )
    def create(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.ticket_create(
            by=request.user,
            category=data["category"],
            description=data["description"],
            unit=data.get("unit"),
            common_area=data.get("common_area", ""),
            priority=data.get("priority"),
            channel=data.get("channel"),
            reporter=data.get("reporter"),
            photos=_files(request, data),
        )
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(
        request=TicketUpdateSerializer, responses={200: TicketDetailSerializer, 409: OpenApiTypes.OBJECT}
    )
    def partial_update(self, request, pk=None):
        ticket = self._ticket(pk)
        serializer = TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        reason = changes.pop("reason", "")
        ticket = services.ticket_update(
            ticket=ticket, by=request.user, expected_version=version, changes=changes, reason=reason
        )
        return self._detail(ticket)

    @extend_schema(
        request={"application/json": TicketActionSerializer, "multipart/form-data": TicketActionSerializer},
        responses={
            200: TicketDetailSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            409: OpenApiTypes.OBJECT,
        },
        parameters=[
            OpenApiParameter(
                "action_name",
                str,
                OpenApiParameter.PATH,
                enum=ACTION_NAMES,
                description=", ".join(ACTION_NAMES),
            )
        ],
        description="Apply one workflow action. Bad input answers 400, actions you may not take 403, "
        "a move impossible from the current status or a stale version 409.",
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_name>[a-z_]+)")
    def act(self, request, pk=None, action_name=None):
        ticket = self._ticket(pk)
        serializer = TicketActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignee = None
        if data.get("assignee") is not None:
            assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
            if assignee is None:
                raise ValidationError({"assignee": [_("No such user.")]})
        ticket = services.ticket_act(
            ticket=ticket,
            action=action_name,
            by=request.user,
            expected_version=data.get("version"),
            reason=data.get("reason", ""),
            assignee=assignee,
            hold_reason=data.get("hold_reason", ""),
            photos=_files(request, data),
        )
        return self._detail(ticket)

    @extend_schema(
        request=None,
        responses={200: TicketDetailSerializer, 403: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
        description="The estate's manager stops the clock of a ticket on hold waiting for parts "
        "(a wait for parts keeps the clock running until approved).",
    )
    @action(detail=True, methods=["post"], url_path="hold-approval")
    def hold_approval(self, request, pk=None):
        ticket = services.ticket_hold_approve(ticket=self._ticket(pk), by=request.user)
        return self._detail(ticket)

    @extend_schema(request=CommentSerializer, responses={201: EventSerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        ticket = self._ticket(pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.ticket_comment(
            ticket=ticket,
            by=request.user,
            body=serializer.validated_data["body"],
            internal=serializer.validated_data["internal"],
        )
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        ticket = self._ticket(pk)
        events = ticket.events.select_related("actor").order_by("created_at", "id")
        if not selectors.can_see_internal(request.user, ticket):
            events = events.filter(is_internal=False)
        return Response(EventSerializer(events, many=True).data)

    @extend_schema(request=RateSerializer, responses={201: RatingSerializer})
    @action(detail=True, methods=["post"])
    def rating(self, request, pk=None):
        ticket = self._ticket(pk)
        serializer = RateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = services.ticket_rate(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Active categories of the estates where the user lives or works."""

    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.visible_categories(self.request.user)
