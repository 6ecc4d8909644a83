"""Vendor device endpoints at the paths their firmware expects (/iclock/…, /isapi/…).

Plain Django views (no session, no CSRF: devices have neither). Each view finds the device,
hands the bytes to the protocol adapter, keeps the raw request when part of it could not be
processed, and answers only after everything is committed.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .device_auth import device_for_token
from .device_requests import answer, inbound_from, process
from .inbound import storable
from .models import Device, Protocol, RawStatus
from .protocols import hikvision, zkteco
from .services import raw_message_keep


@csrf_exempt
def iclock(request, endpoint: str):
    inbound = inbound_from(request)
    serial = inbound.query.get("SN", "").strip()
    device = (
        Device.objects.filter(serial_number=serial, protocol=Protocol.ZKTECO).first()
        if serial and storable(serial)
        else None
    )
    if device is None or not device.accepts_traffic:
        # Non-200 so the device keeps its records and sends them again once it is approved;
        # uploads are also kept, so an administrator sees who is knocking.
        if request.method == "POST" and inbound.body:
            raw_message_keep(
                device=device,
                protocol=Protocol.ZKTECO,
                inbound=inbound,
                error=f"unknown or unapproved device SN={serial!r}",
                status=RawStatus.REJECTED,
            )
        reason = "unknown device" if device is None else "device not approved"
        return HttpResponse(reason, status=403 if device else 401, content_type="text/plain")
    return process(
        Protocol.ZKTECO,
        zkteco.handle,
        device=device,
        inbound=inbound,
        kept_answer=lambda: HttpResponse("OK", content_type="text/plain"),
    )


@csrf_exempt
def isapi_events(request, token: str):
    if request.method != "POST":
        return HttpResponse("POST events here", status=405, content_type="text/plain")
    device = device_for_token(token)
    if device is None or device.protocol != Protocol.HIKVISION:
        return HttpResponse("unknown device", status=401, content_type="text/plain")
    # The token is the device's secret: never keep it in the stored path.
    inbound = inbound_from(request)
    inbound.path = inbound.path.replace(token, "<token>")
    if not device.accepts_traffic:
        # Events are kept so nothing is lost before approval; heartbeats (every few seconds,
        # each with a new time) carry nothing to keep and would fill the table.
        if not hikvision.is_heartbeat(inbound):
            raw_message_keep(
                device=device,
                protocol=Protocol.HIKVISION,
                inbound=inbound,
                error="device not approved",
                status=RawStatus.REJECTED,
            )
        return HttpResponse("device not approved", status=403, content_type="text/plain")
    return process(
        Protocol.HIKVISION,
        hikvision.handle_event,
        device=device,
        inbound=inbound,
        kept_answer=lambda: answer(hikvision.ack()),
    )
