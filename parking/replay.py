"""Replaying kept raw Vzenith messages (``access.replay.raw_message_replay``, the admin's
"replay" action) through the same parser and service as the live endpoint.

A body the endpoint could not parse was refused without ``retransfer_stop``, so the camera sent
it again or moved it to its offline store; by the time a fixed parser replays the kept copy,
the car is long past the barrier. So a replayed read is history (``offline``): it opens and
closes the stay at the camera's time, never lifts a barrier and never asks anyone to pay. The
same read arriving again later (the camera's offline store) is a duplicate of it by ``plateid``.
"""

from __future__ import annotations

from access.inbound import Inbound, Outcome

from .protocols import vzenith
from .services.reads import plate_read_record


def replay_vzenith(*, device, inbound: Inbound) -> Outcome:
    try:
        read = vzenith.parse(inbound.body)
    except vzenith.BadMessage as exc:
        return Outcome(400, str(exc), errors=[str(exc)])
    if read is None:
        return Outcome(200, "heartbeat")
    read.offline = True
    decision = plate_read_record(device=device, read=read)
    return Outcome(200, "duplicate" if decision.duplicate else decision.reason)
