"""Elders: profiles, consent per data category, contacts and ability assessments.

Health data is sensitive personal information (PIPL Art. 28): an assessment is stored only
with the elder's (or guardian's) consent to health data.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError
from community.residents.models import Resident

from ..assessment import PART_MAXIMA, ability_level, preliminary_level
from ..models import (
    AbilityAssessment,
    AssessmentReason,
    Consent,
    ConsentCategory,
    ConsentGiver,
    ElderProfile,
    EmergencyContact,
)
from ..selectors import consent_given, is_care_staff

# GB/T 42195-2022: a routine re-assessment every 12 months.
REASSESS_AFTER = dt.timedelta(days=365)


def _require_care_staff(by, estate_id: int) -> None:
    if not is_care_staff(by, estate_id):
        raise NotAllowed(_("Only the estate's care staff may do this."))


@transaction.atomic
def elder_profile_create(
    *,
    resident: Resident,
    birth_date: dt.date,
    lives_alone: bool = False,
    category: str = "regular",
    care_notes: str = "",
    by,
) -> ElderProfile:
    _require_care_staff(by, resident.estate_id)
    if ElderProfile.objects.filter(resident=resident).exists():
        raise ServiceError(_("This resident already has an elder profile."))
    return ElderProfile.objects.create(
        estate_id=resident.estate_id,
        resident=resident,
        birth_date=birth_date,
        lives_alone=lives_alone,
        category=category,
        care_notes=care_notes,
    )


@transaction.atomic
def contact_add(
    *,
    elder: ElderProfile,
    name: str,
    phone: str = "",
    resident: Resident | None = None,
    relation: str = "",
    by,
) -> EmergencyContact:
    _require_care_staff(by, elder.estate_id)
    if resident is None and not phone.strip():
        raise ServiceError({"phone": [_("Give a phone number or pick a resident.")]})
    priority = elder.contacts.count() + 1
    return EmergencyContact.objects.create(
        elder=elder, resident=resident, name=name, phone=phone.strip(), relation=relation, priority=priority
    )


@transaction.atomic
def consent_record(
    *, elder: ElderProfile, category: str, granted: bool, given_by: str, guardian_name: str = "", by
) -> Consent:
    """Record the elder's (or guardian's) choice for one data category; the latest one counts."""
    _require_care_staff(by, elder.estate_id)
    if category not in ConsentCategory.values:
        raise ServiceError({"category": [_("Unknown data category.")]})
    if given_by not in ConsentGiver.values:
        raise ServiceError({"given_by": [_("Say who gave the consent.")]})
    if given_by == ConsentGiver.GUARDIAN and not guardian_name.strip():
        raise ServiceError({"guardian_name": [_("Name the guardian who gave the consent.")]})
    return Consent.objects.create(
        elder=elder,
        category=category,
        granted=granted,
        given_by=given_by,
        guardian_name=guardian_name.strip(),
        recorded_by=by,
    )


@transaction.atomic
def assessment_record(
    *,
    elder: ElderProfile,
    self_care: int,
    mobility: int,
    mental_state: int,
    perception_social: int,
    reason: str,
    assessed_on: dt.date,
    coma: bool = False,
    dementia: bool = False,
    mental_disorder: bool = False,
    risk_events_30d: int = 0,
    by,
) -> AbilityAssessment:
    _require_care_staff(by, elder.estate_id)
    if not consent_given(elder, ConsentCategory.HEALTH):
        raise ServiceError(
            _("The elder (or a guardian) has not consented to health data; the assessment cannot be stored."),
            code="no_consent",
        )
    parts = {
        "self_care": self_care,
        "mobility": mobility,
        "mental_state": mental_state,
        "perception_social": perception_social,
    }
    errors = {
        name: [_("Between 0 and %(max)d.") % {"max": PART_MAXIMA[name]}]
        for name, value in parts.items()
        if not 0 <= value <= PART_MAXIMA[name]
    }
    if risk_events_30d < 0:
        errors["risk_events_30d"] = [_("Cannot be negative.")]
    if reason not in AssessmentReason.values:
        errors["reason"] = [_("Give the reason for the assessment.")]
    if errors:
        raise ServiceError(errors)
    total = sum(parts.values())
    return AbilityAssessment.objects.create(
        elder=elder,
        **parts,
        coma=coma,
        dementia=dementia,
        mental_disorder=mental_disorder,
        risk_events_30d=risk_events_30d,
        preliminary_level=preliminary_level(total),
        level=ability_level(
            total,
            coma=coma,
            dementia=dementia,
            mental_disorder=mental_disorder,
            risk_events_30d=risk_events_30d,
        ),
        reason=reason,
        assessor=by,
        assessed_on=assessed_on,
        next_due_on=assessed_on + REASSESS_AFTER,
    )


@transaction.atomic
def door_code_rotate(*, elder: ElderProfile, by) -> ElderProfile:
    """A lost card: new codes from today; the printed card stops working."""
    from ..models import _new_salt

    _require_care_staff(by, elder.estate_id)
    elder.door_code_salt = _new_salt()
    elder.save(update_fields=["door_code_salt"])
    return elder


ELDER_EDITABLE = ("birth_date", "lives_alone", "category", "home_latitude", "home_longitude", "care_notes")


@transaction.atomic
def elder_profile_update(*, elder: ElderProfile, data: dict, by) -> ElderProfile:
    _require_care_staff(by, elder.estate_id)
    for name in ELDER_EDITABLE:
        if name in data:
            setattr(elder, name, data[name])
    elder.save(update_fields=[n for n in ELDER_EDITABLE if n in data])
    if "devices" in data:
        elder.devices.set([d for d in data["devices"] if d.estate_id == elder.estate_id])
    return elder
