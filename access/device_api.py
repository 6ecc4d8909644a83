"""Device endpoints of the native JSON API (/api/v1/devices/...). (``api.py`` is, in every app,
the REST API for users; this module is for devices.)

Devices authenticate with ``Authorization: Bearer <device token>`` (``access.device_auth``),
separately from users: no session, no CSRF. The views stay thin: the native adapter parses,
services store.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .device_auth import DeviceTokenAuthentication, IsDevice
from .device_requests import inbound_from, process
from .models import Direction, Protocol
from .protocols.native import handle_events


class DeviceAPIView(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # Devices speak JSON only; DRF's Accept-header negotiation cost a tenth of a millisecond
        # on a path that runs hundreds of times a second.
        renderer = self.renderer_classes[0]()
        return renderer, renderer.media_type


_EVENT = {
    "event_id": "gate1-000123",
    "occurred_at": "2026-11-20T08:01:02+08:00",
    "direction": "in",
    "method": "card",
    "result": "granted",
    "credential": {"type": "card", "value": "0012345678"},
}


class DeviceEventsView(DeviceAPIView):
    @extend_schema(
        operation_id="device_events_post",
        tags=["devices"],
        summary="Send access events (one, or a batch of at most 1,000)",
        request=inline_serializer(
            "DeviceEventsRequest", {"events": serializers.ListField(child=serializers.DictField())}
        ),
        responses={
            200: inline_serializer(
                "DeviceEventsAnswer",
                {
                    "accepted": serializers.IntegerField(),
                    "duplicates": serializers.IntegerField(),
                    "rejected": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
        examples=[OpenApiExample("batch", value={"events": [_EVENT]}, request_only=True)],
    )
    def post(self, request):
        device = request.auth
        inbound = inbound_from(request)
        return process(
            Protocol.NATIVE, handle_events, device=device, inbound=inbound, kept_answer=_kept_answer
        )


def _kept_answer() -> HttpResponse:
    """Nothing stored yet, but the request is kept for replay: the device need not resend it."""
    body = {"accepted": 0, "duplicates": 0, "rejected": [], "kept_for_replay": True}
    return HttpResponse(json.dumps(body), status=202, content_type="application/json")


class DeviceHeartbeatView(DeviceAPIView):
    @extend_schema(
        operation_id="device_heartbeat",
        tags=["devices"],
        summary="Tell the platform the device is alive",
        request=None,
        responses={
            200: inline_serializer(
                "HeartbeatAnswer",
                {"status": serializers.CharField(), "server_time": serializers.DateTimeField()},
            )
        },
    )
    def post(self, request):
        try:
            reported = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            reported = {}
        device = services.device_heartbeat(
            device=request.auth, reported=reported if isinstance(reported, dict) else {}
        )
        return Response({"status": "ok", "server_time": device.last_seen_at})


class VerifyRequest(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["qr", "card", "face", "employee_no", "pin"],
        help_text="What was scanned: qr (a visitor pass) or a credential kind.",
    )
    value = serializers.CharField(max_length=400)
    direction = serializers.ChoiceField(choices=[Direction.IN, Direction.OUT], default=Direction.IN)
    gate = serializers.IntegerField(required=False, allow_null=True)
    event_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Repeat the same id when retrying, so the entry is counted once.",
    )


class DeviceVerifyView(DeviceAPIView):
    @extend_schema(
        operation_id="device_verify",
        tags=["devices"],
        summary="Allow or deny a scanned visitor QR code or card, now",
        request=VerifyRequest,
        responses={
            200: inline_serializer(
                "VerifyAnswer",
                {
                    "allow": serializers.BooleanField(),
                    "reason": serializers.CharField(),
                    "visitor": serializers.CharField(),
                    "entries_left": serializers.IntegerField(),
                },
            )
        },
    )
    def post(self, request):
        try:
            payload = request.data
        except RecursionError as exc:  # community.api.parsers lets a deeply nested body through
            raise exceptions.ParseError(_("The body is not valid JSON: nested too deeply.")) from exc
        data = VerifyRequest(data=payload)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        # A refusal (ServiceError) is answered by the API's error envelope.
        result = services.access_verify(
            device=request.auth,
            kind=v["type"],
            value=v["value"],
            direction=v["direction"],
            gate_id=v.get("gate"),
            event_id=v.get("event_id", ""),
        )
        body = {
            "allow": result.allow,
            "reason": result.reason,
            "duplicate": result.duplicate,
            "event": result.event.pk if result.event else None,
        }
        if result.visitor_pass:
            body["visitor"] = result.visitor_pass.visitor_name
            body["entries_left"] = result.visitor_pass.entries_left
        if result.resident:
            body["resident"] = result.resident.name
        return Response(body)
