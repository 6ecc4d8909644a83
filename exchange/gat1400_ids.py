"""GA/T 1400 object identifiers (pure functions).

- A device/system id has 20 digits (GB/T 28181 coding): the 8-digit centre code (the 6-digit
  GB/T 2260 administrative area code + 2 digits of the grass-roots unit), 2 digits industry,
  3 digits type, 1 digit network, 6 digits sequence.
- A source (image) id has 41 characters: the device id (20) + the source type (2) + the capture
  time YYYYMMDDhhmmss (14) + a sequence (5).
- An object id (motor vehicle, person, door record) has 48: the source id (41) + the object type
  (2) + a sequence (5).
"""

from __future__ import annotations

import datetime as dt
import re

DEVICE_ID_LENGTH = 20
SOURCE_ID_LENGTH = 41
OBJECT_ID_LENGTH = 48

SOURCE_TYPE_IMAGE = "02"
OBJECT_TYPES = {"person": "01", "motor_vehicle": "02", "door_record": "10", "car_info": "11"}
# The device type of a door device's own 20-digit id. GB/T 28181 Annex D lists no access-control
# type; 139 is "other peripheral". A destination that assigns another changes it here.
DOOR_DEVICE_TYPE = "139"

_DEVICE_ID = re.compile(r"^\d{20}$")


def device_id(
    *,
    area_code: str,
    unit: str = "00",
    industry: str = "00",
    type_code: str = "119",
    network: str = "0",
    sequence: int = 1,
) -> str:
    """Build a 20-digit id from its parts; ``area_code`` is the GB/T 2260 code (6 digits)."""
    if not re.fullmatch(r"[1-9]\d{5}", area_code or ""):
        raise ValueError("area_code must be a 6-digit GB/T 2260 code")
    value = f"{area_code}{unit:0>2}{industry:0>2}{type_code:0>3}{network:0>1}{sequence:06d}"
    if not _DEVICE_ID.match(value):
        raise ValueError(f"not a 20-digit device id: {value!r}")
    return value


def is_device_id(value: str) -> bool:
    return bool(_DEVICE_ID.match(value or "")) and value[:6] != "000000"


def source_id(*, device: str, at: dt.datetime, sequence: int) -> str:
    if not is_device_id(device):
        raise ValueError("device must be a 20-digit GA/T 1400 id")
    return f"{device}{SOURCE_TYPE_IMAGE}{at:%Y%m%d%H%M%S}{sequence % 100_000:05d}"


def object_id(*, device: str, at: dt.datetime, sequence: int, kind: str) -> str:
    """A 48-character object id; ``sequence`` (the outbox record number) makes it unique."""
    value = (
        source_id(device=device, at=at, sequence=sequence) + OBJECT_TYPES[kind] + f"{sequence % 100_000:05d}"
    )
    assert len(value) == OBJECT_ID_LENGTH
    return value


def door_device_id(*, system_device: str, sequence: int) -> str:
    """A door device's 20-digit id under our system's area and unit code (stable per device)."""
    if not is_device_id(system_device):
        raise ValueError("system_device must be a 20-digit GA/T 1400 id")
    if not 0 < sequence < 1_000_000:
        raise ValueError("a door device id holds a sequence of at most 6 digits")
    return device_id(
        area_code=system_device[:6], unit=system_device[6:8], type_code=DOOR_DEVICE_TYPE, sequence=sequence
    )


def viid_time(at: dt.datetime) -> str:
    """Times on the wire: local time, YYYYMMDDhhmmss."""
    return f"{at:%Y%m%d%H%M%S}"
