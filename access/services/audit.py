"""Who did it: the actor every changing access service takes as ``by``, and its audit row.

An actor is a user, the ``Device`` that acted by itself, or a system actor ``"system:<job>"``
(a periodic job, a signal receiver). Anything else is a programming error, refused loudly.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from ..models import AccessAudit, AuditAction, Credential, Device, RawDeviceMessage

SYSTEM_PREFIX = "system:"
Actor = AbstractBaseUser | Device | str


def actor_columns(by: Actor) -> dict:
    """``by`` as the two actor columns of an audit row (a user, or a system actor's name)."""
    if isinstance(by, Device):
        return {"by_user": None, "by_system": f"device:{by.pk}"}
    if isinstance(by, str):
        limit = AccessAudit._meta.get_field("by_system").max_length
        if not by.startswith(SYSTEM_PREFIX) or len(by) <= len(SYSTEM_PREFIX) or len(by) > limit:
            raise TypeError(f"a system actor is 'system:<job>' (at most {limit} characters), not {by!r}")
        return {"by_user": None, "by_system": by}
    if isinstance(by, get_user_model()) and by.pk is not None:
        return {"by_user": by, "by_system": ""}
    raise TypeError(f"by must be a saved user, a Device or 'system:<job>', not {by!r}")


def audit_record(
    *,
    action: AuditAction,
    by: Actor,
    estate_id: int | None,
    device: Device | None = None,
    credential: Credential | None = None,
    raw_message: RawDeviceMessage | None = None,
    params: dict | None = None,
) -> AccessAudit:
    """Append one audit row; runs inside the caller's transaction, so it lands with the act."""
    return AccessAudit.objects.create(
        action=action,
        estate_id=estate_id,
        device=device,
        credential=credential,
        raw_message=raw_message,
        params=params or {},
        **actor_columns(by),
    )
