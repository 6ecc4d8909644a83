"""A household account's (缴费户) own prepaid balance: what is paid beyond its bills lands there,
partial payments settle its oldest bill first, the bill run pays its new bills from it (for the
items the balance may pay), refunds take it back, and only residents of its units see or top
it up. A member unit keeps its own balance for its own bills."""

import contextlib
import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.billing import reports, selectors, services
from community.billing.models import Allocation, Bill, BillStatus, Payment, PrepaidEntry
from community.errors import NotAllowed, ServiceError
from tests.factories import (
    ChargeItemFactory,
    OccupancyFactory,
    ResidentFactory,
    TariffFactory,
    UnitFactory,
    UserFactory,
)

SYSTEM = "system:test"
pytestmark = pytest.mark.usefixtures("in_english")


def _resident_of(unit, username, phone):
    user = UserFactory(username=username, phone=phone)
    resident = ResidentFactory(estate=unit.building.estate, user=user, phone=phone, name=f"{username}-业主")
    OccupancyFactory(unit=unit, resident=resident, is_primary_contact=True)
    return user


@pytest.fixture
def shop(household_a):
    _user, flat = household_a
    return UnitFactory(
        building=flat.building, usage="commercial", exclusive_area=Decimal("30.00"), number="S-1"
    )


@pytest.fixture
def account(estate_a, household_a, shop):
    _user, flat = household_a
    return services.household_account_create(estate=estate_a, name="张家", units=[flat, shop], by=SYSTEM)


@pytest.fixture
def shop_user(shop):
    """A resident of the account's other unit (not the flat's household)."""
    return _resident_of(shop, "shop_owner", "+8613800000404")


@pytest.fixture
def neighbour(household_a):
    """A resident of the same estate and building whose unit is not in the account."""
    _user, flat = household_a
    unit = UnitFactory(building=flat.building, number="9-901")
    return _resident_of(unit, "neighbour", "+8613800000505"), unit


def _item(estate, name, price, *, payable=True):
    item = ChargeItemFactory(
        estate=estate, name=name, basis="fixed", prepaid=True, payable_from_prepaid=payable
    )
    TariffFactory(item=item, unit_price=Decimal(price), effective_from=dt.date(2020, 1, 1))
    return item


def _charge(account, item, start=dt.date(2025, 1, 1)):
    return services.assignment_create(item=item, account=account, start_date=start, by=SYSTEM)


def _run(estate, month):
    return services.bill_run(estate=estate, on=dt.date(2026, month, 1), by=SYSTEM)


def _pay(bills, amount=None, **payer):
    payment = services.payment_create(bills=bills, provider="demo", amount=amount, by=SYSTEM, **payer)
    return services.demo_payment_complete(payment=payment, by=SYSTEM)


def _entries_sum(**payer):
    """The entries' sum to the fen (SQLite adds decimals as floats)."""
    total = PrepaidEntry.objects.filter(**payer).aggregate(s=Sum("amount"))["s"] or 0
    return Decimal(total).quantize(Decimal("0.01"))


def test_overpaying_an_accounts_bill_credits_the_account_not_a_unit(estate_a, household_a, account):
    _user, flat = household_a
    _charge(account, _item(estate_a, "物业费", "100.00"))
    _run(estate_a, 2)
    bill = Bill.objects.get()
    payment = _pay([bill], amount=Decimal("130.00"))
    assert (payment.payer_account_id, payment.payer_unit_id) == (account.pk, None)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert selectors.account_prepaid_balance(account) == Decimal("30.00")
    assert selectors.prepaid_balance(flat) == 0
    entry = PrepaidEntry.objects.get()
    assert (entry.kind, entry.account_id, entry.unit_id, entry.estate_id) == (
        "overpayment",
        account.pk,
        None,
        estate_a.pk,
    )


