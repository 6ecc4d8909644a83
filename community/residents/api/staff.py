"""Staff endpoints: estates, buildings, units, residents and announcements, read through
``staff_scope`` and written only where the role allows it in the object's estate."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.filters import SearchFilter

from community.api.filters import IdFilter, SmallIntFilter
from community.api.permissions import StaffModelPermissions, estate_ids_with_permission, roles_with_permission
from community.api.schema import DETAIL_ERRORS, READ_ERRORS, WRITE_ERRORS
from community.api.views import ApiDefaults
from community.scoping import staff_scope

from ..models import Announcement, Building, Estate, Occupancy, Resident, Unit, UnitUsage
from ..services import announcement_create, announcement_delete, announcement_update


class EstateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Estate
        fields = ["id", "name", "code", "address", "latitude", "longitude", "time_zone"]


class BuildingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "estate", "name", "floors"]


class UnitSerializer(serializers.ModelSerializer):
    estate = serializers.IntegerField(source="building.estate_id", read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "estate",
            "building",
            "label",
            "entrance",
            "floor",
            "number",
            "exclusive_area",
            "area_source",
            "usage",
            "developer_owned",
        ]


class ResidentOccupancySerializer(serializers.ModelSerializer):
    unit_label = serializers.CharField(source="unit.label")

    class Meta:
        model = Occupancy
        fields = ["id", "unit", "unit_label", "role", "is_primary_contact", "start_date"]


class ResidentSerializer(serializers.ModelSerializer):
    """A resident as staff see them: phone and ID number masked (the admin shows them in full)."""

    phone = serializers.CharField(source="masked_phone")
    id_number = serializers.CharField(source="masked_id_number")
    has_account = serializers.SerializerMethodField()
    occupancies = ResidentOccupancySerializer(
        source="current_occupancies", many=True, help_text="Current (not ended) occupancies."
    )

    class Meta:
        model = Resident
        fields = ["id", "estate", "name", "phone", "id_number", "has_account", "occupancies"]

    def get_has_account(self, resident: Resident) -> bool:
        return resident.user_id is not None


class WritableEstateField(serializers.PrimaryKeyRelatedField):
    """An estate id the requesting staff member may publish in; anything else is one clear 400.

    Unknown ids and other estates' ids get the same message, so the answer does not reveal
    which estates exist.
    """

    default_error_messages = {
        "does_not_exist": gettext_lazy(
            "You cannot publish announcements for estate {pk_value}: it does not exist or your "
            "role there does not allow it."
        ),
    }

    def get_queryset(self):
        request = self.context["request"]
        perm = "residents.add_announcement" if request.method == "POST" else "residents.change_announcement"
        ids = estate_ids_with_permission(request.user, perm)
        estates = Estate.objects.all()
        return estates if ids is None else estates.filter(pk__in=ids)


class StaffAnnouncementSerializer(serializers.ModelSerializer):
    estate = WritableEstateField()
    is_current = serializers.SerializerMethodField(help_text="Published and not yet expired.")

    class Meta:
        model = Announcement
        fields = [
            "id",
            "estate",
            "title",
            "body",
            "pinned",
            "publish_at",
            "expires_at",
            "is_current",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_by", "created_at"]

    def get_is_current(self, announcement: Announcement) -> bool:
        now = timezone.now()
        return announcement.publish_at <= now and (
            announcement.expires_at is None or announcement.expires_at > now
        )

    def create(self, validated_data):
        return announcement_create(by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return announcement_update(announcement=instance, by=self.context["request"].user, **validated_data)


class EstateScopedViewSet(ApiDefaults, viewsets.GenericViewSet):
    """Base for staff endpoints: model permissions of the user's roles, rows of their estates."""

    permission_classes = [StaffModelPermissions]
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]

    def scoped(self, queryset: QuerySet) -> QuerySet:
        # Only estates where one of the user's roles may view this model: a manager of estate A
        # who is a technician in estate B must not read B's residents.
        opts = queryset.model._meta
        roles = roles_with_permission(f"{opts.app_label}.view_{opts.model_name}")
        return staff_scope(queryset, self.request.user, roles=roles)


class BuildingFilter(filters.FilterSet):
    estate = IdFilter(field_name="estate_id")

    class Meta:
        model = Building
        fields = ["estate"]


class UnitFilter(filters.FilterSet):
    estate = IdFilter(field_name="building__estate_id")
    building = IdFilter(field_name="building_id")
    usage = filters.ChoiceFilter(choices=UnitUsage.choices)
    entrance = filters.CharFilter()
    floor = SmallIntFilter()

    class Meta:
        model = Unit
        fields = ["estate", "building", "usage", "entrance", "floor"]


def _full_value(kind: str):
    """A validator: the parameter must be a whole phone / ID number, never a fragment."""
    from django.core.exceptions import ValidationError

    from community.personal_search import classify

    messages = {
        "phone": gettext_lazy("Give a full mobile number: partial numbers are not searched."),
        "id_number": gettext_lazy("Give a full ID number: partial numbers are not searched."),
    }

    def validate(value):
        found = classify(value)
        if found is None or found[0] != kind:
            raise ValidationError(messages[kind], code="not_full_value")

    return validate


