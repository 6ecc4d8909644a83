"""Chinese licence plates: one normal form and a validator. Pure code, no database.

Cameras, residents and staff write the same plate in different ways ("鄂C 12345", "鄂c·12345",
full-width letters from a phone keyboard): every plate the platform stores or compares goes
through ``normalise_plate`` first, so one car is one string.
"""

from __future__ import annotations

import re
import unicodedata

# What a Vzenith camera reports when it saw a car but read no plate.
NO_PLATE = "_无_"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Plate letters never use I or O (they read as 1 and 0).
_LETTER = "A-HJ-NP-Z"
_CHAR = f"{_LETTER}0-9"
# Ordinary plates: province, issuing-office letter, five characters; the last one may be a
# special-use character (trailer, coach, police, Hong Kong / Macau crossing, consulate).
_ORDINARY = re.compile(rf"^[{PROVINCES}][{_LETTER}][{_CHAR}]{{4}}[{_CHAR}挂学警港澳领使]$")
# New-energy plates (green, eight characters): small cars have the energy letter third
# (D electric, F hybrid; A-K since 2021), large vehicles have it last.
_NEW_ENERGY = re.compile(rf"^[{PROVINCES}][{_LETTER}](?:[A-HJK][{_CHAR}][0-9]{{4}}|[0-9]{{5}}[A-HJK])$")
_SEPARATORS = re.compile(r"[\s·•\-_.。．]")


def normalise_plate(raw: str) -> str:
    """Full-width to half-width, separators and spaces out, letters upper case.

    ``_无_`` (no plate read) is kept as it is: it is a marker, not a plate.
    """
    if raw is None:
        return ""
    text = str(raw).strip()
    if text == NO_PLATE or text in ("无", "无牌", "无车牌"):
        return NO_PLATE
    text = unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("", text).upper()


def is_valid_plate(plate: str) -> bool:
    """Whether a normalised plate is a well-formed 7-character or 8-character (new-energy) plate."""
    return bool(_ORDINARY.match(plate) or _NEW_ENERGY.match(plate))


def is_new_energy(plate: str) -> bool:
    return bool(_NEW_ENERGY.match(plate))
