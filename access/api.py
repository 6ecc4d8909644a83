"""Device endpoints of the native JSON API (/api/v1/devices/...).

Devices authenticate with ``Authorization: Bearer <device token>``, separately from users: no
session, no CSRF. The views stay thin: the native adapter parses, services store.
"""

from __future__ import annotations

import hmac
import json
import time

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Device, Direction, Protocol, token_hash
from .protocols.base import Inbound, storable
from .protocols.native import handle_events


class DevicePrincipal:
    """``request.user`` for a device: authenticated, but no user and no permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = is_superuser = False
    pk = id = None

    def __init__(self, device: Device):
        self.device = device

    def __str__(self) -> str:
        return f"device:{self.device.pk}"


# Device look-ups by token are kept in the process for a few seconds. Resolving a token costs
# ~3 ms of ORM work and a round trip, on a path a busy gate calls several times a second; the
# cached Device is the one that device_seen updates in place, so last_seen_at stays exact.
# A save or delete of any Device in this process empties the cache at once (token rotation,
# disabling in the admin); another process notices within DEVICE_CACHE_SECONDS. That window
# is far below the time in which a stolen or retired token would be noticed and rotated, and
# far below OFFLINE_AFTER, so a cached instance never hides an offline mark.
DEVICE_CACHE_SECONDS = 5.0
DEVICE_CACHE_SIZE = 10_000  # bounds memory; unknown tokens are never cached
_device_cache: dict[str, tuple[float, Device]] = {}


def device_cache_clear(**_kwargs) -> None:
    _device_cache.clear()


post_save.connect(device_cache_clear, sender=Device, dispatch_uid="access.device_cache_clear.save")
post_delete.connect(device_cache_clear, sender=Device, dispatch_uid="access.device_cache_clear.delete")


def device_for_token(token: str) -> Device | None:
    if not token or not storable(token):
        return None
    digest = token_hash(token)
    now = time.monotonic()
    cached = _device_cache.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    # order_by(): the model's default ordering would join the estate to sort a single row.
    device = Device.objects.select_related("gate").filter(token_hash=digest).order_by().first()
    # The lookup is by an indexed hash (an attacker cannot steer its prefix); the constant-time
    # compare is belt and braces against a collation or index that matches loosely.
    if device is None or not hmac.compare_digest(device.token_hash or "", digest):
        return None
    if len(_device_cache) >= DEVICE_CACHE_SIZE:
        _device_cache.clear()
    _device_cache[digest] = (now + DEVICE_CACHE_SECONDS, device)
    return device


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send 'Authorization: Bearer <device token>'."))
        device = device_for_token(header[1].decode(errors="replace"))
        if device is None:
            raise exceptions.AuthenticationFailed(_("Unknown device token."))
        if not device.accepts_traffic:
            raise exceptions.PermissionDenied(_("This device is disabled or not approved yet."))
        return DevicePrincipal(device), device

    def authenticate_header(self, request):
        return f'{self.keyword} realm="device"'


class IsDevice(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Device)


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
        inbound = Inbound(
            "POST",
            request.path,
            request.META.get("QUERY_STRING", ""),
            request.content_type or "",
            request.body,
        )
        from .device_views import process  # device_views imports this module

        outcome = process(
            Protocol.NATIVE, handle_events, device=device, inbound=inbound, kept_answer=_kept_answer
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        return HttpResponse(outcome.body, status=outcome.status, content_type=outcome.content_type)


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
        try:
            result = services.access_verify(
                device=request.auth,
                kind=v["type"],
                value=v["value"],
                direction=v["direction"],
                gate_id=v.get("gate"),
                event_id=v.get("event_id", ""),
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from exc
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


try:  # Document the device token scheme in the OpenAPI schema.
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class DeviceTokenScheme(OpenApiAuthenticationExtension):
        target_class = "access.api.DeviceTokenAuthentication"
        name = "deviceToken"

        def get_security_definition(self, auto_schema):
            return {
                "type": "http",
                "scheme": "bearer",
                "description": "Device token (admin → Devices → rotate token)",
            }
except ImportError:  # pragma: no cover
    pass
