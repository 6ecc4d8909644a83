"""The platform's own JSON device API (``POST /api/v1/devices/events``).

One event, or ``{"events": [...]}`` with at most ``MAX_BATCH`` events. Each event is validated
on its own so one bad event never loses the good ones beside it. Validation is hand-written:
at 50,000 events/s a serializer per event would cost more than storing it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils.translation import gettext as _

from community.errors import text_too_long

from ..inbound import column_limit
from ..models import CredentialKind, Direction, Method, Result
from ..services.ingest import access_events_ingest, gates_of
from .base import PLAUSIBLE_YEARS, EventError, EventIn, Outcome, aware, scrub_json, storable

MAX_BATCH = 1000
_DIRECTIONS = set(Direction.values)
_METHODS = set(Method.values)
_RESULTS = set(Result.values)
_CREDENTIAL_KINDS = set(CredentialKind.values) | {"qr"}


class BatchTooLarge(ValueError):
    pass


def split_body(body: bytes) -> list[Any]:
    """The list of event objects in a request body; raises ValueError for a body that is not one."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from exc
    except RecursionError as exc:
        raise ValueError(_("The body is not valid JSON: nested too deeply.")) from exc
    if isinstance(data, dict) and "events" in data:
        events = data["events"]
        if not isinstance(events, list):
            raise ValueError(_('"events" must be a list.'))
    elif isinstance(data, dict):
        events = [data]
    elif isinstance(data, list):
        events = data
    else:
        raise ValueError(_('Send one event object or {"events": [...]}.'))
    if len(events) > MAX_BATCH:
        raise BatchTooLarge(
            _("At most %(max)d events per request; this one has %(n)d.")
            % {"max": MAX_BATCH, "n": len(events)}
        )
    return events


def _text(raw: dict, name: str, errors: dict, *, column: str, required: bool = False) -> str:
    max_length = column_limit(column)
    value = raw.get(name)
    if value is None or value == "":
        if required:
            errors[name] = _("This field is required.")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors[name] = _("Must be a string.")
        return ""
    if too_long := text_too_long(value, max_length):
        errors[name] = too_long
        return ""
    if not storable(value):
        errors[name] = _("Contains a NUL character or invalid Unicode.")
        return ""
    return value


def _choice(raw: dict, name: str, allowed: set[str], errors: dict, *, default: str | None = None) -> str:
    value = raw.get(name, default)
    if value is None:
        errors[name] = _("This field is required.")
        return ""
    if not isinstance(value, str) or value not in allowed:
        errors[name] = _("Must be one of: %(choices)s.") % {"choices": ", ".join(sorted(allowed))}
        return ""
    return value


def parse_time(value: Any, tz) -> dt.datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(_("An ISO 8601 time is required, e.g. 2026-11-20T08:01:02+08:00."))
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError as exc:
        raise ValueError(_("Not an ISO 8601 time: %(value)s") % {"value": value[:40]}) from exc
    if parsed.year not in PLAUSIBLE_YEARS:
        raise ValueError(_("Not a plausible time: %(value)s") % {"value": value[:40]})
    return aware(parsed, tz)


def parse_event(raw: Any, *, tz) -> EventIn:
    if not isinstance(raw, dict):
        raise EventError({"event": _("Each event must be a JSON object.")})
    errors: dict[str, str] = {}
    key = _text(raw, "event_id", errors, column="idempotency_key", required=True)
    try:
        occurred_at = parse_time(raw.get("occurred_at"), tz)
    except ValueError as exc:
        errors["occurred_at"] = str(exc)
        occurred_at = None
    result = _choice(raw, "result", _RESULTS, errors)
    direction = _choice(raw, "direction", _DIRECTIONS, errors, default="unknown")
    method = _choice(raw, "method", _METHODS, errors, default="other")
    reason = _text(raw, "reason", errors, column="reason")
    plate = _text(raw, "plate", errors, column="plate")
    gate = raw.get("gate")
    if gate is not None and (isinstance(gate, bool) or not isinstance(gate, int)):
        errors["gate"] = _("Must be a gate id (an integer).")
        gate = None
    credential_kind = credential_value = ""
    credential = raw.get("credential")
    if credential is not None:
        if not isinstance(credential, dict):
            errors["credential"] = _('Must be an object {"type", "value"}.')
        else:
            credential_kind = credential.get("type", "")
            credential_value = credential.get("value", "")
            if not isinstance(credential_kind, str) or credential_kind not in _CREDENTIAL_KINDS:
                errors["credential"] = _("type must be one of: %(choices)s.") % {
                    "choices": ", ".join(sorted(_CREDENTIAL_KINDS))
                }
            elif (
                isinstance(credential_value, bool)
                or not isinstance(credential_value, str | int)
                or not str(credential_value)
                or len(str(credential_value)) > column_limit("credential_value")
                or not storable(str(credential_value))
            ):
                errors["credential"] = _("value must be a non-empty string of at most %(n)d characters.") % {
                    "n": column_limit("credential_value")
                }
            credential_value = str(credential_value)
    replayed = raw.get("replayed", raw.get("offline", False))
    if not isinstance(replayed, bool):
        errors["replayed"] = _("Must be true or false.")
    if errors:
        raise EventError(errors)
    return EventIn(
        key=key,
        occurred_at=occurred_at,
        result=result,
        direction=direction,
        method=method,
        reason=reason,
        gate_id=gate,
        credential_kind=credential_kind,
        credential_value=credential_value,
        plate=plate,
        replayed=replayed,
    )


def handle_events(*, device, inbound) -> Outcome:
    """Parse and store a request body of events; answer the counts and per-event rejections."""

    try:
        raw_events = split_body(inbound.body)
    except BatchTooLarge as exc:
        return _json(413, {"error": {"code": "batch_too_large", "message": str(exc)}})
    except ValueError as exc:
        return _json(400, {"error": {"code": "parse_error", "message": str(exc)}}, errors=[str(exc)])
    tz = device.tzinfo
    parsed: list[EventIn] = []
    rejected: list[dict] = []
    for index, raw in enumerate(raw_events):
        try:
            parsed.append(parse_event(raw, tz=tz))
        except EventError as exc:
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            rejected.append(
                {
                    "index": index,
                    "event_id": event_id if isinstance(event_id, str | int) else None,
                    "errors": exc.errors,
                }
            )
            parsed.append(None)
    valid_gates = gates_of(device, [e.gate_id for e in parsed if e is not None])
    for index, event in enumerate(parsed):
        if event is not None and event.gate_id is not None and event.gate_id not in valid_gates:
            rejected.append(
                {"index": index, "event_id": event.key, "errors": {"gate": _("No such gate in this estate.")}}
            )
            parsed[index] = None
    rejected.sort(key=lambda r: r["index"])
    result = access_events_ingest(device=device, events=[e for e in parsed if e is not None])
    body = {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": rejected}
    errors = [f"event {r['index']} ({r['event_id']}): {r['errors']}" for r in rejected]
    return _json(200, body, errors=errors)


def _json(status: int, body: dict, *, errors: list[str] | None = None) -> Outcome:
    # scrub_json: a rejected event_id is echoed back and may hold a lone surrogate.
    return Outcome(status, json.dumps(scrub_json(body), ensure_ascii=False), "application/json", errors or [])
