"""Visitor passes: a resident invites a visitor with a signed QR token, a window and a number
of entries. Entries are counted by ``access_verify`` (``access.services.verify``) when a gate
asks, and by ``visitor_pass_enter`` when a car park lets the pass's plate in; never by stored
events."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError, text_limit, text_too_long
from community.residents.models import Occupancy, Resident, Unit
from community.scoping import my_units

from ..models import AuditAction, RevokeReason, VisitorPass
from .audit import Actor, actor_columns, audit_record

VISITOR_PASS_SALT = "access.visitor-pass"
MAX_PASS_DAYS = 30
MAX_PASS_ENTRIES = 50
# Random bytes in a pass's nonce (12 URL-safe characters): guessing one is hopeless even for
# a known pass id, and the QR code stays small enough for cheap gate scanners.
NONCE_BYTES = 9


def visitor_pass_token(visitor_pass: VisitorPass) -> str:
    """The QR payload: the pass id and a random nonce, signed with the site's secret key."""
    return signing.Signer(salt=VISITOR_PASS_SALT).sign(f"vp.{visitor_pass.pk}.{visitor_pass.nonce}")


def visitor_pass_id_from_token(token: str) -> tuple[int, str] | None:
    """(pass id, nonce) from a QR payload whose signature holds, else None."""
    try:
        value = signing.Signer(salt=VISITOR_PASS_SALT).unsign(token.strip())
    except signing.BadSignature:
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != "vp" or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


@transaction.atomic
def visitor_pass_create(
    *,
    by,
    unit: Unit,
    visitor_name: str,
    visitor_phone: str = "",
    plate: str = "",
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    max_entries: int = 1,
) -> VisitorPass:
    """A pass for a visitor of ``by``'s own home (``by`` is the inviting resident's user)."""
    if not my_units(by).filter(pk=unit.pk).exists():
        raise NotAllowed(_("You can only invite visitors to your own home."))
    visitor_name, visitor_phone, plate = visitor_name.strip(), visitor_phone.strip(), plate.strip().upper()
    errors: dict = {}
    if not visitor_name:
        errors["visitor_name"] = _("Who is visiting?")
    # Over-long input is refused with the model's own limit, never cut short.
    for name, value in (("visitor_name", visitor_name), ("visitor_phone", visitor_phone), ("plate", plate)):
        if too_long := text_too_long(value, text_limit(VisitorPass, name)):
            errors.setdefault(name, too_long)
    if valid_until <= valid_from:
        errors["valid_until"] = _("The end must be after the start.")
    elif valid_until - valid_from > dt.timedelta(days=MAX_PASS_DAYS):
        errors["valid_until"] = _("A pass lasts at most %(days)d days.") % {"days": MAX_PASS_DAYS}
    elif valid_until <= timezone.now():
        errors["valid_until"] = _("The end is already in the past.")
    if not 1 <= max_entries <= MAX_PASS_ENTRIES:
        errors["max_entries"] = _("Between 1 and %(n)d entries.") % {"n": MAX_PASS_ENTRIES}
    if errors:
        raise ServiceError(errors)
    unit = Unit.objects.select_related("building").get(pk=unit.pk)
    return VisitorPass.objects.create(
        estate_id=unit.building.estate_id,
        unit=unit,
        created_by=by,
        visitor_name=visitor_name,
        visitor_phone=visitor_phone,
        plate=plate,
        valid_from=valid_from,
        valid_until=valid_until,
        max_entries=max_entries,
        nonce=secrets.token_urlsafe(NONCE_BYTES),
    )


@transaction.atomic
def visitor_pass_revoke(*, visitor_pass: VisitorPass, by) -> VisitorPass:
    visitor_pass = VisitorPass.objects.select_for_update().get(pk=visitor_pass.pk)
    if not my_units(by).filter(pk=visitor_pass.unit_id).exists():
        raise NotAllowed(_("Only the host household can revoke this pass."))
    if visitor_pass.revoked_at is None:
        visitor_pass.revoked_at = timezone.now()
        visitor_pass.revoked_by = by
        visitor_pass.save(update_fields=["revoked_at", "revoked_by"])
    return visitor_pass


def visitor_passes_revoke_on_move_out(sender=None, *, occupancy: Occupancy, by: Actor, **kwargs) -> int:
    """Signal receiver: the leaver's live visitor passes for that unit are revoked; when nobody
    is left living there, every live pass of the unit is. Recorded as revoked by ``by``, whoever
    ended the occupancy (a user on the pass itself; a system actor in the audit row).

    QR passes are checked by the server at each scan, so their revocation takes effect at every
    gate as soon as it commits. A pass with a plate is also on the car-park cameras' own
    allow-lists: each pass is saved (not bulk-updated) so ``post_save`` reaches the receivers
    that push those lists, as for a pass the household revokes itself.
    """
    now = timezone.now()
    live = VisitorPass.objects.filter(unit_id=occupancy.unit_id, revoked_at__isnull=True, valid_until__gt=now)
    nobody_left = (
        not Occupancy.objects.active().filter(unit_id=occupancy.unit_id).exclude(pk=occupancy.pk).exists()
    )
    leaver_user_id = (
        Resident.objects.filter(pk=occupancy.resident_id).values_list("user_id", flat=True).first()
    )
    if not nobody_left:
        if leaver_user_id is None:
            return 0
        live = live.filter(created_by_id=leaver_user_id)
    passes = list(live.select_for_update().order_by("pk"))
    if not passes:
        return 0
    user = actor_columns(by)["by_user"]
    for visitor_pass in passes:
        visitor_pass.revoked_at, visitor_pass.revoked_by = now, user
        visitor_pass.save(update_fields=["revoked_at", "revoked_by"])
    revoked = [p.pk for p in passes]
    audit_record(
        action=AuditAction.VISITOR_PASSES_REVOKED,
        by=by,
        estate_id=VisitorPass.objects.filter(pk=revoked[0]).values_list("estate_id", flat=True).get(),
        params={"reason": RevokeReason.MOVE_OUT, "unit": occupancy.unit_id, "passes": revoked},
    )
    return len(revoked)


def visitor_pass_enter(*, visitor_pass_id: int, by: Actor) -> bool:
    """Use one entry of a pass (a car park let its plate in). One conditional UPDATE: of two
    entries racing for the last one, exactly one gets True. The caller records the entry with
    its actor (parking keeps the pass id in the stay's decisions); ``by`` is checked here."""
    actor_columns(by)
    return bool(
        VisitorPass.objects.filter(pk=visitor_pass_id, entries_used__lt=F("max_entries")).update(
            entries_used=F("entries_used") + 1
        )
    )
