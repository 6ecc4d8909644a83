"""Vendor device endpoints at the paths their firmware expects (/iclock/…, /isapi/…).

Plain Django views (no session, no CSRF: devices have neither). Each view finds the device,
hands the bytes to the protocol adapter, keeps the raw request when part of it could not be
processed, and answers only after everything is committed.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import services
from .api import device_for_token
from .models import Device, Protocol, RawStatus
from .protocols import hikvision, zkteco
from .protocols.base import Inbound, storable


def _inbound(request) -> Inbound:
    return Inbound(
        request.method,
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.META.get("CONTENT_TYPE", ""),
        request.body,
    )


logger = logging.getLogger(__name__)


def _answer(outcome) -> HttpResponse:
    return HttpResponse(outcome.body, status=outcome.status, content_type=outcome.content_type)


def _try_later() -> HttpResponse:
    # Non-200: the device keeps the records and sends them again.
    return HttpResponse("try again later", status=503, content_type="text/plain")


def process(protocol: str, handler, *, device, inbound: Inbound, kept_answer):
    """Run a protocol adapter and keep the raw request when part of it could not be processed.

    A bug the parsers did not foresee must not become a 500 (the device would resend the same
    bytes forever) nor a false acknowledgement: the request is kept raw for ``device_replay``
    and only then acknowledged with ``kept_answer()``. If even that cannot be stored (database
    away), the device is told to try again. Returns an ``Outcome`` or an ``HttpResponse``.
    """
    try:
        outcome = handler(device=device, inbound=inbound)
    except (OperationalError, InterfaceError):
        logger.exception("%s device %s: database unavailable", protocol, device.pk)
        return _try_later()
    except Exception as exc:  # the last line of defence, see above
        logger.exception("%s device %s: request could not be processed; kept raw", protocol, device.pk)
        try:
            services.raw_message_keep(
                device=device, protocol=protocol, inbound=inbound, error=f"unexpected error: {exc!r}"
            )
        except DatabaseError:
            logger.exception("%s device %s: could not keep the raw request", protocol, device.pk)
            return _try_later()
        if not inbound.body:
            return _try_later()
        return kept_answer()
    if outcome.errors:
        try:
            services.raw_message_keep(
                device=device, protocol=protocol, inbound=inbound, error="\n".join(outcome.errors)
            )
        except DatabaseError:
            logger.exception("%s device %s: could not keep the raw request", protocol, device.pk)
            return _try_later()
    return outcome


@csrf_exempt
def iclock(request, endpoint: str):
    inbound = _inbound(request)
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
            services.raw_message_keep(
                device=device,
                protocol=Protocol.ZKTECO,
                inbound=inbound,
                error=f"unknown or unapproved device SN={serial!r}",
                status=RawStatus.REJECTED,
            )
        reason = "unknown device" if device is None else "device not approved"
        return HttpResponse(reason, status=403 if device else 401, content_type="text/plain")
    outcome = process(
        Protocol.ZKTECO,
        zkteco.handle,
        device=device,
        inbound=inbound,
        kept_answer=lambda: HttpResponse("OK", content_type="text/plain"),
    )
    return outcome if isinstance(outcome, HttpResponse) else _answer(outcome)


@csrf_exempt
def isapi_events(request, token: str):
    if request.method != "POST":
        return HttpResponse("POST events here", status=405, content_type="text/plain")
    device = device_for_token(token)
    if device is None or device.protocol != Protocol.HIKVISION:
        return HttpResponse("unknown device", status=401, content_type="text/plain")
    # The token is the device's secret: never keep it in the stored path.
    inbound = _inbound(request)
    inbound.path = inbound.path.replace(token, "<token>")
    if not device.accepts_traffic:
        # Events are kept so nothing is lost before approval; heartbeats (every few seconds,
        # each with a new time) carry nothing to keep and would fill the table.
        if not hikvision.is_heartbeat(inbound):
            services.raw_message_keep(
                device=device,
                protocol=Protocol.HIKVISION,
                inbound=inbound,
                error="device not approved",
                status=RawStatus.REJECTED,
            )
        return HttpResponse("device not approved", status=403, content_type="text/plain")
    outcome = process(
        Protocol.HIKVISION,
        hikvision.handle_event,
        device=device,
        inbound=inbound,
        kept_answer=lambda: _answer(hikvision.ack()),
    )
    return outcome if isinstance(outcome, HttpResponse) else _answer(outcome)
