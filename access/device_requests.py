"""Device request handling shared by the native API (``access.device_api``) and the vendor
endpoints (``access.device_views``): bytes in, the adapter run, the raw request kept when part
of it could not be processed, an answer only after everything is committed."""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse

from .device_auth import client_address
from .inbound import Inbound, Outcome
from .services import raw_message_keep
from .services.raw_messages import RawStorageFull

logger = logging.getLogger(__name__)


def inbound_from(request) -> Inbound:
    """A Django request as the bytes an adapter reads."""
    return Inbound(
        request.method,
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.META.get("CONTENT_TYPE", ""),
        request.body,
        client_address(request),
    )


def answer(outcome: Outcome) -> HttpResponse:
    return HttpResponse(outcome.body, status=outcome.status, content_type=outcome.content_type)


def try_later() -> HttpResponse:
    # Non-200: the device keeps the records and sends them again.
    return HttpResponse("try again later", status=503, content_type="text/plain")


def process(protocol: str, handler, *, device, inbound: Inbound, kept_answer) -> HttpResponse:
    """Run a protocol adapter and keep the raw request when part of it could not be processed.

    A bug the parsers did not foresee must not become a 500 (the device would resend the same
    bytes forever) nor a false acknowledgement: the request is kept raw for ``device_replay``
    and only then acknowledged with ``kept_answer()``. If even that cannot be stored (database
    away), the device is told to try again.
    """
    try:
        outcome = handler(device=device, inbound=inbound)
    except (OperationalError, InterfaceError):
        logger.exception("%s device %s: database unavailable", protocol, device.pk)
        return try_later()
    except RawStorageFull:
        logger.warning("%s device %s: raw-message allowance used up; told to try later", protocol, device.pk)
        return try_later()
    except Exception as exc:  # the last line of defence, see above
        logger.exception("%s device %s: request could not be processed; kept raw", protocol, device.pk)
        try:
            raw_message_keep(
                device=device, protocol=protocol, inbound=inbound, error=f"unexpected error: {exc!r}"
            )
        except (DatabaseError, RawStorageFull):
            logger.exception("%s device %s: could not keep the raw request", protocol, device.pk)
            return try_later()
        if not inbound.body:
            return try_later()
        return kept_answer()
    if outcome.errors:
        try:
            raw_message_keep(
                device=device, protocol=protocol, inbound=inbound, error="\n".join(outcome.errors)
            )
        except (DatabaseError, RawStorageFull):
            logger.exception("%s device %s: could not keep the raw request", protocol, device.pk)
            return try_later()
    return answer(outcome)
