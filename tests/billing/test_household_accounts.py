"""Household accounts as payers: an item charged to an account bills the account's units
together (area summed, parking spaces counted); its residents see the bill, nobody else does."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError

from community.billing import selectors, services
from community.billing.models import Assignment, Bill
from community.errors import ServiceError
from tests.factories import ChargeItemFactory, TariffFactory, UnitFactory

SYSTEM = "system:test"
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def account(estate_a, household_a):
    _user, flat = household_a
    space = UnitFactory(
        building=flat.building, usage="parking", exclusive_area=Decimal("12.50"), number="P-01"
    )
    shop = UnitFactory(
        building=flat.building, usage="parking", exclusive_area=Decimal("13.00"), number="P-02"
    )
    return services.household_account_create(
        estate=estate_a, name="张家", units=[flat, space, shop], by=SYSTEM
    )


def _item(estate, name, basis, price):
    item = ChargeItemFactory(estate=estate, name=name, basis=basis, prepaid=True)
    TariffFactory(item=item, unit_price=Decimal(price), effective_from=dt.date(2020, 1, 1))
    return item


def test_an_account_is_billed_on_all_its_units_together(estate_a, household_a, account):
    _user, flat = household_a
    area_item = _item(estate_a, "物业费", "exclusive_area", "2.00")
    space_item = _item(estate_a, "车位管理费", "per_space", "60.00")
    for item in (area_item, space_item):
        services.assignment_create(item=item, account=account, start_date=dt.date(2025, 1, 1), by=SYSTEM)
    result = services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    assert result.created == 2
    bills = {b.assignment.item_id: b for b in Bill.objects.select_related("assignment")}
    area_bill, space_bill = bills[area_item.pk], bills[space_item.pk]
    assert (area_bill.payer_account_id, area_bill.payer_unit_id) == (account.pk, None)
    assert area_bill.total == (flat.exclusive_area + Decimal("25.50")) * 2
    assert space_bill.total == Decimal("120.00")  # two parking spaces
    assert services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM).created == 0


def test_an_accounts_bills_are_seen_by_its_residents_only(estate_a, household_a, account, household_b):
    user, _flat = household_a
    item = _item(estate_a, "物业费", "fixed", "100.00")
    services.assignment_create(item=item, account=account, start_date=dt.date(2025, 1, 1), by=SYSTEM)
    services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    bill = Bill.objects.get()
    assert list(selectors.my_bills(user)) == [bill]
    other_user, _other_unit = household_b
    assert not selectors.my_bills(other_user).exists()


def test_one_payer_per_assignment_and_one_account_per_unit(estate_a, household_a, account):
    _user, flat = household_a
    item = _item(estate_a, "物业费", "fixed", "100.00")
    with pytest.raises(ServiceError):
        services.assignment_create(
            item=item, unit=flat, account=account, start_date=dt.date(2025, 1, 1), by=SYSTEM
        )
    with pytest.raises(ServiceError):
        services.assignment_create(item=item, start_date=dt.date(2025, 1, 1), by=SYSTEM)
    with pytest.raises(ServiceError, match="another account"):
        services.household_account_create(estate=estate_a, name="again", units=[flat], by=SYSTEM)
    with pytest.raises(IntegrityError):
        Assignment.objects.create(item=item, start_date=dt.date(2025, 1, 1))


def test_a_resident_pays_an_accounts_bill_and_sees_the_receipt(
    client_for, estate_a, household_a, account, household_b
):
    user, _flat = household_a
    item = _item(estate_a, "物业费", "fixed", "100.00")
    services.assignment_create(item=item, account=account, start_date=dt.date(2025, 1, 1), by=SYSTEM)
    services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    bill = Bill.objects.get()
    response = client_for(user).post(f"/portal/bills/{bill.pk}/pay/", follow=True)
    assert response.status_code == 200
    bill.refresh_from_db()
    assert bill.status == "paid"
    receipt = selectors.my_receipts(user).get()
    assert receipt.display_number in response.content.decode()
    other_user, _unit = household_b
    assert not selectors.my_receipts(other_user).exists() and not selectors.my_payments(other_user).exists()
