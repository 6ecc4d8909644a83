"""What each data category carries, and what a destination gets by default (pure data).

A grant may list fewer fields (never more: unknown fields are refused when the grant is saved)
and add masks; personal fields are masked by default unless the grant says otherwise for a
destination with a statutory duty to receive them in clear (``masked`` = ``{}`` explicitly).
"""

from __future__ import annotations

FIELDS: dict[str, list[str]] = {
    "gate_passage": [
        "occurred_at", "estate_code", "gate", "device", "direction", "method", "result",
        "person_name", "person_phone", "person_id_number",
    ],
    "car_passage": [
        "occurred_at", "estate_code", "lot", "device", "direction", "plate", "plate_color", "decision",
    ],
    "resident_change": [
        "occurred_at", "estate_code", "change", "building", "unit", "role",
        "person_name", "person_phone", "person_id_number", "date",
    ],
    "grid_event": ["occurred_at", "estate_code", "number", "grid", "event_type", "urgency", "status", "location"],
    "statistics": [
        "date", "estate_code", "population", "passages", "tickets_opened", "tickets_closed",
        "eldercare_orders", "eldercare_alarms",
    ],
    "door_device": ["estate_code", "name", "gate", "serial_number", "status", "registered_at"],
    "car_info": [
        "estate_code", "plate", "plate_color", "owner_name", "owner_phone", "owner_id_number", "status",
        "registered_at",
    ],
}  # fmt: skip

# Masks applied when a grant does not say otherwise.
DEFAULT_MASKS: dict[str, dict[str, str]] = {
    "gate_passage": {"person_name": "name", "person_phone": "phone", "person_id_number": "id_number"},
    "car_passage": {},
    "resident_change": {"person_name": "name", "person_phone": "phone", "person_id_number": "id_number"},
    "grid_event": {},
    "statistics": {},
    "door_device": {},
    "car_info": {"owner_name": "name", "owner_phone": "phone", "owner_id_number": "id_number"},
}


def grant_fields(category: str, fields: list[str] | None) -> list[str]:
    """The fields a grant sends: its own list, or the category's defaults."""
    return list(fields) if fields else list(FIELDS[category])


def grant_masks(category: str, masked: dict[str, str] | None) -> dict[str, str]:
    """A grant's masks: ``None`` (never set) means the defaults; ``{}`` means none."""
    return dict(DEFAULT_MASKS[category]) if masked is None else dict(masked)
