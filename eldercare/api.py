"""REST API for eldercare: orders for families and workers, alarms from care devices.

Thin: parse, call a service, answer. Visibility comes from the selectors; what an actor may do
from the transition table (services raise community.errors, the envelope maps them).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from access.device_api import DeviceAPIView
from access.models import DeviceKind
from access.services import device_heartbeat
from community.errors import ServiceError

from . import selectors, services
from .models import AlarmKind, ElderProfile, MealSlot, Order, ServiceItem
from .transitions import OrderStatus


class OrderSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)
    elder_name = serializers.CharField(source="elder.resident.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "elder",
            "elder_name",
            "item",
            "item_name",
            "scheduled_at",
            "meal_slot",
            "promised_at",
            "late_minutes",
            "urgent",
            "worker",
            "accepted_at",
            "checked_in_at",
            "check_in_method",
            "check_in_distance_m",
            "check_in_accuracy_m",
            "check_in_synced_late",
            "checked_out_at",
            "price",
            "subsidy_amount",
            "self_pay_amount",
            "rating",
        ]
        read_only_fields = fields


class BookSerializer(serializers.Serializer):
    elder = serializers.IntegerField()
    item = serializers.IntegerField()
    scheduled_at = serializers.DateTimeField(required=False)
    day = serializers.DateField(required=False)
    meal_slot = serializers.ChoiceField(choices=MealSlot.choices, required=False, default="")
    quantity = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=1, default=1)
    # No max_length here: the service refuses over-long text with the model's own limit and
    # the one message naming both lengths (community.errors.text_within).
    note = serializers.CharField(required=False, default="", allow_blank=True)


class CheckSerializer(serializers.Serializer):
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0)
    door_code = serializers.RegexField(r"^\d{6}$", required=False, default="", allow_blank=True)
    claimed_at = serializers.DateTimeField(required=False, allow_null=True)
    idempotency_key = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)


class OrderRateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, default="", allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders the user may see: their family's, and (care staff) their estates'."""

    serializer_class = OrderSerializer

    def get_queryset(self):
        user = self.request.user
        family = selectors.family_elders(user).values("pk")
        staff = selectors.staff_orders(user).values("pk")
        qs = Order.objects.filter(Q(elder__in=family) | Q(pk__in=staff)).select_related(
            "item", "elder__resident"
        )
        if self.request.query_params.get("available") == "1":
            qs = qs.filter(status=OrderStatus.PENDING)
        return qs.order_by("scheduled_at", "pk")

    def _order(self, pk) -> Order:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _answer(self, order: Order, code=status.HTTP_200_OK) -> Response:
        order = Order.objects.select_related("item", "elder__resident").get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=code)

    @extend_schema(request=BookSerializer, responses={201: OrderSerializer})
    def create(self, request):
        data = BookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        elder = (
            ElderProfile.objects.filter(pk=v["elder"])
            .filter(
                Q(pk__in=selectors.family_elders(request.user).values("pk"))
                | Q(pk__in=selectors.staff_elders(request.user).values("pk"))
            )
            .first()
        )
        if elder is None:
            raise ServiceError({"elder": [_("No such elder among yours.")]})
        item = ServiceItem.objects.filter(pk=v["item"]).first()
        if item is None:
            raise ServiceError({"item": [_("No such service.")]})
        order = services.order_book(
            elder=elder,
            item=item,
            by=request.user,
            scheduled_at=v.get("scheduled_at"),
            day=v.get("day"),
            meal_slot=v["meal_slot"],
            quantity=v["quantity"],
            note=v["note"],
        )
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Take an open order. Of many workers at once exactly one gets 200; the others 409."""
        order = get_object_or_404(selectors.staff_orders(request.user, roles=selectors.WORKER_ROLES), pk=pk)
        return self._answer(services.order_accept(order=order, by=request.user))

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def depart(self, request, pk=None):
        return self._answer(services.order_depart(order=self._order(pk), by=request.user))

    def _check(self, request, pk, service):
        data = CheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(service(order=self._order(pk), by=request.user, **data.validated_data))

    @extend_schema(request=CheckSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return self._check(request, pk, services.order_check_in)

    @extend_schema(request=CheckSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        return self._check(request, pk, services.order_check_out)

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._answer(services.order_confirm(order=self._order(pk), by=request.user))

    @extend_schema(request=OrderRateSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        data = OrderRateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_rate(order=self._order(pk), by=request.user, **data.validated_data)
        return self._answer(order)

    @extend_schema(request=ReasonSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.order_cancel(order=self._order(pk), by=request.user, **data.validated_data)
        )


class PositionSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0)


class SharingSerializer(serializers.Serializer):
    sharing = serializers.BooleanField()


class PositionAnswerSerializer(serializers.Serializer):
    sharing = serializers.BooleanField()
    reported_at = serializers.DateTimeField(allow_null=True)


def _position_answer(row) -> Response:
    return Response(PositionAnswerSerializer({"sharing": row.sharing, "reported_at": row.reported_at}).data)


class MyPositionView(APIView):
    """A care worker's phone reports where it is (only while the worker shares the position);
    the coordinator's nearest-worker suggestion reads the last report."""

    @extend_schema(request=PositionSerializer, responses={200: PositionAnswerSerializer})
    def post(self, request):
        data = PositionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _position_answer(services.worker_position_report(by=request.user, **data.validated_data))


class MyPositionSharingView(APIView):
    """The worker turns position sharing on or off (off erases the stored position)."""

    @extend_schema(request=SharingSerializer, responses={200: PositionAnswerSerializer})
    def post(self, request):
        data = SharingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _position_answer(services.worker_position_sharing_set(by=request.user, **data.validated_data))


class DeviceMessageSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["alarm", "heartbeat"], default="alarm")
    event_id = serializers.CharField(max_length=100, required=False, default="")
    kind = serializers.ChoiceField(
        choices=[k for k in AlarmKind.values if k != AlarmKind.WELFARE_CHECK], required=False
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs["type"] == "alarm":
            if not attrs.get("event_id"):
                raise serializers.ValidationError({"event_id": _("An alarm needs the device's event id.")})
            if not attrs.get("kind"):
                raise serializers.ValidationError({"kind": _("Say what kind of alarm.")})
        return attrs


class CareAlarmView(DeviceAPIView):
    """Care devices (SOS button, fall detector, smoke/gas, water meter) post alarms and
    heartbeats. An alarm is stored once per device event id; the answer comes after it is."""

    serializer_class = DeviceMessageSerializer

    @extend_schema(operation_id="eldercare_alarms_post", tags=["devices"], request=DeviceMessageSerializer)
    def post(self, request):
        device = request.auth
        data = DeviceMessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["type"] == "heartbeat":
            device_heartbeat(device=device)
            return Response({"ok": True})
        if device.kind != DeviceKind.CARE_ALARM:
            raise ServiceError(_("Only care alarm devices may post alarms."), code="not_a_care_device")
        elder = device.elders.order_by("pk").first()
        if elder is None:
            raise ServiceError(_("This device is not attached to an elder yet."), code="no_elder")
        alarm, created = services.alarm_raise(
            elder=elder,
            kind=v["kind"],
            by=device,
            device=device,
            device_event_id=v["event_id"],
            occurred_at=v.get("occurred_at"),
        )
        return Response(
            {"ok": True, "alarm": alarm.pk, "duplicate": not created},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
