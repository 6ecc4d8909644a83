"""Replaying kept raw device messages through their protocol adapter (after a parser fix, or
once an unknown device is registered and approved).

The one module that imports the adapters' dispatcher: the adapters call the services
(``access.services``), the services never call the adapters, and this sits above both.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .inbound import Inbound
from .models import AuditAction, Device, Protocol, RawDeviceMessage, RawStatus
from .protocols import dispatch
from .services.audit import Actor, audit_record

__all__ = ["raw_message_replay"]


def raw_message_replay(*, message: RawDeviceMessage, by: Actor) -> RawDeviceMessage:
    """Feed a kept message through its protocol adapter again; records who replayed it.

    Not one transaction: the adapter commits what it stores (devices are answered only after
    a commit), and a failed attempt must still count and say why.
    """
    device = message.device
    if device is None and message.protocol == Protocol.ZKTECO:
        # A ZKTeco device names itself in the query (SN=…), so a message kept before the
        # device was registered finds it now.
        serial = Inbound("GET", "", message.query_string).query.get("SN", "")
        device = Device.objects.filter(serial_number=serial).first() if serial else None
    message.attempts += 1
    if device is None or not device.accepts_traffic:
        message.error = _("The device is unknown, disabled or not approved.")
        with transaction.atomic():
            message.save(update_fields=["attempts", "error"])
            _audit(message, by=by, processed=False)
        return message
    inbound = Inbound(
        message.method, message.path, message.query_string, message.content_type, bytes(message.body)
    )
    outcome = dispatch(message.protocol, device=device, inbound=inbound)
    with transaction.atomic():
        if outcome.errors or outcome.status >= 400:
            message.error = "\n".join(outcome.errors) or f"HTTP {outcome.status}"
            message.save(update_fields=["attempts", "error"])
        else:
            message.status = RawStatus.PROCESSED
            message.processed_at = timezone.now()
            message.device = device
            message.estate_id = device.estate_id
            message.save(update_fields=["attempts", "status", "processed_at", "device", "estate"])
        _audit(message, by=by, processed=message.status == RawStatus.PROCESSED)
    return message


def _audit(message: RawDeviceMessage, *, by: Actor, processed: bool) -> None:
    audit_record(
        action=AuditAction.RAW_MESSAGE_REPLAYED,
        by=by,
        estate_id=message.estate_id,
        device=message.device,
        raw_message=message,
        params={"processed": processed, "attempt": message.attempts},
    )
