"""Vendor device endpoints at the paths their firmware expects (/iclock/…, /isapi/…).

Plain Django views (no session, no CSRF: devices have neither). Each view finds the device,
hands the bytes to the protocol adapter, keeps the raw request when part of it could not be
processed, and answers only after everything is committed.
"""

from __future__ import annotations

import ipaddress
import logging

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .device_auth import client_address, device_for_token, guess_failed, guessing_blocked
from .device_requests import answer, inbound_from, process
from .inbound import storable
from .models import Device, Protocol, RawStatus
from .protocols import hikvision, zkteco
from .services import raw_message_keep
from .services.raw_messages import RawStorageFull

logger = logging.getLogger(__name__)


def _unknown() -> HttpResponse:
    # One answer for an unknown serial number, an unapproved one and a call from outside the
    # device's network: a caller cannot tell which SNs exist. Non-200, so a real device keeps
    # its records and sends them again once it is approved.
    return HttpResponse("unknown device", status=401, content_type="text/plain")


def _too_many() -> HttpResponse:
    return HttpResponse("too many failed attempts, try again later", status=429, content_type="text/plain")


def _remember_address(device: Device, address: str) -> None:
    """Where an unapproved device calls from: staff see it, and approval binds the device to it."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return
    if device.last_address != address:
        Device.objects.filter(pk=device.pk).update(last_address=address)


def _presented_secrets(request, inbound) -> list[str]:
    """Where ZKTeco firmware carries the RegistryCode / SessionID on later requests: it varies
    (a query parameter, a header, or a cookie), so every form is accepted."""
    query = inbound.query
    values = [query.get("RegistryCode", ""), query.get("SessionID", ""), query.get("token", "")]
    values += [request.headers.get("RegistryCode", ""), request.headers.get("SessionID", "")]
    values += [request.COOKIES.get(name, "") for name in ("token", "SessionID", "RegistryCode")]
    return [v.strip() for v in values if v and v.strip()]


def _flag_foreign_call(device: Device, address: str, *, reason: str = "outside_network") -> None:
    """An approved device's SN used from outside its network, or without its registration:
    refused, and shown on the device."""
    logger.warning(
        "device %s (SN %s) called from %s, refused (%s; network %s)",
        device.pk,
        device.serial_number,
        address,
        reason,
        device.network,
    )
    refused = (device.state or {}).get("refused_from") or {}
    if refused.get("address") != address or refused.get("reason") != reason:
        state = {
            **(device.state or {}),
            "refused_from": {"address": address, "reason": reason, "at": timezone.now().isoformat()},
        }
        Device.objects.filter(pk=device.pk).update(state=state)


def _keep_rejected(**kwargs) -> None:
    """Keep a refused device's upload for staff to see, unless its allowance is used up (the
    answer is a refusal either way, so the device keeps its records)."""
    try:
        raw_message_keep(status=RawStatus.REJECTED, **kwargs)
    except RawStorageFull:
        logger.warning(
            "device %s: raw-message allowance used up; refused upload not kept", kwargs["device"].pk
        )


@csrf_exempt
def iclock(request, endpoint: str):
    if guessing_blocked(request):
        return _too_many()
    inbound = inbound_from(request)
    serial = inbound.query.get("SN", "").strip()
    device = (
        Device.objects.filter(serial_number=serial, protocol=Protocol.ZKTECO).first()
        if serial and storable(serial)
        else None
    )
    address = client_address(request)
    if device is not None and device.accepts_traffic and not device.calls_from_its_network(address):
        guess_failed(request, serial)
        _flag_foreign_call(device, address)
        return _unknown()
    if device is None or not device.accepts_traffic:
        guess_failed(request, serial)
        if device is not None and not device.approved:
            _remember_address(device, address)
        # Uploads are kept (a capped sample from unknown devices), so staff see who is knocking.
        if request.method == "POST" and inbound.body:
            _keep_rejected(
                device=device,
                protocol=Protocol.ZKTECO,
                inbound=inbound,
                error=f"unknown or unapproved device SN={serial!r}",
            )
        return _unknown()
    if (
        zkteco.is_registered(device)
        and endpoint != "registry"
        and not zkteco.carries_registration(device, _presented_secrets(request, inbound))
    ):
        # A registered panel names its RegistryCode or SessionID; a copy of its SN alone (read
        # off the case) from inside its network does not. The same answer as an unknown SN.
        guess_failed(request, serial)
        _flag_foreign_call(device, address, reason="no_registry_code")
        return _unknown()
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
    if guessing_blocked(request):
        return _too_many()
    device = device_for_token(token)
    if (
        device is None
        or device.protocol != Protocol.HIKVISION
        or not device.calls_from_its_network(client_address(request))
    ):
        guess_failed(request, token)
        return _unknown()
    # The token is the device's secret: never keep it in the stored path.
    inbound = inbound_from(request)
    inbound.path = inbound.path.replace(token, "<token>")
    if not device.accepts_traffic:
        # Events are kept so nothing is lost before approval; heartbeats (every few seconds,
        # each with a new time) carry nothing to keep and would fill the table.
        if not hikvision.is_heartbeat(inbound):
            _keep_rejected(
                device=device,
                protocol=Protocol.HIKVISION,
                inbound=inbound,
                error="device not approved",
            )
        return HttpResponse("device not approved", status=403, content_type="text/plain")
    return process(
        Protocol.HIKVISION,
        hikvision.handle_event,
        device=device,
        inbound=inbound,
        kept_answer=lambda: answer(hikvision.ack()),
    )
