"""Hikvision ANPR cameras: ``EventNotificationAlert`` pushed as multipart (XML + JPEGs).

This firmware never posts a notification twice, so a read is acknowledged (200) as soon as it
is stored; its answer cannot lift the barrier (the camera decides from its own allow-list, and
the platform may call ``barrierGate``, see ``parking.barrier``). The XML or JSON parsing is
access's Hikvision adapter's (``split_parts``): one parser for one vendor.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from access.protocols.base import Inbound, aware
from access.protocols.hikvision import split_parts

from .base import PlateRead

COLOURS = {"blue": "blue", "yellow": "yellow", "white": "white", "black": "black", "green": "green"}
NO_PLATE_TEXTS = {"无车牌", "车牌", "unknown", ""}


class BadMessage(ValueError):
    pass


def parse(inbound: Inbound, tz) -> PlateRead | None:
    """The read in a notification; None for a heartbeat; ``BadMessage`` for anything else."""
    try:
        data, images = split_parts(inbound)
    except (ValueError, ET.ParseError) as exc:
        raise BadMessage(str(exc)) from exc
    event_type = str(data.get("eventType", "")).lower()
    if event_type == "heartbeat" or str(data.get("eventState", "")).lower() == "inactive":
        return None
    anpr = data.get("ANPR")
    if event_type != "anpr" or not isinstance(anpr, dict):
        raise BadMessage(f"not an ANPR notification (eventType {data.get('eventType')!r})")
    plate = str(anpr.get("licensePlate") or anpr.get("originalLicensePlate") or "").strip()
    if "\x00" in plate or len(plate) > 32:
        raise BadMessage("licensePlate is not a plate")
    try:
        device_time = aware(dt.datetime.fromisoformat(str(data.get("dateTime", ""))), tz)
    except ValueError as exc:
        raise BadMessage(f"bad dateTime {data.get('dateTime')!r}") from exc
    key = str(data.get("UUID") or "").strip() or f"{data.get('dateTime')}:{plate}"
    retransmitted = str(data.get("isDataRetransmission", "")).lower() == "true"
    try:
        confidence = max(0, min(int(anpr.get("confidenceLevel")), 100))
    except (TypeError, ValueError):
        confidence = None
    return PlateRead(
        plate_as_read="_无_" if plate in NO_PLATE_TEXTS else plate,
        device_key=key[:64],
        colour=COLOURS.get(str(anpr.get("plateColor", "")).lower(), "unknown"),
        confidence=confidence,
        motion=str(anpr.get("direction") or "")[:8],
        device_time=device_time,
        offline=retransmitted,
        image=images[-1] if images else None,
        raw_body=inbound.body,
    )
