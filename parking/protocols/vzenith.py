"""Vzenith (臻识) plate cameras: AlarmInfoPlate pushed over HTTP, and the answer they expect.

See docs in /shared/DEVICES.md. Firmware differs on where ``isoffline`` and ``plateid`` sit (the
top of ``AlarmInfoPlate`` or inside ``PlateResult``): both are read. The answer must carry
``content: "retransfer_stop"`` once the read is stored (or the camera resends it forever),
``info: "ok"`` only to lift the barrier (never for an offline record), and for an offline
record the ``ContinuePushOffline`` handshake that asks for the next one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from .base import PlateRead

COLOURS = {0: "unknown", 1: "blue", 2: "yellow", 3: "white", 4: "black", 5: "green"}
MOTIONS = {0: "", 1: "left", 2: "right", 3: "up", 4: "down"}
# A base64 picture larger than this is not kept (a camera misconfigured to send full frames).
MAX_IMAGE_BYTES = 2 * 1024 * 1024


class BadMessage(ValueError):
    """The body is not an AlarmInfoPlate message; the text says what is wrong."""


def _int(value, default=None):
    if isinstance(value, bool):
        return int(value)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError, OverflowError):
        return default


def _first(*values):
    for value in values:
        if value not in (None, ""):
            return value
    return None


# The vendor's HTTP push protocol (2.5 设备注册): the ordinary heartbeat and the comet poll are
# multipart/form-data with the camera's device_name, ipaddr, port, serialno, channel_num … fields.
_HEARTBEAT_FIELDS = (b'name="serialno"', b'name="device_name"')


def is_heartbeat(body: bytes, content_type: str = "") -> bool:
    """A heartbeat or comet poll (multipart form, as documented), or a JSON ``{"heartbeat": …}``
    as some firmware sends it."""
    if content_type.lower().startswith("multipart/form-data") or body[:2] == b"--":
        return any(field in body[:4096] for field in _HEARTBEAT_FIELDS)
    return False


def heartbeat_answer(*, open_barrier: bool) -> dict:
    """The answer to a heartbeat. An ordinary heartbeat's answer is ignored by the camera; a
    comet poll's is acted on like a plate read's: ``info: "ok"`` fires the barrier relay (the
    vendor's protocol, 2.6.1 控制IO开闸)."""
    return {"Response_AlarmInfoPlate": {"info": "ok" if open_barrier else "no"}}


def parse(body: bytes, content_type: str = "") -> PlateRead | None:
    """The read in an AlarmInfoPlate body; None for a heartbeat; ``BadMessage`` says why a body
    is refused."""
    if is_heartbeat(body, content_type):
        return None
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        try:
            data = json.loads(body.decode("gb18030"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadMessage(f"body is not JSON: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise BadMessage(f"body is not JSON: {exc}") from exc
    if isinstance(data, dict) and "heartbeat" in {str(k).lower() for k in data}:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("AlarmInfoPlate"), dict):
        raise BadMessage("expected a JSON object with AlarmInfoPlate")
    alarm = data["AlarmInfoPlate"]
    result = alarm.get("result") if isinstance(alarm.get("result"), dict) else {}
    plate = result.get("PlateResult") if isinstance(result.get("PlateResult"), dict) else None
    if plate is None:
        raise BadMessage("AlarmInfoPlate.result.PlateResult is missing")
    license_ = plate.get("license")
    if not isinstance(license_, str) or not license_.strip():
        raise BadMessage("PlateResult.license is missing")
    if "\x00" in license_ or len(license_) > 32:
        raise BadMessage("PlateResult.license is not a plate")
    plate_id = _first(plate.get("plateid"), alarm.get("plateid"))
    offline = _int(_first(plate.get("isoffline"), alarm.get("isoffline")), 0) == 1
    device_time = None
    timeval = (
        (plate.get("timeStamp") or {}).get("Timeval") if isinstance(plate.get("timeStamp"), dict) else None
    )
    if (
        isinstance(timeval, dict)
        and (sec := _int(timeval.get("sec"))) is not None
        and 0 < sec < 7_258_118_400
    ):
        device_time = dt.datetime.fromtimestamp(sec, tz=dt.UTC)
    image = None
    if isinstance(plate.get("imageFile"), str) and plate["imageFile"]:
        try:
            image = base64.b64decode(plate["imageFile"], validate=False)
        except (binascii.Error, ValueError):
            image = None
        if image is not None and len(image) > MAX_IMAGE_BYTES:
            image = None
    return PlateRead(
        plate_as_read=license_.strip(),
        device_key=str(plate_id).strip()[:64] if plate_id is not None else "",
        colour=COLOURS.get(_int(plate.get("colorType"), 0), "unknown"),
        confidence=max(0, min(_int(plate.get("confidence"), 0) or 0, 100))
        if plate.get("confidence") is not None
        else None,
        motion=MOTIONS.get(_int(plate.get("direction"), 0), ""),
        device_time=device_time,
        offline=offline,
        image=image,
        raw_body=body,
    )


def answer(*, opened: bool, read: PlateRead | None, led_text: str = "") -> dict:
    """The body the camera expects once the read is stored."""
    response: dict = {"info": "ok" if opened and read is not None and not read.offline else "no"}
    response["content"] = "retransfer_stop"
    response["is_pay"] = "true"
    if read is not None and read.device_key:
        plate_id = _int(read.device_key, read.device_key)
        response["plateid"] = plate_id
        if read.offline:
            response["ContinuePushOffline"] = {"plateid": plate_id, "continue": 1}
    if led_text and not (read is not None and read.offline):
        response["serialData"] = [led_serial_data(led_text)]
    return {"Response_AlarmInfoPlate": response}


# --- LED screen --------------------------------------------------------------------------------


def crc16_modbus(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


# Frame of the RS-485 LED/voice boards sold with these cameras: address 0x00, 0x64, 0xFFFF,
# command 0x62 ("show this text now and say it"), data length, line, colour, GB2312 text,
# then CRC-16/MODBUS, low byte first.
LED_COMMAND_SHOW = 0x62


def led_frame(text: str, *, line: int = 0, colour: int = 1) -> bytes:
    payload = bytes([line, colour]) + text.encode("gb2312", errors="replace")[:250]
    body = bytes([0x00, 0x64, 0xFF, 0xFF, LED_COMMAND_SHOW, len(payload)]) + payload
    crc = crc16_modbus(body)
    return body + bytes([crc & 0xFF, crc >> 8])


def led_serial_data(text: str, channel: int = 0) -> dict:
    frame = led_frame(text)
    return {"serialChannel": channel, "data": base64.b64encode(frame).decode(), "dataLen": len(frame)}
