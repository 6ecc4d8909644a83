"""Vehicles, permits, fee rules and car-park set-up: the records decisions are made from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.accounts.roles import StaffRole
from community.errors import AlreadyDone, NotAllowed, ServiceError
from community.residents.models import Resident
from community.scoping import my_units, staff_can_access_estate

from ..common import actor_label, allowlists_sync_soon
from ..fees import to_fen
from ..models import FeeRule, Lane, Lot, Permit, PermitKind, PlateColour, Space, Vehicle
from ..payments import permit_charge
from ..plates import is_valid_plate, normalise_plate

OFFICE_ROLES = (StaffRole.MANAGER, StaffRole.FRONT_DESK)
MAX_VEHICLES_PER_RESIDENT = 5


def _require_office(user, estate_id: int, roles=OFFICE_ROLES) -> None:
    if not getattr(user, "is_staff", False) or not staff_can_access_estate(user, estate_id, roles=roles):
        raise NotAllowed(_("Only the estate's office may do this."))


def clean_plate(raw: str, field: str = "plate") -> str:
    plate = normalise_plate(raw or "")
    if not is_valid_plate(plate):
        raise ServiceError(
            {
                field: [
                    _(
                        "“%(plate)s” is not a plate: a province character, a letter and 5 characters (6 for new energy)."
                    )
                    % {"plate": raw}
                ]
            },
            code="bad_plate",
        )
    return plate


def _colour_for(plate: str, colour: str) -> str:
    if colour in PlateColour.values:
        return colour
    return PlateColour.GREEN if len(plate) == 8 else PlateColour.BLUE


# --- vehicles ---------------------------------------------------------------------------------------


def vehicle_register(*, owner: Resident, plate: str, colour: str = "", by) -> Vehicle:
    """A resident registers a car of their household; it waits for the office's approval."""
    if getattr(by, "is_staff", False):
        _require_office(by, owner.estate_id)
    elif (
        owner.user_id != getattr(by, "pk", None)
        or not my_units(by).filter(building__estate_id=owner.estate_id).exists()
    ):
        raise NotAllowed(_("You can register cars for yourself only, in an estate where you live."))
    plate = clean_plate(plate)
    if Vehicle.objects.filter(owner=owner).count() >= MAX_VEHICLES_PER_RESIDENT:
        raise ServiceError(
            _("At most %(n)d cars per person.") % {"n": MAX_VEHICLES_PER_RESIDENT}, code="too_many"
        )
    try:
        with transaction.atomic():
            return Vehicle.objects.create(
                estate_id=owner.estate_id,
                plate=plate,
                colour=_colour_for(plate, colour),
                owner=owner,
                approved=False,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise AlreadyDone(
            {"plate": [_("%(plate)s is already registered here.") % {"plate": plate}]}, code="plate_taken"
        ) from None


def vehicle_approve(*, vehicle: Vehicle, by, space: Space | None = None) -> Vehicle:
    _require_office(by, vehicle.estate_id)
    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        if space is not None:
            if space.lot.estate_id != vehicle.estate_id:
                raise ServiceError({"space": [_("That space is in another estate.")]})
            vehicle.space = space
        vehicle.approved = True
        vehicle.approved_by = by
        vehicle.save(update_fields=["approved", "approved_by", "space"])
        allowlists_sync_soon(vehicle.estate_id)
    return vehicle


def vehicle_save(*, instance: Vehicle, by) -> Vehicle:
    """Office edits (admin, import): plate normalised and validated, estate checked."""
    _require_office(by, instance.estate_id)
    instance.plate = clean_plate(instance.plate)
    instance.colour = _colour_for(instance.plate, instance.colour)
    if instance.owner_id and instance.owner.estate_id != instance.estate_id:
        raise ServiceError({"owner": [_("The owner lives in another estate.")]})
    if instance.space_id and instance.space.lot.estate_id != instance.estate_id:
        raise ServiceError({"space": [_("That space is in another estate.")]})
    if instance.approved and instance.approved_by_id is None:
        instance.approved_by = by
    try:
        with transaction.atomic():
            instance.save()
            allowlists_sync_soon(instance.estate_id)
    except IntegrityError:
        raise AlreadyDone(
            {"plate": [_("%(plate)s is already registered here.") % {"plate": instance.plate}]},
            code="plate_taken",
        ) from None
    return instance


# --- permits ----------------------------------------------------------------------------------------


PERMIT_LENGTH = {PermitKind.MONTHLY: dt.timedelta(days=30), PermitKind.YEARLY: dt.timedelta(days=365)}


def permit_create(
    *,
    vehicle: Vehicle,
    lot: Lot,
    kind: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None = None,
    price: Decimal = Decimal("0"),
    by,
) -> Permit:
    _require_office(by, lot.estate_id)
    if vehicle.estate_id != lot.estate_id:
        raise ServiceError({"vehicle": [_("The car is registered in another estate.")]})
    if kind not in PermitKind.values:
        raise ServiceError({"kind": [_("Unknown permit kind.")]})
    if valid_until is None:
        if kind not in PERMIT_LENGTH:
            raise ServiceError({"valid_until": [_("Say until when.")]})
        valid_until = valid_from + PERMIT_LENGTH[kind]
    if valid_until <= valid_from:
        raise ServiceError({"valid_until": [_("The end must be after the start.")]})
    price = to_fen(Decimal(price))
    if price < 0:
        raise ServiceError({"price": [_("A price is not negative.")]})
    with transaction.atomic():
        permit = Permit.objects.create(
            vehicle=vehicle,
            lot=lot,
            kind=kind,
            valid_from=valid_from,
            valid_until=valid_until,
            price=price,
            created_by=actor_label(by),
        )
        if price > 0:
            permit_charge(permit=permit, by=by)
        allowlists_sync_soon(lot.estate_id)
    return permit


def permit_revoke(*, permit: Permit, by) -> Permit:
    _require_office(by, permit.lot.estate_id)
    with transaction.atomic():
        permit = Permit.objects.select_for_update().get(pk=permit.pk)
        if permit.revoked_at is None:
            permit.revoked_at = timezone.now()
            permit.save(update_fields=["revoked_at"])
            allowlists_sync_soon(permit.lot.estate_id)
    return permit


# --- fee rules --------------------------------------------------------------------------------------


def fee_rule_publish(
    *,
    lot: Lot,
    price_per_unit: Decimal,
    effective_from: dt.datetime | None = None,
    free_minutes: int = 15,
    unit_minutes: int = 60,
    daily_cap: Decimal | None = None,
    night_start: dt.time | None = None,
    night_end: dt.time | None = None,
    night_price_per_unit: Decimal | None = None,
    by,
) -> FeeRule:
    """A new version of the lot's tariff. Sessions already inside keep theirs."""
    _require_office(by, lot.estate_id, roles=(StaffRole.MANAGER,))
    errors = {}
    if unit_minutes < 1:
        errors["unit_minutes"] = [_("At least one minute.")]
    if Decimal(price_per_unit) < 0:
        errors["price_per_unit"] = [_("A price is not negative.")]
    if daily_cap is not None and Decimal(daily_cap) < 0:
        errors["daily_cap"] = [_("A cap is not negative.")]
    night = (night_start, night_end, night_price_per_unit)
    if any(v is not None for v in night) and not all(v is not None for v in night):
        errors["night_price_per_unit"] = [_("A night window needs its start, its end and its price.")]
    if errors:
        raise ServiceError(errors)
    with transaction.atomic():
        Lot.objects.select_for_update().filter(pk=lot.pk).first()
        last = (
            FeeRule.objects.filter(lot=lot).order_by("-version").values_list("version", flat=True).first()
            or 0
        )
        return FeeRule.objects.create(
            lot=lot,
            version=last + 1,
            effective_from=effective_from or timezone.now(),
            free_minutes=free_minutes,
            unit_minutes=unit_minutes,
            price_per_unit=to_fen(Decimal(price_per_unit)),
            daily_cap=to_fen(Decimal(daily_cap)) if daily_cap is not None else None,
            night_start=night_start,
            night_end=night_end,
            night_price_per_unit=to_fen(Decimal(night_price_per_unit))
            if night_price_per_unit is not None
            else None,
            time_zone=lot.estate.time_zone,
            created_by=actor_label(by),
        )


# --- set-up (lots, lanes, spaces) ---------------------------------------------------------------------


def setup_save(*, instance, by):
    """Lots, lanes and spaces as the office edits them: validated, estate-checked, saved."""
    estate_id = instance.estate_id if isinstance(instance, Lot) else instance.lot.estate_id
    _require_office(by, estate_id, roles=(StaffRole.MANAGER,))
    if isinstance(instance, Lot) and instance.parent_id and instance.parent.estate_id != instance.estate_id:
        raise ServiceError({"parent": [_("The outer lot is in another estate.")]})
    if isinstance(instance, Lane) and instance.device.estate_id != estate_id:
        raise ServiceError({"device": [_("That camera is in another estate.")]})
    if isinstance(instance, Space) and instance.unit_id and instance.unit.building.estate_id != estate_id:
        raise ServiceError({"unit": [_("That unit is in another estate.")]})
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ServiceError(exc.message_dict) from None
    instance.save()
    return instance
