"""Masking and minimisation of personal data before it leaves the platform (pure functions).

PIPL Art. 6 asks for the minimum necessary; each destination gets only the fields its grant
lists, and the grant says which of them are masked. The masks keep what a receiving officer
needs to match a record by eye (surname, the phone's prefix and last four digits, the ID
number's region and last four) and nothing that would let the value be rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

# The platform's one set of masks (notices, certificates, rosters, the admin use the same).
from community.residents.models import mask_id_number, mask_name, mask_phone

__all__ = ["MASKS", "mask_id_number", "mask_name", "mask_phone", "minimise"]


def mask_plate(value: str) -> str:
    """鄂C12345 → 鄂C***45: enough to confirm a read by eye, not to look the car up."""
    value = (value or "").strip()
    if len(value) <= 4:
        return value
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "phone": mask_phone,
    "id_number": mask_id_number,
    "plate": mask_plate,
}


def minimise(payload: Mapping, *, fields: Iterable[str], masked: Mapping[str, str]) -> dict:
    """Keep only ``fields`` of ``payload``; mask those named in ``masked`` (field -> mask kind).

    A field in ``masked`` with an unknown mask kind raises: a typo must not send a value clear.
    """
    allowed = list(fields)
    out = {}
    for field in allowed:
        if field not in payload:
            continue
        value = payload[field]
        kind = masked.get(field)
        if kind is not None:
            if kind not in MASKS:
                raise KeyError(f"unknown mask kind {kind!r} for field {field!r}")
            value = MASKS[kind]("" if value is None else str(value))
        out[field] = value
    return out
