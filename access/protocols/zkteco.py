"""ZKTeco PUSH (ADMS, "iclock"): attendance terminals and access panels.

The device polls and uploads plain text over HTTP and names itself with ``SN=`` in the query
string. It resends whatever was not answered with a plain ``OK`` on a 200, so ``OK`` goes out
only after the records are committed; a malformed line is kept raw (and answered ``OK``, so
one bad line does not make the device resend the whole buffer forever). See docs/devices.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from urllib.parse import parse_qs

from ..inbound import is_id, too_long
from ..models import CredentialKind, Direction, Method, Protocol, RawStatus, Resident, Result
from ..services.devices import device_command_complete, device_commands_fetch, device_seen
from ..services.ingest import access_events_ingest
from ..services.raw_messages import raw_message_keep
from .base import EventIn, Inbound, Outcome, aware, decode_text, scrub, storable

logger = logging.getLogger(__name__)

# ATTLOG "Verify" and rtlog "verifytype" codes; firmware varies, unknown codes map to "other".
VERIFY_METHODS = {
    0: Method.PASSWORD,
    1: Method.FINGERPRINT,
    2: Method.CARD,
    3: Method.PASSWORD,
    4: Method.CARD,
    15: Method.FACE,
}
# rtlog event codes (ZKTeco access panels): granted passes, refusals; the rest is door state.
GRANTED_EVENTS = {0, 1, 2, 3, 4, 5, 8, 14, 15, 16, 17, 18, 19, 202}
DENIED_EVENTS = set(range(20, 49)) | {101, 102, 103}
DENIAL_REASONS = {
    20: "too_short_interval",
    21: "door_inactive",
    22: "illegal_time_zone",
    23: "access_denied",
    24: "anti_passback",
    25: "interlock",
    27: "unregistered",
    29: "expired",
    30: "password_error",
}
KEPT_TABLES = {"OPERLOG", "ATTPHOTO", "BIODATA", "USERINFO", "FINGERTMP", "FACE", "OPLOG"}


# ZKTeco upload watermarks (ATTLOGStamp …) are short numbers; anything longer is not one.
STAMP_MAX_LENGTH = 32


def _text(status: int, body: str, errors: list[str] | None = None) -> Outcome:
    return Outcome(status, body, "text/plain", errors or [])


def device_time_stamp(now: dt.datetime) -> int:
    """ZKTeco's ``DateTime`` number for ``GET /iclock/rtdata?type=time``."""
    return (
        ((now.year - 2000) * 12 * 31 + (now.month - 1) * 31 + now.day - 1) * 86400
        + (now.hour * 60 + now.minute) * 60
        + now.second
    )


def _utc_offset(device, now=None) -> dt.timedelta:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(device.tzinfo).utcoffset() or dt.timedelta(0)


def _lines(body: bytes) -> list[str]:
    return [line.rstrip("\r") for line in decode_text(body).split("\n") if line.strip()]