def test_partial_payment_settles_the_accounts_oldest_bill_first(estate_a, account):
    _charge(account, _item(estate_a, "物业费", "100.00"))
    _run(estate_a, 2)
    _run(estate_a, 3)
    feb, mar = Bill.objects.order_by("period_start")
    _pay([mar, feb], amount=Decimal("150.00"))
    feb.refresh_from_db()
    mar.refresh_from_db()
    assert (feb.status, mar.status, mar.amount_due) == ("paid", "partially_paid", Decimal("50.00"))
    assert selectors.account_prepaid_balance(account) == 0


def test_next_months_bill_is_paid_from_the_account_balance_for_allowed_items_only(
    estate_a, household_a, account
):
    _user, flat = household_a
    fee = _charge(account, _item(estate_a, "物业费", "100.00")).item
    parking = _charge(account, _item(estate_a, "车位租金", "300.00", payable=False)).item
    # The flat's own balance is the flat's: it does not pay the account's bills.
    services.demo_payment_complete(
        payment=services.prepaid_top_up(unit=flat, amount=Decimal("1000.00"), provider="demo", by=SYSTEM),
        by=SYSTEM,
    )
    _run(estate_a, 2)
    for bill in Bill.objects.all():
        assert bill.status == BillStatus.ISSUED
    _pay(list(Bill.objects.all()), amount=Decimal("550.00"))  # 150.00 beyond the two bills
    assert selectors.account_prepaid_balance(account) == Decimal("150.00")
    result = _run(estate_a, 3)
    assert result.prepaid_applied == Decimal("100.00")
    march = {b.assignment.item_id: b for b in Bill.objects.filter(period_start=dt.date(2026, 3, 1))}
    assert march[fee.pk].status == BillStatus.PAID
    assert march[fee.pk].allocations.get().prepaid_entry.account_id == account.pk
    assert march[parking.pk].status == BillStatus.ISSUED  # 车位租金 may not be paid from the balance
    assert selectors.account_prepaid_balance(account) == Decimal("50.00")
    assert selectors.prepaid_balance(flat) == Decimal("1000.00")
    # April: 50.00 left pays half of the fee; the balance stops at zero, never below.
    _run(estate_a, 4)
    april = Bill.objects.get(period_start=dt.date(2026, 4, 1), assignment__item=fee)
    assert (april.status, april.amount_due) == (BillStatus.PARTIALLY_PAID, Decimal("50.00"))
    assert selectors.account_prepaid_balance(account) == 0


def test_a_member_units_own_balance_still_pays_the_units_own_bills(estate_a, household_a, account):
    _user, flat = household_a
    own = ChargeItemFactory(estate=estate_a, name="垃圾处理费", basis="fixed", prepaid=True)
    TariffFactory(item=own, unit_price=Decimal("15.00"), effective_from=dt.date(2020, 1, 1))
    services.assignment_create(item=own, unit=flat, start_date=dt.date(2025, 1, 1), by=SYSTEM)
    _charge(account, _item(estate_a, "物业费", "100.00"))
    services.demo_payment_complete(
        payment=services.prepaid_top_up(unit=flat, amount=Decimal("20.00"), provider="demo", by=SYSTEM),
        by=SYSTEM,
    )
    _run(estate_a, 2)
    unit_bill = Bill.objects.get(payer_unit=flat)
    account_bill = Bill.objects.get(payer_account=account)
    assert unit_bill.status == BillStatus.PAID and account_bill.status == BillStatus.ISSUED
    assert selectors.prepaid_balance(flat) == Decimal("5.00")


