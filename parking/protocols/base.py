"""What every plate-camera adapter produces: one ``PlateRead`` per camera read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class PlateRead:
    plate_as_read: str
    device_key: str = ""
    colour: str = "unknown"
    confidence: int | None = None
    motion: str = ""
    device_time: dt.datetime | None = None
    offline: bool = False
    image: bytes | None = None
    raw_body: bytes = b""
    # Only where the message itself says which way the car goes (native API); cameras at a
    # barrier take the direction of their lane.
    direction: str = ""