def _parse_time(value: str, device) -> dt.datetime:
    return aware(dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S"), device.tzinfo)


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def parse_attlog_line(line: str, device) -> EventIn:
    """``PIN \\t Time \\t Status \\t Verify \\t Workcode \\t Reserved \\t Reserved [\\t more]``."""
    fields = line.split("\t")
    if len(fields) < 2 or not fields[0].strip():
        raise ValueError(f"ATTLOG line needs at least PIN and time: {line[:80]!r}")
    pin = fields[0].strip()
    occurred_at = _parse_time(fields[1], device)
    status = _int(fields[2]) if len(fields) > 2 else None
    verify = _int(fields[3]) if len(fields) > 3 else None
    direction = {0: Direction.IN, 1: Direction.OUT}.get(status, Direction.UNKNOWN)
    return EventIn(
        key=f"att:{pin}:{fields[1].strip()}",
        occurred_at=occurred_at,
        result=Result.GRANTED,
        direction=direction,
        method=VERIFY_METHODS.get(verify, Method.OTHER),
        credential_kind=CredentialKind.EMPLOYEE_NO,
        credential_value=pin,
        vendor_code=f"att/{status if status is not None else ''}/{verify if verify is not None else ''}",
    )


def parse_rtlog_line(line: str, device) -> EventIn | None:
    """``time=… \\t pin=… \\t cardno=… \\t eventaddr=… \\t event=… \\t inoutstatus=… \\t verifytype=… \\t index=…``.

    Returns None for door-state records (not a pass or a refusal)."""
    pairs = {}
    for part in line.split("\t"):
        if "=" in part:
            key, value = part.split("=", 1)
            pairs[key.strip().lower()] = value.strip()
    if "time" not in pairs or "event" not in pairs:
        raise ValueError(f"rtlog line needs time= and event=: {line[:80]!r}")
    occurred_at = _parse_time(pairs["time"], device)
    code = _int(pairs["event"])
    if code is None:
        raise ValueError(f"rtlog event is not a number: {pairs['event']!r}")
    if code in GRANTED_EVENTS:
        result = Result.GRANTED
    elif code in DENIED_EVENTS:
        result = Result.DENIED
    else:
        return None
    pin = pairs.get("pin", "").strip()
    card = pairs.get("cardno", "").strip()
    if card in ("0", ""):
        card = ""
    method = VERIFY_METHODS.get(_int(pairs.get("verifytype"), -1), Method.CARD if card else Method.OTHER)
    index = pairs.get("index")
    key = f"rt:{index}" if index else f"rt:{pairs['time']}:{pin}:{card}:{code}:{pairs.get('eventaddr', '')}"
    return EventIn(
        key=key,
        occurred_at=occurred_at,
        result=result,
        direction={0: Direction.IN, 1: Direction.OUT}.get(_int(pairs.get("inoutstatus")), Direction.UNKNOWN),
        method=method,
        reason=DENIAL_REASONS.get(code, "") if result == Result.DENIED else "",
        credential_kind=CredentialKind.CARD
        if card
        else (CredentialKind.EMPLOYEE_NO if pin and pin != "0" else ""),
        credential_value=card or (pin if pin != "0" else ""),
        vendor_code=f"rt/{code}",
    )


def _resolve_device_pins(device, events: list[EventIn]) -> None:
    """The platform syncs residents to ZKTeco devices with PIN = resident id; resolve those."""
    pins = {
        int(e.credential_value)
        for e in events
        if e.credential_kind == CredentialKind.EMPLOYEE_NO
        and e.credential_value.isdigit()
        and is_id(int(e.credential_value))
    }
    if not pins:
        return
    known = set(Resident.objects.filter(estate_id=device.estate_id, pk__in=pins).values_list("pk", flat=True))
    for event in events:
        if event.credential_kind == CredentialKind.EMPLOYEE_NO and event.credential_value.isdigit():
            pin = int(event.credential_value)
            if pin in known:
                event.resident_id = pin


def _upload(device, inbound: Inbound) -> Outcome:

    query = inbound.query
    table = query.get("table", "").strip()
    if table.upper() == "ATTLOG" or table.lower() == "rtlog":
        parse = parse_attlog_line if table.upper() == "ATTLOG" else parse_rtlog_line
        events, errors = [], []
        for number, line in enumerate(_lines(inbound.body), start=1):
            try:
                if not storable(line):
                    raise ValueError(f"NUL character or invalid Unicode in {line[:80]!r}")
                event = parse(line, device)
                if event is not None and (problems := too_long(event)):
                    raise ValueError(f"too long: {problems}")
            except ValueError as exc:
                errors.append(f"line {number}: {exc}")
                continue
            if event is not None:
                events.append(event)
        _resolve_device_pins(device, events)
        access_events_ingest(device=device, events=events)
        stamp = scrub(query.get("Stamp", ""))
        if len(stamp) > STAMP_MAX_LENGTH:
            # A watermark is echoed back to the device whole or not at all: a cut one is wrong.
            errors.append(f"Stamp longer than {STAMP_MAX_LENGTH} characters: not remembered")
        if stamp and not errors:
            _remember(device, {f"{table.upper()}Stamp": stamp})
        return _text(200, "OK", errors)
    if table.lower() == "rtstate":
        state = (
            dict(part.split("=", 1) for part in _lines(inbound.body)[0].split("\t") if "=" in part)
            if inbound.body.strip()
            else {}
        )
        _remember(device, {"door_state": state})
        return _text(200, "OK")
    # OPERLOG, photos and other records are kept as sent; unknown tables wait for an adapter.
    known = table.upper() in KEPT_TABLES
    raw_message_keep(
        device=device,
        protocol=Protocol.ZKTECO,
        inbound=inbound,
        error=f"table {table or '?'} kept as sent" if known else f"unknown table {table!r}",
        status=RawStatus.PROCESSED if known else RawStatus.PENDING,
    )
    device_seen(device=device)
    return _text(200, "OK")


def _remember(device, values: dict) -> None:

    device_seen(device=device, state=values)


def _options(device, sn: str) -> str:
    state = device.state or {}
    hours = int(_utc_offset(device).total_seconds() // 3600)
    return (
        "\n".join(
            [
                f"GET OPTION FROM: {sn}",
                f"ATTLOGStamp={state.get('ATTLOGStamp', 'None')}",
                f"OPERLOGStamp={state.get('OPERLOGStamp', '9999')}",
                f"ATTPHOTOStamp={state.get('ATTPHOTOStamp', 'None')}",
                "ErrorDelay=30",
                "Delay=10",
                "TransTimes=00:00;14:05",
                "TransInterval=1",
                "TransFlag=TransData AttLog OpLog AttPhoto EnrollUser ChgUser",
                f"TimeZone={hours}",
                "Realtime=1",
                "Encrypt=None",
            ]
        )
        + "\n"
    )


# An access panel that registered holds two secrets besides its SN (printed on the case): the
# RegistryCode answered to its registration and the SessionID of its last configuration. Both are
# random, kept on the Device only as SHA-256, and its later requests must carry one of them.
REGISTRY_HASH = "registry_code_sha256"
SESSION_HASH = "session_id_sha256"
SECRET_BYTES = 16


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def is_registered(device) -> bool:
    return bool((device.state or {}).get(REGISTRY_HASH))


def carries_registration(device, presented: list[str]) -> bool:
    """Whether one of the values the request presented is the panel's RegistryCode or SessionID."""
    state = device.state or {}
    expected = [h for h in (state.get(REGISTRY_HASH), state.get(SESSION_HASH)) if h]
    found = False
    for value in presented:
        if not value or len(value) > 128:
            continue
        digest = _digest(value)
        for known in expected:
            # Compare every pair (no early exit) so timing says nothing about which matched.
            found |= hmac.compare_digest(digest, known)
    return found


def _registry(device, inbound: Inbound) -> Outcome:
    """A panel registers (again, after a reset): it gets a new RegistryCode; the old one and its
    session end. Reached only from the device's bound network (access.device_views)."""
    text = decode_text(inbound.body)
    info = {}
    for part in text.replace("\t", ",").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            info[key.strip().lstrip("~")] = value.strip()
    code = secrets.token_hex(SECRET_BYTES)
    device_seen(device=device, state={"registry": info, REGISTRY_HASH: _digest(code), SESSION_HASH: ""})
    return _text(200, f"RegistryCode={code}")


def _push_config(session_id: str) -> str:
    return (
        "\n".join(
            [
                "ServerVersion=3.1.1",
                "ServerName=ADMS",
                "PushVersion=3.1.1",
                "ErrorDelay=30",
                "RequestDelay=2",
                "TransTimes=00:00\t14:00",
                "TransInterval=1",
                "TransTables=User\tTransaction",
                "Realtime=1",
                f"SessionID={session_id}",
                "TimeoutSec=10",
            ]
        )
        + "\n"
    )


# What a panel needs of a person to decide at the door is the PIN and the card; the name it
# would only show on its screen (and hand to anyone reading the queue). Commands queued before
# names were left out are trimmed on the way out.
_PERSONAL_FIELDS = re.compile(r"\t(?:Name|Passwd|Password|Phone|IDCard)=[^\t]*")


def panel_command(command: str) -> str:
    return _PERSONAL_FIELDS.sub("", command) if command.startswith("DATA UPDATE USERINFO") else command


def _getrequest(device, inbound: Inbound) -> Outcome:

    device_seen(device=device)
    commands = device_commands_fetch(device=device, address=inbound.address)
    if not commands:
        return _text(200, "OK")
    return _text(200, "".join(f"C:{c.pk}:{panel_command(c.command)}\n" for c in commands))


def _devicecmd(device, inbound: Inbound) -> Outcome:

    errors = []
    for line in _lines(inbound.body):
        fields = {k: v[-1] for k, v in parse_qs(line, keep_blank_values=True).items()}
        command_id, code = _int(fields.get("ID")), _int(fields.get("Return"))
        if command_id is None or code is None:
            errors.append(f"command result without ID/Return: {line[:80]!r}")
            continue
        if not device_command_complete(
            device=device, command_id=command_id, return_code=code, result=line, address=inbound.address
        ):
            errors.append(f"result for unknown command {command_id}")
    return _text(200, "OK", errors)


def handle(*, device, inbound: Inbound) -> Outcome:
    """Route one iclock request of a known, approved device."""

    endpoint = inbound.path.rstrip("/").rsplit("/", 1)[-1].lower()
    method = inbound.method.upper()
    if endpoint == "cdata" and method == "GET":
        device_seen(device=device, state={"options": {k: v for k, v in inbound.query.items() if k != "SN"}})
        return _text(200, _options(device, inbound.query.get("SN", device.serial_number or "")))
    if endpoint == "cdata" and method == "POST":
        return _upload(device, inbound)
    if endpoint == "registry":
        return _registry(device, inbound)
    if endpoint == "push":
        session_id = secrets.token_hex(SECRET_BYTES)
        device_seen(device=device, state={SESSION_HASH: _digest(session_id)})
        return _text(200, _push_config(session_id))
    if endpoint == "getrequest":
        return _getrequest(device, inbound)
    if endpoint == "devicecmd":
        return _devicecmd(device, inbound)
    if endpoint == "rtdata" and inbound.query.get("type") == "time":
        now = dt.datetime.now(dt.UTC).astimezone(device.tzinfo)
        offset = _utc_offset(device)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return _text(
            200,
            f"DateTime={device_time_stamp(now)},ServerTZ={sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}",
        )
    if endpoint in ("ping", "querydata"):
        device_seen(device=device)
        return _text(200, "OK")
    return _text(404, "unknown iclock endpoint", [f"unknown iclock endpoint {inbound.path}"])