def test_refunds_take_back_from_the_accounts_balance(estate_a, account, manager_a):
    _charge(account, _item(estate_a, "物业费", "100.00"))
    top_up = services.demo_payment_complete(
        payment=services.prepaid_top_up(
            account=account, amount=Decimal("300.00"), provider="demo", by=SYSTEM
        ),
        by=SYSTEM,
    )
    assert top_up.payer_account_id == account.pk
    _run(estate_a, 2)  # 100.00 of it pays February
    assert selectors.account_prepaid_balance(account) == Decimal("200.00")
    services.payment_refund(payment=top_up, amount=Decimal("150.00"), reason="缴费户退款", by=manager_a)
    assert selectors.account_prepaid_balance(account) == Decimal("50.00")
    # What is left of the top-up in the balance is 50.00: the rest was spent on February.
    with pytest.raises(ServiceError, match="spent"):
        services.payment_refund(payment=top_up, amount=Decimal("100.00"), reason="再退", by=manager_a)
    assert selectors.account_prepaid_balance(account) == Decimal("50.00")
    # An overpayment's refund takes the excess back first, then re-opens the bill.
    _run(estate_a, 3)  # March: paid 50.00 from the balance
    march = Bill.objects.get(period_start=dt.date(2026, 3, 1))
    overpaid = _pay([march], amount=Decimal("80.00"))  # 50.00 due, 30.00 beyond
    assert selectors.account_prepaid_balance(account) == Decimal("30.00")
    services.payment_refund(payment=overpaid, amount=Decimal("40.00"), reason="多缴", by=manager_a)
    march.refresh_from_db()
    assert selectors.account_prepaid_balance(account) == 0
    assert (march.status, march.amount_due) == (BillStatus.PARTIALLY_PAID, Decimal("10.00"))


def test_a_top_up_names_one_payer(estate_a, household_a, account):
    _user, flat = household_a
    with pytest.raises(ServiceError):
        services.prepaid_top_up(amount=Decimal("10.00"), provider="demo", by=SYSTEM)
    with pytest.raises(ServiceError):
        services.prepaid_top_up(
            unit=flat, account=account, amount=Decimal("10.00"), provider="demo", by=SYSTEM
        )


def test_portal_shows_the_account_balance_to_every_member_unit_and_tops_it_up(
    client_for, estate_a, household_a, account, shop_user
):
    flat_user, _flat = household_a
    _charge(account, _item(estate_a, "物业费", "100.00"))
    _run(estate_a, 2)
    client = client_for(shop_user)
    response = client.post(
        "/portal/bills/top-up/", {"payer": f"account:{account.pk}", "amount": "88.00"}, follow=True
    )
    assert response.status_code == 200
    assert selectors.account_prepaid_balance(account) == Decimal("88.00")
    receipt = response.context["receipt"]
    assert receipt.payment.payer_account_id == account.pk
    # The flat's household sees the balance and the receipt of the top-up made from the shop.
    page = client_for(flat_user).get("/portal/bills/").content.decode()
    assert f'data-testid="account-prepaid-{account.pk}">88.00<' in page
    assert f'value="account:{account.pk}"' in page
    assert selectors.my_receipts(flat_user).filter(pk=receipt.pk).exists()


