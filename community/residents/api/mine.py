"""The resident's own endpoints: "my" households (through the selectors, which apply
``my_households_q``) and the announcements of their estates."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.filters import SearchFilter
from rest_framework.permissions import IsAuthenticated

from community.api.filters import IdFilter
from community.api.schema import DETAIL_ERRORS, READ_ERRORS
from community.api.views import ApiDefaults

from .. import selectors
from ..models import Announcement, Occupancy, OccupancyRole, Unit
from .refs import BuildingRefSerializer, EstateRefSerializer


class HouseholdMemberSerializer(serializers.ModelSerializer):
    """A current member of one of my households. Never the ID number; others' phones masked."""

    name = serializers.CharField(source="resident.name")
    role_display = serializers.CharField(source="get_role_display")
    is_me = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField(help_text="Full for yourself, masked (138****0001) for others.")

    class Meta:
        model = Occupancy
        fields = ["name", "role", "role_display", "is_primary_contact", "is_me", "phone"]

    def get_is_me(self, occupancy: Occupancy) -> bool:
        return (
            occupancy.resident.user_id is not None
            and occupancy.resident.user_id == self.context["request"].user.pk
        )

    def get_phone(self, occupancy: Occupancy) -> str:
        resident = occupancy.resident
        if self.get_is_me(occupancy):
            return str(resident.phone) if resident.phone else ""
        return resident.masked_phone


class MyUnitSerializer(serializers.ModelSerializer):
    estate = EstateRefSerializer(source="building.estate")
    building = BuildingRefSerializer()
    label = serializers.CharField()
    my_role = serializers.SerializerMethodField(help_text="Your occupancy role in this unit.")
    members = HouseholdMemberSerializer(source="current_members", many=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "label",
            "estate",
            "building",
            "entrance",
            "floor",
            "number",
            "exclusive_area",
            "usage",
            "my_role",
            "members",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=OccupancyRole.choices, allow_null=True))
    def get_my_role(self, unit: Unit) -> str | None:
        user_id = self.context["request"].user.pk
        return next((o.role for o in unit.current_members if o.resident.user_id == user_id), None)


class AnnouncementSerializer(serializers.ModelSerializer):
    estate = EstateRefSerializer()

    class Meta:
        model = Announcement
        fields = ["id", "estate", "title", "body", "pinned", "publish_at", "expires_at"]


class MyAnnouncementFilter(filters.FilterSet):
    estate = IdFilter(field_name="estate_id", help_text="Only this estate's announcements.")

    class Meta:
        model = Announcement
        fields = ["estate"]


@extend_schema_view(
    list=extend_schema(summary="My units", responses={200: MyUnitSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(summary="One of my units", responses={200: MyUnitSerializer, **DETAIL_ERRORS}),
)
class MyUnitViewSet(ApiDefaults, viewsets.ReadOnlyModelViewSet):
    """The units where I hold an active occupancy, with building, estate, my role and members."""

    serializer_class = MyUnitSerializer
    permission_classes = [IsAuthenticated]
    queryset = Unit.objects.none()  # for the schema; get_queryset is what runs

    def get_queryset(self) -> QuerySet[Unit]:
        return selectors.my_units_with_members(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Current announcements of my estates",
        responses={200: AnnouncementSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One current announcement of my estates",
        responses={200: AnnouncementSerializer, **DETAIL_ERRORS},
    ),
)
class MyAnnouncementViewSet(ApiDefaults, viewsets.ReadOnlyModelViewSet):
    """Current announcements of the estates where I live; filter by estate, search title and body."""

    serializer_class = AnnouncementSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    filterset_class = MyAnnouncementFilter
    search_fields = ["title", "body"]
    queryset = Announcement.objects.none()

    def get_queryset(self) -> QuerySet[Announcement]:
        return selectors.announcements_for_user(self.request.user)
