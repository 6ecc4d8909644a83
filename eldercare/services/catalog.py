"""Staff writes to the catalog: care stations, their service items, subsidy policies and the
per-estate eldercare settings. Each is checked against the model's own rules (``full_clean``),
allowed only to the coordinators and managers of every estate it touches, and audited with
``by`` and the fields that changed."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError

from ..models import CareSettings, CareStation, ServiceItem, SubsidyPolicy
from ..selectors import COORDINATOR_ROLES, is_care_staff
from .audit import apply_changes, audit_record

STATION_FIELDS = ["name", "phone", "latitude", "longitude"]
ITEM_FIELDS = [
    "station",
    "name",
    "category",
    "unit",
    "price",
    "duration_minutes",
    "min_minutes",
    "eligible_levels",
    "needs_assessment",
    "meal_cutoff_hours",
    "active",
]
POLICY_FIELDS = [
    "estate",
    "name",
    "elder_category",
    "min_level",
    "max_level",
    "kind",
    "monthly_amount",
    "percent",
    "valid_from",
    "valid_until",
]
SETTINGS_FIELDS = ["alarm_escalate_after", "wellbeing_quiet_hours", "late_after_minutes", "check_in_radius_m"]


def require_coordinator(by, estate_ids) -> None:
    estate_ids = list(estate_ids)
    if not estate_ids or not all(is_care_staff(by, e, roles=COORDINATOR_ROLES) for e in estate_ids):
        raise NotAllowed(_("Only the coordinators and managers of every estate concerned may do this."))


def _station_estate_ids(station: CareStation) -> list[int]:
    return list(station.estates.values_list("pk", flat=True))


@transaction.atomic
def station_create(*, data: dict, by) -> CareStation:
    estates = list(data.get("estates") or [])
    require_coordinator(by, [e.pk for e in estates])
    station = CareStation()
    apply_changes(station, data, STATION_FIELDS)
    station.full_clean()
    station.save()
    station.estates.set(estates)
    audit_record(
        obj=station,
        action="station.create",
        by=by,
        estate_ids=[e.pk for e in estates],
        changes={"estates": [None, sorted(e.pk for e in estates)]},
    )
    return station


@transaction.atomic
def station_update(*, station: CareStation, data: dict, by) -> CareStation:
    station = CareStation.objects.select_for_update().get(pk=station.pk)
    before = _station_estate_ids(station)
    require_coordinator(by, before)
    changes = apply_changes(station, data, STATION_FIELDS)
    if "estates" in data:
        after = sorted(e.pk for e in data["estates"])
        # Adding or removing an estate needs the role in that estate as well.
        require_coordinator(by, set(after) ^ set(before) or before)
        if not after:
            raise ServiceError({"estates": [_("A station serves at least one estate.")]})
        if after != sorted(before):
            changes["estates"] = [sorted(before), after]
            station.estates.set(after)
    station.full_clean()
    station.save()
    if changes:
        audit_record(
            obj=station,
            action="station.update",
            by=by,
            estate_ids=set(before) | set(_station_estate_ids(station)),
            changes=changes,
        )
    return station


@transaction.atomic
def service_item_create(*, data: dict, by) -> ServiceItem:
    station = data["station"]
    require_coordinator(by, _station_estate_ids(station))
    item = ServiceItem()
    changes = apply_changes(item, data, ITEM_FIELDS)
    item.full_clean()
    item.save()
    audit_record(
        obj=item, action="item.create", by=by, estate_ids=_station_estate_ids(station), changes=changes
    )
    return item


@transaction.atomic
def service_item_update(*, item: ServiceItem, data: dict, by) -> ServiceItem:
    item = ServiceItem.objects.select_for_update().select_related("station").get(pk=item.pk)
    estate_ids = set(_station_estate_ids(item.station))
    require_coordinator(by, estate_ids)
    changes = apply_changes(item, data, ITEM_FIELDS)
    if "station" in changes:
        estate_ids |= set(_station_estate_ids(item.station))
        require_coordinator(by, estate_ids)
    item.full_clean()
    item.save()
    if changes:
        audit_record(obj=item, action="item.update", by=by, estate_ids=estate_ids, changes=changes)
    return item


@transaction.atomic
def subsidy_policy_create(*, data: dict, by) -> SubsidyPolicy:
    require_coordinator(by, [data["estate"].pk])
    policy = SubsidyPolicy()
    changes = apply_changes(policy, data, POLICY_FIELDS)
    policy.full_clean()
    _check_policy(policy)
    policy.save()
    audit_record(obj=policy, action="policy.create", by=by, estate_ids=[policy.estate_id], changes=changes)
    return policy


@transaction.atomic
def subsidy_policy_update(*, policy: SubsidyPolicy, data: dict, by) -> SubsidyPolicy:
    policy = SubsidyPolicy.objects.select_for_update().get(pk=policy.pk)
    estate_ids = {policy.estate_id}
    require_coordinator(by, estate_ids)
    changes = apply_changes(policy, data, POLICY_FIELDS)
    estate_ids.add(policy.estate_id)
    require_coordinator(by, estate_ids)
    policy.full_clean()
    _check_policy(policy)
    policy.save()
    if changes:
        audit_record(obj=policy, action="policy.update", by=by, estate_ids=estate_ids, changes=changes)
    return policy


def _check_policy(policy: SubsidyPolicy) -> None:
    if policy.min_level > policy.max_level:
        raise ServiceError({"max_level": [_("The upper level is below the lower one.")]})
    if policy.max_level > 4:
        raise ServiceError({"max_level": [_("Ability levels go from 0 to 4.")]})
    if policy.valid_until is not None and policy.valid_until < policy.valid_from:
        raise ServiceError({"valid_until": [_("The end comes before the start.")]})


@transaction.atomic
def care_settings_save(*, estate, data: dict, by) -> CareSettings:
    """Create or change the estate's eldercare settings (one row per estate)."""
    require_coordinator(by, [estate.pk])
    found = CareSettings.objects.select_for_update().filter(estate=estate).first()
    row = found or CareSettings(estate=estate)
    changes = apply_changes(row, data, SETTINGS_FIELDS)
    row.full_clean()
    row.save()
    if changes or found is None:
        audit_record(
            obj=row,
            action="settings.update" if found else "settings.create",
            by=by,
            estate_ids=[estate.pk],
            changes=changes,
        )
    return row
