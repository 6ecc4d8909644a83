"""Plate-camera endpoints at the paths their firmware is configured with.

Plain Django views (devices have no session and no CSRF token). Each one finds the camera by
its token, stores the read through ``parking.services.plate_read_record`` and only then answers.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from access import services as access_services
from access.device_auth import device_for_token
from access.models import Protocol, token_hash
from access.protocols.base import Inbound

from .protocols import hikvision_anpr, vzenith
from .services import plate_read_record
from .services.devices import barrier_request_take
from .spool import spool_write

logger = logging.getLogger(__name__)
_ACK = {"statusCode": 1, "statusString": "OK", "subStatusCode": "ok"}


def _inbound(request, token: str) -> Inbound:
    # The token is the camera's secret: never keep it in a stored path.
    return Inbound(
        request.method,
        request.path.replace(token, "<token>"),
        request.META.get("QUERY_STRING", ""),
        request.META.get("CONTENT_TYPE", ""),
        request.body,
    )


def _device(token: str, protocol: str):
    device = device_for_token(token)
    if device is None or device.protocol != protocol:
        return None, JsonResponse({"error": "unknown device"}, status=401)
    if not device.accepts_traffic:
        return None, JsonResponse({"error": "device not approved"}, status=403)
    return device, None


def _keep_raw(device, protocol: str, inbound: Inbound, error: str) -> bool:
    try:
        access_services.raw_message_keep(device=device, protocol=protocol, inbound=inbound, error=error)
    except DatabaseError:
        logger.exception("%s device %s: could not keep a bad message", protocol, device.pk)
        return False
    return True


@csrf_exempt
def vzenith_alarm(request, token: str):
    """``POST /lpr/vzenith/<token>``: AlarmInfoPlate in, Response_AlarmInfoPlate out."""
    if request.method != "POST":
        return JsonResponse({"error": "POST AlarmInfoPlate here"}, status=405)
    device, refusal = _device(token, Protocol.VZENITH)
    if refusal:
        return refusal
    try:
        read = vzenith.parse(request.body, request.META.get("CONTENT_TYPE", ""))
    except vzenith.BadMessage as exc:
        # Kept byte for byte for a replay once understood; no retransfer_stop: not stored as a read.
        kept = _keep_raw(device, Protocol.VZENITH, _inbound(request, token), str(exc))
        return JsonResponse({"error": str(exc), "kept": kept}, status=400 if kept else 503)
    try:
        if read is None:
            access_services.device_seen(device=device)
            # Staff opened this lane from the platform: the answer to the camera's next comet
            # poll lifts the barrier (an ordinary heartbeat's answer is ignored by the camera).
            opening = barrier_request_take(device=device)
            return JsonResponse(vzenith.heartbeat_answer(open_barrier=opening))
        decision = plate_read_record(device=device, read=read)
        access_services.device_seen(device=device)
    except (OperationalError, InterfaceError):
        # Not stored: no retransfer_stop, so the camera sends it again (or keeps it offline).
        logger.exception("vzenith device %s: database unavailable", device.pk)
        return JsonResponse({"error": "try again later"}, status=503)
    return JsonResponse(
        vzenith.answer(opened=decision.opened, read=read, led_text=decision.led_text),
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
def isapi_anpr(request, token: str):
    """``POST /isapi/<token>/anpr``: Hikvision ANPR notification; 200 once stored or spooled."""
    if request.method != "POST":
        return HttpResponse("POST ANPR notifications here", status=405, content_type="text/plain")
    try:
        device, refusal = _device(token, Protocol.HIKVISION)
    except (OperationalError, InterfaceError):
        return _spool(request, token)
    if refusal:
        return refusal
    inbound = _inbound(request, token)
    try:
        read = hikvision_anpr.parse(inbound, device.tzinfo)
    except hikvision_anpr.BadMessage as exc:
        if _keep_raw(device, Protocol.HIKVISION, inbound, str(exc)):
            return JsonResponse(_ACK)  # kept: the camera would only send the same bytes again
        return _spool(request, token)
    try:
        if read is not None:
            plate_read_record(device=device, read=read)
        access_services.device_seen(device=device)
    except (OperationalError, InterfaceError):
        logger.exception("hikvision ANPR device %s: database unavailable; spooled", device.pk)
        return _spool(request, token)
    return JsonResponse(_ACK)


def _spool(request, token: str):
    try:
        spool_write(
            protocol=Protocol.HIKVISION,
            token_hash=token_hash(token),
            content_type=request.META.get("CONTENT_TYPE", ""),
            body=request.body,
        )
    except OSError:
        logger.exception("ANPR spool: could not write to disk")
        return JsonResponse({"error": "try again later"}, status=503)
    return JsonResponse(_ACK)
