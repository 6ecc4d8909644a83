"""Audited look-ups of one person's movements (PIPL): who looked, at whom, and why."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from community.accounts.roles import StaffRole
from community.errors import NotAllowed, ServiceError, text_within
from community.residents.models import Resident
from community.scoping import staff_can_access_estate

from ..models import MovementLookup


@transaction.atomic
def movement_lookup_record(*, by, resident: Resident, reason: str) -> MovementLookup:
    """Managers only: record that ``by`` looked at ``resident``'s movements, and why."""
    if not staff_can_access_estate(by, resident.estate_id, roles=(StaffRole.MANAGER,)):
        raise NotAllowed(_("Only the estate's managers may look up one person's movements."))
    reason = text_within(reason, MovementLookup, "reason")
    if not reason:
        raise ServiceError({"reason": _("Say why you need this person's movement history.")})
    return MovementLookup.objects.create(
        estate_id=resident.estate_id, user=by, resident=resident, reason=reason
    )
