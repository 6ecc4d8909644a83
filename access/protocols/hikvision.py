"""Hikvision ISAPI event notification (face terminals, access controllers).

The device POSTs each event to the URL it was given (``/isapi/<device token>/events``), as
``multipart/form-data`` with one JSON part (often named ``event_log``) and JPEG parts, or as a
bare JSON or XML body. Heartbeats (``eventType: heartBeat`` or ``eventState: inactive``)
only refresh the status. ``serialNo`` is the per-device idempotency key; resends
(``isDataRetransmission`` or ``activePostCount`` > 1) are stored once, flagged, never acted on.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from email import policy
from email.parser import BytesParser

from django.core.files.base import ContentFile
from django.db import transaction

from ..inbound import too_long
from ..models import CredentialKind, Method, Result
from ..services.devices import device_seen
from ..services.ingest import access_events_ingest
from .base import EventIn, Inbound, Outcome, aware, decode_text, storable

# Major 5 ("event") minor codes: (method, result, reason).
MINOR_CODES: dict[int, tuple[str, str, str]] = {
    0x01: (Method.CARD, Result.GRANTED, ""),
    0x06: (Method.CARD, Result.DENIED, "no_permission"),
    0x09: (Method.CARD, Result.DENIED, "invalid_card"),
    0x0A: (Method.CARD, Result.DENIED, "card_expired"),
    0x26: (Method.FINGERPRINT, Result.GRANTED, ""),
    0x27: (Method.FINGERPRINT, Result.DENIED, "fingerprint_mismatch"),
    0x4B: (Method.FACE, Result.GRANTED, ""),
    0x4C: (Method.FACE, Result.DENIED, "face_mismatch"),
    0x9C: (Method.QR, Result.GRANTED, ""),
    0x9D: (Method.QR, Result.DENIED, "qr_invalid"),
    0xB5: (Method.PASSWORD, Result.GRANTED, ""),
    0x400: (Method.REMOTE, Result.GRANTED, ""),
}
MAJOR_EVENT = 5
_ACK = json.dumps({"statusCode": 1, "statusString": "OK", "subStatusCode": "ok"})


def ack(errors: list[str] | None = None, status: int = 200) -> Outcome:
    return Outcome(status, _ACK, "application/json", errors or [])


def _xml_to_dict(element) -> dict | str:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict = {}
    for child in children:
        out[child.tag.split("}", 1)[-1]] = _xml_to_dict(child)
    return out


def split_parts(inbound: Inbound) -> tuple[dict, list[bytes]]:
    """The event JSON (as a dict) and the image parts of a request body."""
    content_type = inbound.content_type.lower()
    images: list[bytes] = []
    if content_type.startswith("multipart/"):
        message = BytesParser(policy=policy.HTTP).parsebytes(
            f"Content-Type: {inbound.content_type}\r\n\r\n".encode() + inbound.body
        )
        document = None
        for part in message.iter_parts():
            payload = part.get_payload(decode=True) or b""
            if part.get_content_maintype() == "image" or payload[:3] == b"\xff\xd8\xff":
                images.append(payload)
            elif document is None and payload.strip()[:1] in (b"{", b"<"):
                document = _parse_document(payload)
        if document is None:
            raise ValueError("multipart body without a JSON or XML event part")
        return document, images
    return _parse_document(inbound.body), images


def _parse_document(payload: bytes) -> dict:
    text = payload.strip()
    if text[:1] == b"<":
        if b"<!DOCTYPE" in text.upper() or b"<!ENTITY" in text.upper():
            raise ValueError("XML with a DOCTYPE is refused")
        try:
            root = ET.fromstring(text)  # noqa: S314 - DOCTYPE/ENTITY refused above
            data = _xml_to_dict(root)
        except RecursionError as exc:
            raise ValueError("XML nested too deeply") from exc
        return data if isinstance(data, dict) else {}
    try:
        data = json.loads(decode_text(text))  # some firmware sends names in GBK
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"event part is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("event JSON must be an object")
    return data


def _int(value, default=None):
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON Infinity
        return default


def _is_heartbeat(data: dict) -> bool:
    return (
        str(data.get("eventType", "")).lower() == "heartbeat"
        or str(data.get("eventState", "")).lower() == "inactive"
    )


def parse_event(data: dict, images: list[bytes], device) -> EventIn | None:
    """The common event for an ``AccessControllerEvent``; None for heartbeats."""
    if _is_heartbeat(data):
        return None
    event_type = str(data.get("eventType", ""))
    ace = data.get("AccessControllerEvent")
    if not isinstance(ace, dict):
        raise ValueError(f"no AccessControllerEvent in a {event_type or 'typeless'} notification")
    major, minor = _int(ace.get("majorEventType")), _int(ace.get("subEventType"))
    if major != MAJOR_EVENT or minor not in MINOR_CODES:
        raise ValueError(f"unmapped event code {major}/{minor}")
    try:
        occurred_at = aware(dt.datetime.fromisoformat(str(data.get("dateTime", ""))), device.tzinfo)
    except ValueError as exc:
        raise ValueError(f"bad dateTime {data.get('dateTime')!r}") from exc
    for name in ("cardNo", "employeeNoString", "employeeNo"):
        if isinstance(ace.get(name), str) and not storable(ace[name]):
            raise ValueError(f"{name} contains a NUL character or invalid Unicode")
    method, result, reason = MINOR_CODES[minor]
    serial = _int(ace.get("serialNo"))
    card = str(ace.get("cardNo") or "").strip()
    employee = str(ace.get("employeeNoString") or ace.get("employeeNo") or "").strip()
    key = f"hik:{serial}" if serial is not None else f"hik:{data.get('dateTime')}:{minor}:{employee}:{card}"
    retransmitted = (
        str(data.get("isDataRetransmission", "")).lower() == "true"
        or (_int(data.get("activePostCount"), 1) or 1) > 1
    )
    return EventIn(
        key=key,
        occurred_at=occurred_at,
        result=result,
        method=method,
        reason=reason,
        credential_kind=CredentialKind.CARD if card else (CredentialKind.EMPLOYEE_NO if employee else ""),
        credential_value=card or employee,
        vendor_code=f"{major}/{minor}",
        replayed=retransmitted,
        snapshot=ContentFile(images[0]) if images else None,
    )


def is_heartbeat(inbound: Inbound) -> bool:
    """Whether the request is a parseable heartbeat (and nothing else)."""
    try:
        data, _images = split_parts(inbound)
    except (ValueError, ET.ParseError):
        return False
    return _is_heartbeat(data)


def handle_event(*, device, inbound: Inbound) -> Outcome:

    try:
        data, images = split_parts(inbound)
        event = parse_event(data, images, device)
    except (ValueError, ET.ParseError) as exc:
        # Answer 200 all the same: the message is kept raw for replay, and a device that
        # retried would only send the same bytes again.
        return ack([str(exc)])
    if event is None:
        with transaction.atomic():
            device_seen(device=device, state={"heartbeat": {"at": str(data.get("dateTime", ""))}})
        return ack()
    if problems := too_long(event):
        return ack([f"too long: {problems}"])  # kept raw for replay, as above
    access_events_ingest(device=device, events=[event])
    return ack()
