"""Device requests kept byte for byte when they could not be (fully) processed.

Replaying them lives in ``access.replay``, the one module that imports the protocol adapters'
dispatcher: the adapters themselves call ``raw_message_keep``, so the services never import
the adapters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.db.models import Sum
from django.db.models.functions import Length
from django.utils import timezone

from ..inbound import Inbound, scrub
from ..models import Device, RawDeviceMessage, RawStatus

# Our own error text kept with a message: an exception's repr can quote the whole body.
ERROR_KEPT = 10_000
# Anyone can post to /iclock/ with a made-up serial number. What an unknown device sends is
# kept only as a sample (enough for staff to see who is knocking and with what firmware), and
# only so many samples an hour whoever sends them: the disk is not theirs to fill.
UNKNOWN_SAMPLE_BYTES = 4096
UNKNOWN_SAMPLES_PER_HOUR = 100
# Unprocessed raw messages kept per known device. Past it nothing more is kept and the device
# is told to try later (its records stay on the device): a stuck parser or a chatty
# unapproved device cannot fill the disk either.
RAW_BYTES_PER_DEVICE = 64 * 1024 * 1024


class RawStorageFull(Exception):
    """The device's raw-message allowance is used up: do not acknowledge what was not kept."""


def raw_message_keep(
    *, device: Device | None, protocol: str, inbound: Inbound, error: str, status: str = RawStatus.PENDING
) -> RawDeviceMessage | None:
    """Keep ``inbound`` byte for byte for replay; from an unknown device, a capped sample.

    Returns None when an unknown device's sample is not kept (the hourly cap is reached);
    raises ``RawStorageFull`` when a known device's allowance is used up.
    """
    if device is None:
        if _unknown_samples_last_hour() >= UNKNOWN_SAMPLES_PER_HOUR:
            return None
        if len(inbound.body) > UNKNOWN_SAMPLE_BYTES:
            error = f"{error}\nsample: the first {UNKNOWN_SAMPLE_BYTES} of {len(inbound.body)} bytes"
            inbound = replace(inbound, body=inbound.body[:UNKNOWN_SAMPLE_BYTES])
    elif _unprocessed_bytes(device) + len(inbound.body) > RAW_BYTES_PER_DEVICE:
        raise RawStorageFull(f"device {device.pk}: {RAW_BYTES_PER_DEVICE} bytes of raw messages kept already")
    if status == RawStatus.REJECTED:
        # An unknown or unapproved device resends the same buffer every few seconds, for days:
        # keep one copy of each distinct request, not one per retry.
        same = RawDeviceMessage.objects.filter(
            status=RawStatus.REJECTED,
            protocol=protocol,
            device=device,
            path=scrub(inbound.path),
            query_string=scrub(inbound.query_string),
            body=inbound.body,
        ).first()
        if same is not None:
            return same
    # Text columns are scrubbed of what PostgreSQL refuses (NUL); the body stays byte for byte,
    # and so do method, path and content type (text columns without a length: nothing is cut).
    return RawDeviceMessage.objects.create(
        device=device,
        estate_id=device.estate_id if device else None,
        protocol=protocol,
        method=scrub(inbound.method),
        path=scrub(inbound.path),
        query_string=scrub(inbound.query_string),
        content_type=scrub(inbound.content_type),
        body=inbound.body,
        error=scrub(error)[:ERROR_KEPT],
        status=status,
    )


def _unknown_samples_last_hour() -> int:
    since = timezone.now() - dt.timedelta(hours=1)
    return RawDeviceMessage.objects.filter(device__isnull=True, received_at__gte=since).count()


def _unprocessed_bytes(device: Device) -> int:
    kept = RawDeviceMessage.objects.filter(
        device=device, status__in=[RawStatus.PENDING, RawStatus.REJECTED]
    ).aggregate(total=Sum(Length("body")))
    return kept["total"] or 0
