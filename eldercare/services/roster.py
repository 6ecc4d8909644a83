"""The coordinators' duty roster: who answers the estate's alarms when.

Shifts are half-open intervals [starts_at, ends_at). The on-duty coordinator is told of an
alarm when it is raised and again when it escalates (with the manager); when nobody is on
duty, every coordinator of the estate is told, so an alarm never goes unheard for want of a
roster (``selectors.alarm_coordinators``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from community.accounts.roles import StaffRole
from community.errors import ServiceError

from ..models import DutyShift
from ..selectors import is_care_staff
from .audit import apply_changes, audit_record
from .catalog import require_coordinator

# Longer than a day and a night is a typing mistake, not a shift.
MAX_SHIFT = dt.timedelta(hours=36)
SHIFT_FIELDS = ["estate", "coordinator", "starts_at", "ends_at", "note"]


def _validate(shift: DutyShift) -> None:
    if shift.ends_at <= shift.starts_at:
        raise ServiceError({"ends_at": [_("The shift ends before it starts.")]})
    if shift.ends_at - shift.starts_at > MAX_SHIFT:
        raise ServiceError({"ends_at": [_("A shift is at most 36 hours.")]})
    if not is_care_staff(shift.coordinator, shift.estate_id, roles=(StaffRole.ELDERCARE_COORDINATOR,)):
        raise ServiceError({"coordinator": [_("This person is not a care coordinator of the estate.")]})
    overlapping = DutyShift.objects.filter(
        estate_id=shift.estate_id,
        coordinator=shift.coordinator,
        starts_at__lt=shift.ends_at,
        ends_at__gt=shift.starts_at,
    ).exclude(pk=shift.pk)
    if overlapping.exists():
        raise ServiceError({"starts_at": [_("This coordinator already has a shift at that time.")]})


@transaction.atomic
def duty_shift_create(
    *, estate, coordinator, starts_at: dt.datetime, ends_at: dt.datetime, note: str = "", by
) -> DutyShift:
    require_coordinator(by, [estate.pk])
    shift = DutyShift(
        estate=estate,
        coordinator=coordinator,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip(),
        created_by=by,
        updated_by=by,
    )
    _validate(shift)
    shift.save()
    audit_record(
        obj=shift,
        action="duty.create",
        by=by,
        estate_ids=[estate.pk],
        changes={
            "coordinator": [None, coordinator.pk],
            "starts_at": [None, str(starts_at)],
            "ends_at": [None, str(ends_at)],
        },
    )
    return shift


@transaction.atomic
def duty_shift_update(*, shift: DutyShift, data: dict, by) -> DutyShift:
    shift = DutyShift.objects.select_for_update().get(pk=shift.pk)
    estate_ids = {shift.estate_id}
    changes = apply_changes(shift, data, SHIFT_FIELDS)
    estate_ids.add(shift.estate_id)
    require_coordinator(by, estate_ids)
    _validate(shift)
    shift.updated_by = by
    shift.save()
    if changes:
        audit_record(obj=shift, action="duty.update", by=by, estate_ids=estate_ids, changes=changes)
    return shift


@transaction.atomic
def duty_shift_remove(*, shift: DutyShift, by) -> None:
    shift = DutyShift.objects.select_for_update().get(pk=shift.pk)
    require_coordinator(by, [shift.estate_id])
    audit_record(
        obj=shift,
        action="duty.remove",
        by=by,
        estate_ids=[shift.estate_id],
        changes={"coordinator": [shift.coordinator_id, None], "starts_at": [str(shift.starts_at), None]},
    )
    shift.delete()