def test_a_top_up_receipt_names_whose_balance_it_went_into(client_for, estate_a, household_a, account):
    import re

    flat_user, flat = household_a
    client = client_for(flat_user)

    def receipt_page(payer: str):
        response = client.post("/portal/bills/top-up/", {"payer": payer, "amount": "20.00"}, follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        payer_line = re.search(r'data-testid="receipt-payer">([^<]*)<', page).group(1)
        prepaid = re.findall(r'data-testid="receipt-prepaid">([^<]*)<', page)
        return payer_line, prepaid, response.context["receipt"]

    payer_line, prepaid, receipt = receipt_page(f"account:{account.pk}")
    assert payer_line == "Household account: 张家"
    assert prepaid == ["Into the prepaid balance of 张家 · ¥20.00"]
    # The flat's own balance: named by its building's name (not the building's id).
    payer_line, prepaid, receipt = receipt_page(f"unit:{flat.pk}")
    label = f"{flat.building.name}-{flat.entrance + '单元-' if flat.entrance else ''}{flat.number}"
    assert payer_line == f"Home: {label}"
    assert prepaid == [f"Into the prepaid balance of {label} · ¥20.00"]
    pdf = client.get(f"/portal/bills/receipts/{receipt.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_resident_outside_the_account_cannot_see_or_top_it_up(
    client_for, estate_a, account, neighbour, household_b
):
    user, _unit = neighbour
    for outsider in (user, household_b[0]):
        client = client_for(outsider)
        page = client.get("/portal/bills/").content.decode()
        assert f"account-prepaid-{account.pk}" not in page and "张家" not in page
        client.post("/portal/bills/top-up/", {"payer": f"account:{account.pk}", "amount": "50.00"})
        listed = client.get("/api/v1/billing/prepaid/").json()
        assert listed["accounts"] == []
        response = client.post(
            "/api/v1/billing/prepaid/top-up/",
            {"account": account.pk, "amount": "50.00", "provider": "demo"},
            content_type="application/json",
        )
        assert response.status_code == 404
    assert selectors.account_prepaid_balance(account) == 0
    assert not Payment.objects.filter(payer_account=account).exists()


def test_the_api_lists_and_tops_up_the_account_balance(client_for, estate_a, household_a, account):
    user, flat = household_a
    client = client_for(user)
    listed = client.get("/api/v1/billing/prepaid/").json()
    assert listed["units"] == [{"unit": flat.pk, "label": flat.label, "balance": "0.00"}]
    assert listed["accounts"] == [{"account": account.pk, "name": "张家", "balance": "0.00"}]
    response = client.post(
        "/api/v1/billing/prepaid/top-up/",
        {"account": account.pk, "amount": "66.00", "provider": "demo", "channel": "native"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["provider_params"]["code_url"].startswith("weixin://")
    services.demo_payment_complete(
        payment=Payment.objects.get(out_trade_no=response.json()["out_trade_no"]), by=SYSTEM
    )
    assert client.get("/api/v1/billing/prepaid/").json()["accounts"][0]["balance"] == "66.00"
    both = client.post(
        "/api/v1/billing/prepaid/top-up/",
        {"account": account.pk, "unit": flat.pk, "amount": "1.00", "provider": "demo"},
        content_type="application/json",
    )
    assert both.status_code == 400


def test_staff_move_a_units_balance_to_its_account_explicitly(
    estate_a, household_a, account, neighbour, manager_a, manager_b
):
    _user, flat = household_a
    _neighbour_user, other_unit = neighbour
    services.demo_payment_complete(
        payment=services.prepaid_top_up(unit=flat, amount=Decimal("120.00"), provider="demo", by=SYSTEM),
        by=SYSTEM,
    )
    with pytest.raises(NotAllowed):
        services.prepaid_transfer(
            unit=flat, account=account, amount=Decimal("50"), reason="并户", by=manager_b
        )
    with pytest.raises(ServiceError, match="reason"):
        services.prepaid_transfer(unit=flat, account=account, amount=Decimal("50"), reason=" ", by=manager_a)
    with pytest.raises(ServiceError, match="not in this household account"):
        services.prepaid_transfer(
            unit=other_unit, account=account, amount=Decimal("1"), reason="并户", by=manager_a
        )
    with pytest.raises(ServiceError, match=r"120\.00"):
        services.prepaid_transfer(
            unit=flat, account=account, amount=Decimal("120.01"), reason="并户", by=manager_a
        )
    out, into = services.prepaid_transfer(
        unit=flat, account=account, amount=Decimal("100.00"), reason="业主申请并户", by=manager_a
    )
    assert (out.amount, into.amount, out.kind, into.reason) == (
        Decimal("-100.00"),
        Decimal("100.00"),
        "transfer",
        "业主申请并户",
    )
    assert into.created_by.startswith("user:")
    assert selectors.prepaid_balance(flat) == Decimal("20.00")
    assert selectors.account_prepaid_balance(account) == Decimal("100.00")


def test_staff_move_a_units_balance_through_the_admin(
    client_for, estate_a, estate_b, household_a, household_b, account, manager_a
):
    _user, flat = household_a
    _other_user, other_flat = household_b
    other_account = services.household_account_create(
        estate=estate_b, name="李家", units=[other_flat], by=SYSTEM
    )
    services.demo_payment_complete(
        payment=services.prepaid_top_up(unit=flat, amount=Decimal("120.00"), provider="demo", by=SYSTEM),
        by=SYSTEM,
    )
    client = client_for(manager_a)
    page = client.get("/admin/billing/prepaidentry/add/")
    assert page.status_code == 200 and "household account the unit is in" in page.content.decode()

    def post(**overrides):
        data = {"unit": flat.pk, "account": account.pk, "amount": "50.00", "reason": "业主申请并户"}
        return client.post("/admin/billing/prepaidentry/add/", {**data, **overrides})

    def errors(response):
        return {k: [str(e) for e in v] for k, v in response.context["adminform"].form.errors.items()}

    refused = {
        "no reason": post(reason=""),
        "too much": post(amount="120.01"),
        "negative": post(amount="-5.00"),
        "zero": post(amount="0.00"),
        "another estate's account": post(account=other_account.pk),
        "another estate's unit": post(unit=other_flat.pk),
    }
    for why, response in refused.items():
        assert response.status_code == 200, why
    assert "120.00" in str(errors(refused["too much"])["amount"])
    assert "negative" in str(errors(refused["negative"])["amount"])
    assert "more than zero" in str(errors(refused["zero"])["amount"])
    assert "account" in errors(refused["another estate's account"])
    assert "unit" in errors(refused["another estate's unit"])
    assert not PrepaidEntry.objects.filter(kind="transfer").exists()

    done = post()
    assert done.status_code == 302, errors(done)
    assert selectors.prepaid_balance(flat) == Decimal("70.00")
    assert selectors.account_prepaid_balance(account) == Decimal("50.00")
    out, into = PrepaidEntry.objects.filter(kind="transfer").order_by("amount")
    assert (out.unit, into.account, into.reason) == (flat, account, "业主申请并户")
    assert out.created_by == into.created_by and into.created_by.startswith("user:")
    # An entry, once written, is only looked at.
    assert (
        client.post(f"/admin/billing/prepaidentry/{into.pk}/change/", {"amount": "1.00"}).status_code == 403
    )


def test_staff_see_account_balances_in_the_admin_and_the_reports(client_for, estate_a, account, manager_a):
    services.demo_payment_complete(
        payment=services.prepaid_top_up(account=account, amount=Decimal("77.00"), provider="demo", by=SYSTEM),
        by=SYSTEM,
    )
    client = client_for(manager_a)
    listing = client.get("/admin/billing/householdaccount/").content.decode()
    assert "column-prepaid_balance" in listing and "77.00" in listing
    entries = client.get("/admin/billing/prepaidentry/").content.decode()
    assert "张家" in entries
    held = reports.prepaid_held(estate_a)
    assert held.accounts == [("张家", Decimal("77.00"))] and held.total == Decimal("77.00")
    page = client.get(f"/staff/billing/?estate={estate_a.pk}").content.decode()
    assert "张家" in page and "77.00" in page


def test_the_account_admin_list_keeps_a_constant_number_of_queries(
    client_for, estate_a, manager_a, django_assert_max_num_queries
):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager_a)

    def account_with_balance(n):
        unit = UnitFactory(building__estate=estate_a)
        acct = services.household_account_create(estate=estate_a, name=f"户{n}", units=[unit], by=SYSTEM)
        services.demo_payment_complete(
            payment=services.prepaid_top_up(
                account=acct, amount=Decimal("10.00"), provider="demo", by=SYSTEM
            ),
            by=SYSTEM,
        )

    account_with_balance(0)
    with CaptureQueriesContext(conn) as small:
        client.get("/admin/billing/householdaccount/")
    for n in range(1, 6):
        account_with_balance(n)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/admin/billing/householdaccount/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"
)
def test_a_refund_and_the_bill_run_racing_never_spend_the_balance_twice(estate_a, account, manager_a):
    """Both read the account's balance (100.00) and take it; the account's row lock makes the
    second wait and read it again, so together they take 100.00, never 200.00."""
    _charge(account, _item(estate_a, "物业费", "100.00"))
    top_up = services.demo_payment_complete(
        payment=services.prepaid_top_up(
            account=account, amount=Decimal("100.00"), provider="demo", by=SYSTEM
        ),
        by=SYSTEM,
    )
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def refund():
        try:
            barrier.wait()
            services.payment_refund(payment=top_up, amount=Decimal("100.00"), reason="退款", by=manager_a)
        except ServiceError as exc:
            errors.append(exc)  # the run took it first: nothing left of the top-up to refund
        finally:
            connections.close_all()

    def run():
        try:
            barrier.wait()
            _run(estate_a, 2)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refund), threading.Thread(target=run)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bill = Bill.objects.get()
    top_up.refresh_from_db()
    spent = bill.amount_paid + top_up.refunded_amount
    assert spent == Decimal("100.00")
    assert selectors.account_prepaid_balance(account) == 0
    assert len(errors) == (1 if bill.amount_paid else 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"
)
def test_two_transfers_racing_never_overdraw_the_unit(estate_a, household_a, account, manager_a):
    _user, flat = household_a
    services.demo_payment_complete(
        payment=services.prepaid_top_up(unit=flat, amount=Decimal("100.00"), provider="demo", by=SYSTEM),
        by=SYSTEM,
    )
    barrier = threading.Barrier(2)
    done, refused = [], []

    def transfer():
        try:
            barrier.wait()
            services.prepaid_transfer(
                unit=flat, account=account, amount=Decimal("70.00"), reason="并户", by=manager_a
            )
            done.append(1)
        except ServiceError:
            refused.append(1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=transfer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(done), len(refused)) == (1, 1)
    assert selectors.prepaid_balance(flat) == Decimal("30.00")
    assert selectors.account_prepaid_balance(account) == Decimal("70.00")


