"""Set-up of what an estate charges: items, tariff versions, assignments to payers, and the
late-fee (违约金) terms of its service contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import ServiceError

from .. import calc
from ..models import (
    Assignment,
    Basis,
    ChargeItem,
    HouseholdAccount,
    HouseholdAccountUnit,
    ItemType,
    LateFeePolicy,
    Tariff,
)
from ._common import actor_label


def _same_estate(unit, estate) -> bool:
    return unit.building.estate_id == estate.pk


def charge_item_create(
    *,
    estate,
    name: str,
    item_type: str,
    basis: str,
    cycle: str = "month",
    prepaid: bool = False,
    due_days: int = 30,
    vacancy_rate: Decimal = Decimal("1.000"),
    payable_from_prepaid: bool = True,
    prepay_discount_rate: Decimal = Decimal("0.000"),
    shared_meter=None,
    share_by: str = "area",
    reading_window_days: int = 0,
    by,
) -> ChargeItem:
    actor_label(by)
    if shared_meter is not None and (
        basis != Basis.SHARED or shared_meter.unit_id is not None or shared_meter.estate_id != estate.pk
    ):
        raise ServiceError(
            {
                "shared_meter": [
                    _(
                        "A shared meter belongs to no unit, is in the item's estate, and needs the shared basis."
                    )
                ]
            }
        )
    if share_by not in ("area", "sub_meter"):
        raise ServiceError({"share_by": [_("Split by area or by sub-meter use.")]})
    if not 0 <= int(reading_window_days) <= 15:
        raise ServiceError({"reading_window_days": [_("The reading window is 0 to 15 days.")]})
    name = name.strip()
    if not name:
        raise ServiceError({"name": [_("Give the item a name.")]})
    if item_type not in ItemType.values:
        raise ServiceError({"item_type": [_("Unknown charge type.")]})
    if basis not in Basis.values:
        raise ServiceError({"basis": [_("Unknown basis.")]})
    if cycle not in calc.MONTHS_IN:
        raise ServiceError({"cycle": [_("Unknown billing cycle.")]})
    with transaction.atomic():
        if ChargeItem.objects.filter(estate=estate, name=name).exists():
            raise ServiceError(
                {"name": [_("This estate already has an item with this name.")]}, code="duplicate"
            )
        return ChargeItem.objects.create(
            estate=estate,
            name=name,
            item_type=item_type,
            basis=basis,
            cycle=cycle,
            prepaid=prepaid,
            due_days=due_days,
            vacancy_rate=vacancy_rate,
            payable_from_prepaid=payable_from_prepaid,
            prepay_discount_rate=prepay_discount_rate,
            shared_meter=shared_meter,
            share_by=share_by,
            reading_window_days=reading_window_days,
        )


def tariff_create(*, item: ChargeItem, unit_price: Decimal, effective_from: dt.date, by) -> Tariff:
    actor_label(by)
    if isinstance(unit_price, float) or Decimal(str(unit_price)) < 0:
        raise ServiceError({"unit_price": [_("A unit price is a decimal, not negative.")]})
    with transaction.atomic():
        if Tariff.objects.filter(item=item, effective_from=effective_from).exists():
            raise ServiceError(
                {"effective_from": [_("A tariff already starts on this day.")]}, code="duplicate"
            )
        return Tariff.objects.create(
            item=item, unit_price=Decimal(str(unit_price)), effective_from=effective_from
        )


def household_account_create(*, estate, name: str, units, by) -> HouseholdAccount:
    """A household account paying for ``units`` together; a unit is in at most one account.

    The account starts with a balance of zero: each unit keeps its own prepaid balance, which
    still pays that unit's own bills. The money was paid for the unit (perhaps by an earlier
    owner or tenant) and moving it silently would move money between payers; staff move it,
    when asked, with ``prepaid_transfer`` (audited, with a reason).
    """
    actor = actor_label(by)
    name, units = (name or "").strip(), list(units)
    if not name:
        raise ServiceError({"name": [_("Give the account a name.")]})
    if not units:
        raise ServiceError({"units": [_("An account pays for at least one unit.")]})
    if any(not _same_estate(unit, estate) for unit in units):
        raise ServiceError({"units": [_("The units are not all in this estate.")]}, code="other_estate")
    with transaction.atomic():
        taken = HouseholdAccountUnit.objects.filter(unit__in=units).select_related("unit")
        if taken:
            raise ServiceError(
                {
                    "units": [
                        _("Already in another account: %(units)s.")
                        % {"units": ", ".join(str(t.unit) for t in taken)}
                    ]
                },
                code="taken",
            )
        account = HouseholdAccount.objects.create(estate=estate, name=name, created_by=actor)
        HouseholdAccountUnit.objects.bulk_create(
            [HouseholdAccountUnit(account=account, unit=unit) for unit in units]
        )
        return account


def assignment_create(
    *,
    item: ChargeItem,
    unit=None,
    account: HouseholdAccount | None = None,
    start_date: dt.date,
    end_date: dt.date | None = None,
    vacant: bool = False,
    by,
) -> Assignment:
    """Charge ``item`` to a unit or to a household account (exactly one of them)."""
    actor_label(by)
    if (unit is None) == (account is None):
        raise ServiceError(_("Charge the item to a unit or to a household account."), code="one_payer")
    if unit is not None and not _same_estate(unit, item.estate):
        raise ServiceError({"unit": [_("The unit is not in the item's estate.")]}, code="other_estate")
    if account is not None and account.estate_id != item.estate_id:
        raise ServiceError({"account": [_("The account is not in the item's estate.")]}, code="other_estate")
    if end_date is not None and end_date <= start_date:
        raise ServiceError({"end_date": [_("The end date must be after the start date.")]})
    payer = {"unit": unit} if unit is not None else {"account": account}
    with transaction.atomic():
        overlapping = Assignment.objects.filter(
            item=item, start_date__lt=end_date or dt.date.max, **payer
        ).exclude(end_date__lte=start_date)
        if overlapping.exists():
            raise ServiceError(_("This payer already has this item for part of that time."), code="overlap")
        return Assignment.objects.create(
            item=item, start_date=start_date, end_date=end_date, vacant=vacant, **payer
        )


def charge_item_update(*, item: ChargeItem, active: bool, payable_from_prepaid: bool, by) -> ChargeItem:
    """What may change on an item that has billed: whether it still bills, and what pays it."""
    actor_label(by)
    with transaction.atomic():
        locked = ChargeItem.objects.select_for_update().get(pk=item.pk)
        locked.active, locked.payable_from_prepaid = active, payable_from_prepaid
        locked.save(update_fields=["active", "payable_from_prepaid"])
        return locked


def assignment_update(*, assignment: Assignment, end_date: dt.date | None, vacant: bool, by) -> Assignment:
    """End an assignment (the first day no longer charged) or mark the unit vacant; bills
    already issued stay as they are."""
    actor_label(by)
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if end_date is not None and end_date <= locked.start_date:
            raise ServiceError({"end_date": [_("The end date must be after the start date.")]})
        locked.end_date, locked.vacant = end_date, vacant
        locked.save(update_fields=["end_date", "vacant"])
        return locked


def late_fee_policy_save(
    *, estate, contract_clause, clause_reference: str, daily_rate: Decimal, grace_days: int, by
) -> LateFeePolicy:
    """The estate's 违约金 terms, only with the contract clause that provides them."""
    actor_label(by)
    if not contract_clause:
        raise ServiceError({"contract_clause": [_("Upload the service contract's late-fee clause.")]})
    if not (clause_reference or "").strip():
        raise ServiceError({"clause_reference": [_("Say which clause of the contract it is.")]})
    with transaction.atomic():
        policy = LateFeePolicy.objects.select_for_update().filter(estate=estate).first() or LateFeePolicy(
            estate=estate
        )
        policy.contract_clause = contract_clause
        policy.clause_reference = clause_reference.strip()
        policy.daily_rate = daily_rate
        policy.grace_days = grace_days
        policy.full_clean()
        policy.save()
        return policy
