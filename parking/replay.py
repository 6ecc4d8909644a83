"""Replaying kept raw plate-camera messages (``access.replay.raw_message_replay``, the admin's
"replay" action) through the same parser and service as the live endpoint: Vzenith
AlarmInfoPlate, and Hikvision ANPR notifications kept by ``POST /isapi/<token>/anpr``.

A body the endpoint could not parse was refused without ``retransfer_stop``, so the camera sent
it again or moved it to its offline store; by the time a fixed parser replays the kept copy,
the car is long past the barrier. So a replayed read is history (``offline``): it opens and
closes the stay at the camera's time, never lifts a barrier and never asks anyone to pay. The
same read arriving again later (the camera's offline store) is a duplicate of it by ``plateid``.
"""

from __future__ import annotations

from access.inbound import Inbound, Outcome
from access.models import DeviceKind

from .protocols import hikvision_anpr, vzenith
from .services.reads import plate_read_record


def replay_vzenith(*, device, inbound: Inbound) -> Outcome:
    try:
        read = vzenith.parse(inbound.body, inbound.content_type)
    except vzenith.BadMessage as exc:
        return Outcome(400, str(exc), errors=[str(exc)])
    if read is None:
        return Outcome(200, "heartbeat")
    read.offline = True
    decision = plate_read_record(device=device, read=read)
    return Outcome(200, "duplicate" if decision.duplicate else decision.reason)


def is_anpr(*, device, inbound: Inbound) -> bool:
    """A Hikvision message kept by the ANPR endpoint (a plate camera's), not a face terminal's."""
    return device.kind == DeviceKind.PLATE_CAMERA or inbound.path.rstrip("/").endswith("/anpr")


def hikvision_replay_adapter(face_terminals):
    """Access replays every Hikvision message through one adapter, its face terminals'
    (``access.protocols``); this one sends a plate camera's ANPR notifications to the ANPR
    parser and the rest on to ``face_terminals``."""

    def replay_hikvision(*, device, inbound: Inbound) -> Outcome:
        if not is_anpr(device=device, inbound=inbound):
            return face_terminals(device=device, inbound=inbound)
        return replay_anpr(device=device, inbound=inbound)

    return replay_hikvision


def replay_anpr(*, device, inbound: Inbound) -> Outcome:
    """As ``replay_vzenith``: a replayed read is history (the car passed long ago); the same
    notification replayed again, or also ingested from the spool, is stored once by its UUID."""
    try:
        read = hikvision_anpr.parse(inbound, device.tzinfo)
    except hikvision_anpr.BadMessage as exc:
        return Outcome(400, str(exc), errors=[str(exc)])
    if read is None:
        return Outcome(200, "heartbeat")
    read.offline = True
    decision = plate_read_record(device=device, read=read)
    return Outcome(200, "duplicate" if decision.duplicate else decision.reason)