_steps = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(min_value=1, max_value=40_000)),
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=40_000)),
        st.tuples(st.just("refund"), st.integers(min_value=1, max_value=100)),
        st.tuples(st.just("run"), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps)
def test_the_account_balance_is_the_sum_of_its_entries_and_never_negative(
    estate_a, account, manager_a, steps
):
    """Whatever mix of top-ups, payments (partial or beyond the bills), refunds and bill runs:
    the balance is the sum of the entries, never below zero, and every bill's paid amount is the
    sum of its allocations."""
    with transaction.atomic():
        _charge(account, _item(estate_a, "物业费", "123.45"))
        month = 1
        payments: list[Payment] = []
        for step, value in steps:
            if step == "top_up":
                payments.append(
                    services.prepaid_top_up(
                        account=account,
                        amount=Decimal(value) / 100,
                        provider="offline",
                        channel="cash",
                        by=manager_a,
                    )
                )
            elif step == "pay":
                open_bills = list(Bill.objects.open().filter(payer_account=account))
                if open_bills:
                    payments.append(
                        services.payment_create(
                            bills=open_bills,
                            amount=Decimal(value) / 100,
                            provider="offline",
                            channel="cash",
                            by=manager_a,
                        )
                    )
            elif step == "refund" and payments:
                payment = payments[value % len(payments)]
                payment.refresh_from_db()
                left = payment.amount - payment.refunded_amount
                share = (left * value / 100).quantize(Decimal("0.01"))
                if share > 0:
                    # Spent by later bills: refused (the savepoint undoes it), nothing written.
                    with contextlib.suppress(ServiceError):
                        services.payment_refund(
                            payment=payment, amount=share, reason="性质测试", by=manager_a
                        )
            elif step == "run" and month < 12:
                month += 1
                _run(estate_a, month)
            balance = selectors.account_prepaid_balance(account)
            assert balance == _entries_sum(account=account) and balance >= 0
        for bill in Bill.objects.filter(payer_account=account):
            allocated = Allocation.objects.filter(bill=bill).aggregate(s=Sum("amount"))["s"] or 0
            assert (
                bill.amount_paid == Decimal(allocated).quantize(Decimal("0.01"))
                and 0 <= bill.amount_paid <= bill.total
            )
        transaction.set_rollback(True)
