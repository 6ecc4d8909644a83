"""Device requests kept byte for byte when they could not be (fully) processed.

Replaying them lives in ``access.replay``, the one module that imports the protocol adapters'
dispatcher: the adapters themselves call ``raw_message_keep``, so the services never import
the adapters.
"""

from __future__ import annotations

from ..inbound import Inbound, scrub
from ..models import Device, RawDeviceMessage, RawStatus

# Our own error text kept with a message: an exception's repr can quote the whole body.
ERROR_KEPT = 10_000


def raw_message_keep(
    *, device: Device | None, protocol: str, inbound: Inbound, error: str, status: str = RawStatus.PENDING
) -> RawDeviceMessage:
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
