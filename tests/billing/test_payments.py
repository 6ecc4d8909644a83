"""Partial payments, overpayment to the prepaid balance, oldest bill first, refunds, offline
payments, and the resident's pay endpoint with its household line."""

import datetime as dt
from decimal import Decimal

import pytest

from community.billing import selectors, services
from community.billing.models import Bill, BillStatus, PrepaidEntry, Receipt
from community.errors import NotAllowed, ServiceError

SYSTEM = "system:test"


def _bill(estate, unit, amount, ref, due=None):
    bill = services.charge_post(
        estate=estate,
        payer_unit=unit,
        item_type="property_fee",
        amount=Decimal(amount),
        description=f"物业费 {ref}",
        source="test",
        source_ref=ref,
        by=SYSTEM,
    )
    if due:
        Bill.objects.filter(pk=bill.pk).update(due_date=due)
        bill.refresh_from_db()
    return bill


def _pay(bills, amount=None, unit=None):
    payment = services.payment_create(bills=bills, provider="demo", amount=amount, payer_unit=unit, by=SYSTEM)
    return services.demo_payment_complete(payment=payment, by=SYSTEM)


def test_partial_payment_settles_the_oldest_bill_first(estate_a, household_a):
    _user, unit = household_a
    newer = _bill(estate_a, unit, "200.00", "mar", due=dt.date(2026, 3, 31))
    older = _bill(estate_a, unit, "150.00", "feb", due=dt.date(2026, 2, 28))
    _pay([newer, older], amount=Decimal("250.00"))
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, older.amount_due) == (BillStatus.PAID, 0)
    assert (newer.status, newer.amount_due) == (BillStatus.PARTIALLY_PAID, Decimal("100.00"))
    # The rest is paid later; a second payment for the same bill is fine while it is open.
    _pay([newer])
    newer.refresh_from_db()
    assert newer.status == BillStatus.PAID


def test_overpayment_goes_to_the_prepaid_balance(estate_a, household_a):
    _user, unit = household_a
    bill = _bill(estate_a, unit, "100.00", "feb")
    payment = _pay([bill], amount=Decimal("130.00"))
    assert selectors.prepaid_balance(unit) == Decimal("30.00")
    assert PrepaidEntry.objects.get().kind == "overpayment"
    assert payment.receipt.number == 1


def test_top_up_then_refund_part_with_a_reason(estate_a, household_a, manager_a, manager_b):
    _user, unit = household_a
    payment = services.prepaid_top_up(unit=unit, amount=Decimal("500.00"), provider="demo", by=SYSTEM)
    payment = services.demo_payment_complete(payment=payment, by=SYSTEM)
    assert selectors.prepaid_balance(unit) == Decimal("500.00")
    with pytest.raises(ServiceError):
        services.payment_refund(payment=payment, amount=Decimal("100.00"), reason="", by=manager_a)
    with pytest.raises(NotAllowed):
        services.payment_refund(payment=payment, amount=Decimal("100.00"), reason="业主搬离", by=manager_b)
    services.payment_refund(payment=payment, amount=Decimal("100.00"), reason="业主搬离", by=manager_a)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", Decimal("100.00"))
    assert selectors.prepaid_balance(unit) == Decimal("400.00")
    with pytest.raises(ServiceError):
        services.payment_refund(payment=payment, amount=Decimal("400.01"), reason="多退", by=manager_a)
    services.payment_refund(payment=payment, amount=Decimal("400.00"), reason="业主搬离", by=manager_a)
    payment.refresh_from_db()
    assert payment.status == "refunded"
    assert selectors.prepaid_balance(unit) == 0


def test_refund_of_a_bill_payment_reopens_the_bill(estate_a, household_a, manager_a):
    _user, unit = household_a
    bill = _bill(estate_a, unit, "80.00", "feb")
    payment = _pay([bill])
    services.payment_refund(payment=payment, amount=Decimal("30.00"), reason="重复计费", by=manager_a)
    bill.refresh_from_db()
    assert (bill.status, bill.amount_due) == (BillStatus.PARTIALLY_PAID, Decimal("30.00"))


