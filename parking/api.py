"""Native JSON endpoint for plate cameras and booth software (``/api/v1/parking/plate-events``).

Bearer device token, as every device endpoint of the native API; the answer carries the same
decision a Vzenith camera gets, in plain words.
"""

from __future__ import annotations

import base64
import binascii

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from access.device_api import DeviceAPIView

from . import decisions
from .models import LaneDirection, PlateColour
from .protocols.base import PlateRead
from .services import plate_read_record


class PlateEventRequest(serializers.Serializer):
    plate = serializers.CharField(max_length=32, help_text="As read; “_无_” when no plate was read.")
    event_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The camera's id of the read: a resend is stored once.",
    )
    direction = serializers.ChoiceField(
        choices=LaneDirection.choices,
        required=False,
        help_text="Default: the direction of the camera's lane.",
    )
    colour = serializers.ChoiceField(choices=PlateColour.choices, default=PlateColour.UNKNOWN)
    confidence = serializers.IntegerField(min_value=0, max_value=100, required=False)
    occurred_at = serializers.DateTimeField(required=False, help_text="Device time, with its offset.")
    offline = serializers.BooleanField(
        default=False, help_text="Replayed from the camera's store: history only."
    )
    image = serializers.CharField(required=False, allow_blank=True, help_text="Base64 JPEG.")

    def validate_image(self, value):
        if not value:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError("not base64") from exc


class PlateEventsView(DeviceAPIView):
    @extend_schema(
        operation_id="parking_plate_event",
        tags=["devices", "parking"],
        summary="Report a plate read and get the barrier decision in the same answer",
        request=PlateEventRequest,
        responses={
            200: inline_serializer(
                "PlateDecision",
                {
                    "open": serializers.BooleanField(),
                    "reason": serializers.CharField(),
                    "reason_label": serializers.CharField(),
                    "amount_due": serializers.DecimalField(max_digits=10, decimal_places=2),
                    "session": serializers.IntegerField(allow_null=True),
                    "duplicate": serializers.BooleanField(),
                    "led_text": serializers.CharField(),
                },
            )
        },
        examples=[
            OpenApiExample(
                "entry", value={"plate": "鄂C12345", "event_id": "90813", "colour": "blue"}, request_only=True
            )
        ],
    )
    def post(self, request):
        data = PlateEventRequest(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        read = PlateRead(
            plate_as_read=v["plate"].strip(),
            device_key=v.get("event_id", ""),
            colour=v["colour"],
            confidence=v.get("confidence"),
            device_time=v.get("occurred_at"),
            offline=v["offline"],
            image=v.get("image"),
            raw_body=request.body,
            direction=v.get("direction", ""),
        )
        decision = plate_read_record(device=request.auth, read=read)
        return Response(
            {
                "open": decision.opened,
                "reason": decision.reason,
                "reason_label": decisions.reason_label(decision.reason),
                "amount_due": str(decision.amount_due),
                "session": decision.session.pk if decision.session is not None else None,
                "duplicate": decision.duplicate,
                "led_text": decision.led_text,
            }
        )
