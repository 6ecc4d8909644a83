"""Typed corrections of the frozen roll, each with a reason and (for most) evidence.

No correction shrinks the base except "this unit is not an exclusive part": merging two entries
keeps their area (one head fewer only because one owner set was counted twice); removing a
person who is not an owner leaves the unit as "owner unknown". Identity corrections stay
possible until the end of counting; area corrections and removals end at the scheduled opening.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError, TransitionRefused
from community.residents.models import Occupancy, Resident

from ..models import (
    DOCUMENTED_CORRECTIONS,
    IDENTITY_CORRECTIONS,
    Meeting,
    RollCorrection,
    RollCorrectionKind,
    RollEntry,
    RollUnit,
)
from ..transitions import IDENTITY_CORRECTION_STATUSES, MeetingStatus
from .common import lock, require_permission
from .roll import CENT, OWNER_ROLES, roll_digest_compute


def _check_window(meeting: Meeting, kind: str, now: dt.datetime) -> None:
    """Identity corrections: until the end of counting. Area and removals: until the scheduled
    opening (the status moves only when the clock job runs; the schedule is what owners rely on)."""
    if kind in IDENTITY_CORRECTIONS:
        if meeting.status not in IDENTITY_CORRECTION_STATUSES:
            raise TransitionRefused(
                _("Owners can be corrected from the notice until the end of counting."), code="roll_closed"
            )
        return
    if meeting.status != MeetingStatus.NOTICED or now >= meeting.voting_opens_at:
        raise TransitionRefused(
            _("Areas and units can be corrected only after the notice and before voting opens."),
            code="roll_closed",
        )


def _owns_unit_of(resident: Resident, entry: RollEntry, on: dt.date) -> bool:
    units = RollUnit.objects.filter(roll_entry=entry).values("unit_id")
    return (
        Occupancy.objects.active(on)
        .filter(resident=resident, unit_id__in=units, role__in=OWNER_ROLES)
        .exists()
    )


def _recompute_area(entry: RollEntry) -> None:
    units = RollUnit.objects.filter(roll_entry=entry, not_exclusive_part=False)
    entry.area = sum((u.area for u in units), Decimal(0))
    entry.excluded = not units.exists()
    entry.save(update_fields=["area", "excluded"])


@transaction.atomic
def roll_correct(
    *,
    roll_entry: RollEntry,
    kind: str,
    reason: str,
    by,
    document=None,
    roll_unit: RollUnit | None = None,
    area: Decimal | None = None,
    resident: Resident | None = None,
    other_entry: RollEntry | None = None,
    now: dt.datetime | None = None,
) -> RollCorrection:
    """Correct the frozen roll with a typed correction, a reason and (for most) a document."""
    now = now or timezone.now()
    require_permission(by, roll_entry.meeting.estate_id, "voting.add_rollcorrection")
    meeting = lock(roll_entry.meeting)
    if kind not in RollCorrectionKind.values:
        raise ServiceError({"kind": [_("Unknown correction.")]})
    _check_window(meeting, kind, now)
    if not (reason or "").strip():
        raise ServiceError({"reason": [_("Give the reason for the correction.")]})
    if kind in DOCUMENTED_CORRECTIONS and not document:
        raise ServiceError({"document": [_("Upload the evidence for this correction.")]})
    entry = RollEntry.objects.select_for_update().get(pk=roll_entry.pk)
    if kind == RollCorrectionKind.AREA:
        before, after = _correct_area(entry, roll_unit, area)
    elif kind == RollCorrectionKind.NOT_EXCLUSIVE_PART:
        before, after = _correct_not_exclusive(entry, roll_unit)
    elif kind == RollCorrectionKind.MERGE:
        before, after = _correct_merge(meeting, entry, other_entry)
    else:
        before, after = _correct_member(meeting, entry, kind, resident, timezone.localtime(now).date())
    meeting.roll_digest = roll_digest_compute(meeting)
    meeting.save(update_fields=["roll_digest"])
    correction = RollCorrection(
        meeting=meeting, roll_entry=entry, kind=kind, reason=reason.strip(), before=before, after=after, by=by
    )
    if document:
        correction.document = document
        correction.full_clean(exclude=["meeting", "roll_entry", "by"])
    correction.save()
    return correction


def _locked_unit(entry: RollEntry, roll_unit: RollUnit | None) -> RollUnit:
    if roll_unit is None or roll_unit.roll_entry_id != entry.pk:
        raise ServiceError({"roll_unit": [_("Choose one of this entry's units.")]})
    # The caller's instance may be stale (an earlier correction): read the stored row.
    return RollUnit.objects.select_for_update().get(pk=roll_unit.pk)


def _correct_area(entry, roll_unit, area):
    unit = _locked_unit(entry, roll_unit)
    if area is None or Decimal(area) < 0:
        raise ServiceError({"area": [_("Give the corrected area (0 or more).")]})
    area = Decimal(area).quantize(CENT)
    before = {"unit": unit.label, "area": str(unit.area)}
    RollUnit.objects.filter(pk=unit.pk).update(area=area)
    _recompute_area(entry)
    return before, {"unit": unit.label, "area": str(area)}


def _correct_not_exclusive(entry, roll_unit):
    unit = _locked_unit(entry, roll_unit)
    if unit.not_exclusive_part:
        raise ServiceError({"roll_unit": [_("This unit is already removed.")]})
    RollUnit.objects.filter(pk=unit.pk).update(not_exclusive_part=True)
    _recompute_area(entry)
    return (
        {"unit": unit.label, "area": str(unit.area), "exclusive": True},
        {"unit": unit.label, "area": str(unit.area), "exclusive": False},
    )


def _correct_merge(meeting, entry, other):
    """Two entries found to be the same owner set: one head, all the area (nothing leaves the base)."""
    if other is None or other.meeting_id != meeting.pk or other.pk == entry.pk:
        raise ServiceError({"other_entry": [_("Choose another entry of this meeting's roll.")]})
    other = RollEntry.objects.select_for_update().get(pk=other.pk)
    if entry.is_developer != other.is_developer:
        raise ServiceError({"other_entry": [_("The developer's entry merges only with the developer's.")]})
    if other.ballots.exists() or other.paper_ballots.exists():
        raise ServiceError(
            {"other_entry": [_("The entry to merge away already has ballots; merge the other way.")]}
        )
    before = {"entries": [entry.pk, other.pk], "units": sorted(other.units.values_list("label", flat=True))}
    RollUnit.objects.filter(roll_entry=other).update(roll_entry=entry)
    entry.members.add(*other.members.all())
    other.members.clear()
    _recompute_area(entry)
    # The merged-away entry keeps its row (corrections and proxies point at it) but no unit.
    _recompute_area(other)
    return before, {"entries": [entry.pk], "area": str(entry.area)}


def _correct_member(meeting, entry, kind, resident, on):
    if resident is None or resident.estate_id != meeting.estate_id:
        raise ServiceError({"resident": [_("Choose a resident of this estate.")]})
    current = sorted(entry.members.values_list("pk", flat=True))
    if kind == RollCorrectionKind.ADD_MEMBER:
        if resident.pk in current:
            raise ServiceError({"resident": [_("This resident is already in this entry.")]})
        if not _owns_unit_of(resident, entry, on):
            raise ServiceError(
                {"resident": [_("This resident is not recorded as an owner of a unit in this entry.")]}
            )
        entry.members.add(resident)
    else:
        if resident.pk not in current:
            raise ServiceError({"resident": [_("This resident is not in this entry.")]})
        # The unit stays on the roll: with no member left the entry is "owner unknown".
        entry.members.remove(resident)
    return {"members": current}, {"members": sorted(entry.members.values_list("pk", flat=True))}