def test_offline_payment_is_staff_only_and_gets_the_next_receipt_number(
    estate_a, household_a, manager_a, manager_b
):
    _user, unit = household_a
    first = _bill(estate_a, unit, "10.00", "a")
    second = _bill(estate_a, unit, "20.00", "b")
    _pay([first])
    with pytest.raises(NotAllowed):
        services.payment_create(bills=[second], provider="offline", channel="cash", by=manager_b)
    with pytest.raises(ServiceError):
        services.payment_create(bills=[second], provider="offline", channel="", by=manager_a)
    payment = services.payment_create(bills=[second], provider="offline", channel="cash", by=manager_a)
    assert payment.status == "paid"
    assert list(Receipt.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_receipt_numbers_have_no_gaps_when_a_payment_fails_midway(estate_a, household_a, manager_a):
    _user, unit = household_a
    bill = _bill(estate_a, unit, "10.00", "a")
    from community.billing.signals import bill_paid

    def explode(**kwargs):
        raise RuntimeError("listener failed")

    bill_paid.connect(explode)
    try:
        with pytest.raises(RuntimeError):
            services.payment_create(bills=[bill], provider="offline", channel="cash", by=manager_a)
    finally:
        bill_paid.disconnect(explode)
    payment = services.payment_create(bills=[bill], provider="offline", channel="pos", by=manager_a)
    assert payment.receipt.number == 1


# --- the resident's API ------------------------------------------------------------------------


def test_resident_pays_own_bill_through_the_api(client_for, estate_a, household_a):
    user, unit = household_a
    bill = _bill(estate_a, unit, "223.75", "feb")
    client = client_for(user)
    listed = client.get("/api/v1/billing/bills/").json()
    assert [row["number"] for row in listed["results"]] == [bill.number]
    response = client.post(
        f"/api/v1/billing/bills/{bill.pk}/pay/",
        {"provider": "demo", "channel": "native"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "223.75" and body["provider_params"]["code_url"].startswith("weixin://")
    assert body["out_trade_no"]


def test_resident_cannot_see_or_pay_another_households_bill(
    client_for, estate_a, estate_b, household_a, household_b
):
    user_a, _unit_a = household_a
    _user_b, unit_b = household_b
    other = _bill(estate_b, unit_b, "99.00", "b")
    client = client_for(user_a)
    assert client.get("/api/v1/billing/bills/").json()["results"] == []
    response = client.post(
        f"/api/v1/billing/bills/{other.pk}/pay/", {"provider": "demo"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert client.get(f"/portal/bills/{other.pk}/").status_code == 404
    assert client.post(f"/portal/bills/{other.pk}/pay/").status_code == 404


def test_pay_endpoint_answers_bad_input_with_a_message(client_for, estate_a, household_a):
    user, unit = household_a
    bill = _bill(estate_a, unit, "10.00", "a")
    client = client_for(user)
    response = client.post(
        f"/api/v1/billing/bills/{bill.pk}/pay/", {"provider": "bitcoin"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "provider" in response.json()["error"]["fields"]
    _pay([bill])
    again = client.post(
        f"/api/v1/billing/bills/{bill.pk}/pay/", {"provider": "demo"}, content_type="application/json"
    )
    assert again.status_code == 409


def test_portal_pay_button_pays_and_shows_the_receipt(client_for, estate_a, household_a):
    user, unit = household_a
    bill = _bill(estate_a, unit, "223.75", "feb")
    client = client_for(user)
    page = client.get("/portal/bills/")
    assert bill.number in page.content.decode()
    response = client.post(f"/portal/bills/{bill.pk}/pay/", follow=True)
    assert response.status_code == 200
    receipt = Receipt.objects.get()
    assert receipt.display_number in response.content.decode()
    pdf = client.get(f"/portal/bills/receipts/{receipt.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The receipt's words come from the catalogue, in the reader's language.
    assert f"(Receipt {receipt.display_number})".encode() not in pdf.content
    user.language = "en"
    user.save(update_fields=["language"])
    english = client.get(f"/portal/bills/receipts/{receipt.pk}/pdf/")
    assert f"(Receipt {receipt.display_number})".encode() in english.content


def test_portal_bill_list_keeps_a_constant_number_of_queries(
    client_for, estate_a, household_a, django_assert_max_num_queries
):
    user, unit = household_a
    client = client_for(user)
    for i in range(3):
        _pay([_bill(estate_a, unit, "10.00", f"s{i}")])
    with django_assert_max_num_queries(20) as small:
        client.get("/portal/bills/")
    for i in range(15):
        bill = _bill(estate_a, unit, "10.00", f"l{i}")
        if i % 2:
            _pay([bill])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/portal/bills/")


def test_portal_top_up_then_fapiao_request_and_meter_history(client_for, estate_a, household_a, household_b):
    user, unit = household_a
    _other_user, other_unit = household_b
    _bill(estate_a, unit, "10.00", "a")
    client = client_for(user)
    # Another household's unit is not a choice: nothing is topped up.
    client.post("/portal/bills/top-up/", {"unit": other_unit.pk, "amount": "50.00"})
    assert selectors.prepaid_balance(other_unit) == 0
    response = client.post("/portal/bills/top-up/", {"unit": unit.pk, "amount": "50.00"}, follow=True)
    assert selectors.prepaid_balance(unit) == Decimal("50.00")
    receipt = response.context["receipt"]
    client.post(f"/portal/bills/receipts/{receipt.pk}/fapiao/", {"title": "张三", "email": "zs@example.com"})
    page = client.get(f"/portal/bills/receipts/{receipt.pk}/")
    assert page.context["fapiao"].status == "requested"
    meter = services.meter_create(
        estate=estate_a, unit=unit, kind="water", serial="W-1", installed_on=dt.date(2025, 1, 1), by=SYSTEM
    )
    services.meter_reading_record(
        meter=meter, value="12.00", read_on=dt.date(2025, 6, 1), today=dt.date(2025, 6, 1), by=SYSTEM
    )
    index = client.get("/portal/bills/")
    assert "W-1" in index.content.decode()
    assert "50.00" in index.content.decode()


def test_a_provider_that_is_not_connected_refuses_and_leaves_no_open_payment(estate_a, household_a):
    from community.billing.models import Merchant, Payment

    _user, unit = household_a
    Merchant.objects.create(
        code="sunshine-live", estate=estate_a, provider="wechatpay", mch_id="1", app_id="wx1"
    )
    bill = _bill(estate_a, unit, "10.00", "a")
    with pytest.raises(ServiceError):
        services.payment_create(bills=[bill], provider="wechatpay", channel="jsapi", by=SYSTEM)
    assert list(Payment.objects.values_list("status", flat=True)) == ["closed"]