class ResidentFilter(filters.FilterSet):
    estate = IdFilter(field_name="estate_id")
    unit = IdFilter(method="filter_unit", help_text="Residents currently living in this unit.")
    # Phones and ID numbers are masked in answers: matching whole values only keeps them from
    # being recovered digit by digit, and every such search is recorded (issue #15 item 4).
    phone = filters.CharFilter(
        method="filter_personal",
        validators=[_full_value("phone")],
        help_text="A full mobile number; exact match only. Each search is recorded.",
    )
    id_number = filters.CharFilter(
        method="filter_personal",
        validators=[_full_value("id_number")],
        help_text="A full ID number; exact match only. Each search is recorded.",
    )

    class Meta:
        model = Resident
        fields = ["estate", "unit", "phone", "id_number"]

    def filter_personal(self, queryset, name, value):
        from community.personal_search import classify, exact_q, record

        kind, normalised = classify(value)
        matched = queryset.filter(exact_q([name], kind, normalised))
        record(request=self.request, surface="api:residents", kind=kind, value=normalised, queryset=matched)
        return matched

    def filter_unit(self, queryset, name, value):
        # A subquery rather than a join: no duplicate rows, no DISTINCT.
        living = Occupancy.objects.active().filter(unit_id=value).values("resident_id")
        return queryset.filter(pk__in=living)


class AnnouncementFilter(filters.FilterSet):
    estate = IdFilter(field_name="estate_id")
    current = filters.BooleanFilter(method="filter_current", help_text="true: published and not expired.")

    class Meta:
        model = Announcement
        fields = ["estate", "current"]

    def filter_current(self, queryset, name, value):
        current = Announcement.objects.current().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


@extend_schema_view(
    list=extend_schema(
        summary="Estates I serve", responses={200: EstateSerializer(many=True), **READ_ERRORS}
    ),
    retrieve=extend_schema(summary="One estate I serve", responses={200: EstateSerializer, **DETAIL_ERRORS}),
)
class EstateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EstateScopedViewSet):
    """Estates where I hold a staff role (all for superusers)."""

    serializer_class = EstateSerializer
    search_fields = ["name", "code"]
    queryset = Estate.objects.all()

    def get_queryset(self):
        return self.scoped(Estate.objects.all())


@extend_schema_view(
    list=extend_schema(
        summary="Buildings of my estates", responses={200: BuildingSerializer(many=True), **READ_ERRORS}
    ),
    retrieve=extend_schema(summary="One building", responses={200: BuildingSerializer, **DETAIL_ERRORS}),
)
class BuildingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EstateScopedViewSet):
    """Buildings of the estates I serve; filter by estate, search by name."""

    serializer_class = BuildingSerializer
    filterset_class = BuildingFilter
    search_fields = ["name"]
    queryset = Building.objects.all()

    def get_queryset(self):
        return self.scoped(Building.objects.all())


@extend_schema_view(
    list=extend_schema(
        summary="Units of my estates", responses={200: UnitSerializer(many=True), **READ_ERRORS}
    ),
    retrieve=extend_schema(summary="One unit", responses={200: UnitSerializer, **DETAIL_ERRORS}),
)
class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EstateScopedViewSet):
    """Units of the estates I serve; filter by estate, building, usage, entrance, floor."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    search_fields = ["number"]
    queryset = Unit.objects.all()

    def get_queryset(self):
        return self.scoped(Unit.objects.select_related("building"))


@extend_schema_view(
    list=extend_schema(
        summary="Residents of my estates (phone and ID number masked)",
        responses={200: ResidentSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(summary="One resident", responses={200: ResidentSerializer, **DETAIL_ERRORS}),
)
class ResidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EstateScopedViewSet):
    """Residents of the estates I serve, with phone and ID number masked; filter by unit, search by name."""

    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    search_fields = ["name"]
    queryset = Resident.objects.all()

    def get_queryset(self):
        current = Occupancy.objects.active().select_related("unit__building").order_by("unit_id")
        return self.scoped(
            Resident.objects.prefetch_related(
                Prefetch("occupancies", queryset=current, to_attr="current_occupancies")
            )
        )


@extend_schema_view(
    list=extend_schema(
        summary="Announcements of my estates (all, including past and scheduled)",
        responses={200: StaffAnnouncementSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One announcement", responses={200: StaffAnnouncementSerializer, **DETAIL_ERRORS}
    ),
    create=extend_schema(
        summary="Publish an announcement in an estate where my role allows it",
        responses={201: StaffAnnouncementSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary="Replace an announcement", responses={200: StaffAnnouncementSerializer, **WRITE_ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change an announcement", responses={200: StaffAnnouncementSerializer, **WRITE_ERRORS}
    ),
    destroy=extend_schema(summary="Delete an announcement", responses={204: None, **DETAIL_ERRORS}),
)
class AnnouncementViewSet(EstateScopedViewSet, viewsets.ModelViewSet):
    """Announcements of the estates I serve. Writing needs a role that may publish in that estate."""

    serializer_class = StaffAnnouncementSerializer
    filterset_class = AnnouncementFilter
    search_fields = ["title", "body"]
    queryset = Announcement.objects.all()

    def get_queryset(self):
        return self.scoped(Announcement.objects.all())

    def perform_destroy(self, instance):
        announcement_delete(announcement=instance, by=self.request.user)
