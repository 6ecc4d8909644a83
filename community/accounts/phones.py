"""Phone numbers as residents type them: "13800000001", "138 0000 0001", "+86 138-0000-0001".

One parser for login, invitations and lookups, so every entry point agrees on what a number is.
"""

from __future__ import annotations

from phonenumber_field.phonenumber import PhoneNumber, to_python

DEFAULT_REGION = "CN"


def parse_phone(value) -> PhoneNumber | None:
    """A valid phone number (China by default) or None."""
    if value in (None, ""):
        return None
    number = to_python(str(value).strip(), region=DEFAULT_REGION)
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        return None
    return number


def to_e164(value) -> str | None:
    number = parse_phone(value)
    return number.as_e164 if number else None
