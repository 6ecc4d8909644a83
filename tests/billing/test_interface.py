"""The interface other apps (parking, eldercare) code against: charge_post, payment_create,
demo_payment_complete, bill_paid, bill_for_source."""

from decimal import Decimal

import pytest

from community.billing import selectors, services
from community.billing.models import Bill, BillStatus, PaymentNotification, Receipt
from community.billing.signals import bill_paid
from community.errors import ServiceError, TransitionRefused


def _post(estate, **kw):
    defaults = {
        "estate": estate,
        "payer_unit": None,
        "item_type": "parking",
        "amount": Decimal("12.00"),
        "description": "临时停车 粤B12345",
        "source": "parking",
        "source_ref": "session:1",
        "by": "system:parking-exit",
    }
    return services.charge_post(**{**defaults, **kw})


def test_charge_post_is_idempotent_on_source_ref(estate_a):
    first = _post(estate_a)
    again = _post(estate_a, amount=Decimal("99.00"))
    assert again.pk == first.pk
    assert Bill.objects.count() == 1
    assert first.total == Decimal("12.00") and first.amount_due == Decimal("12.00")
    assert first.status == BillStatus.ISSUED
    assert [(ln.quantity, ln.unit_price, ln.amount) for ln in first.lines.all()] == [
        (Decimal(1), Decimal("12.00"), Decimal("12.00"))
    ]
    assert selectors.bill_for_source(source="parking", source_ref="session:1") == first
    assert selectors.bill_for_source(source="parking", source_ref="session:2") is None


def test_charge_post_refuses_floats_and_unknown_types(estate_a):
    with pytest.raises(ServiceError):
        _post(estate_a, amount=12.0)
    with pytest.raises(ServiceError):
        _post(estate_a, item_type="fine")
    with pytest.raises(ServiceError):
        _post(estate_a, amount=Decimal("1.234"))


def test_bill_numbers_count_per_estate(estate_a, estate_b):
    a1 = _post(estate_a, source_ref="a1")
    a2 = _post(estate_a, source_ref="a2")
    b1 = _post(estate_b, source_ref="b1")
    assert (a1.number, a2.number, b1.number) == ("ZD00000001", "ZD00000002", "ZD00000001")


def test_walk_in_pays_with_demo_provider_and_signal_fires_inside_the_transaction(estate_a):
    seen = []

    def receiver(sender, bill, source, source_ref, **kwargs):
        from django.db import connection

        seen.append((bill.pk, source, source_ref, connection.in_atomic_block))

    bill = _post(estate_a)
    bill_paid.connect(receiver)
    try:
        payment = services.payment_create(
            bills=[bill], provider="demo", channel="native", by="system:parking-exit"
        )
        assert payment.amount == Decimal("12.00")
        assert payment.status == "pending"
        assert payment.provider_params["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
        assert len(payment.out_trade_no) <= 32
        payment = services.demo_payment_complete(payment=payment, by="system:parking-exit")
    finally:
        bill_paid.disconnect(receiver)
    bill.refresh_from_db()
    assert payment.status == "paid"
    assert bill.status == BillStatus.PAID and bill.amount_due == 0
    assert seen == [(bill.pk, "parking", "session:1", True)]
    # The demo went through the real WeChat path: one verified notification, stored raw.
    notification = PaymentNotification.objects.get()
    assert notification.outcome == "applied" and notification.event_id
    assert '"resource"' in notification.body and "Wechatpay-Signature" in notification.headers
    assert Receipt.objects.get(payment=payment).number == 1
    with pytest.raises(TransitionRefused):
        services.payment_create(bills=[bill], provider="demo", by="system:parking-exit")


def test_a_walk_in_paying_a_bill_twice_keeps_the_second_payment_refundable(estate_a, manager_a):
    """Two phones scan the exit QR code of one temporary car and both pay: the second payment
    finds the bill settled. Its money is held as "not allocated" on the payment itself (a walk-in
    has no prepaid balance), shown to staff, and can be refunded in full."""
    bill = _post(estate_a)
    first = services.payment_create(bills=[bill], provider="demo", by="system:parking-exit")
    second = services.payment_create(bills=[bill], provider="demo", by="system:parking-exit")
    services.demo_payment_complete(payment=first, by="system:parking-exit")
    services.demo_payment_complete(payment=second, by="system:parking-exit")
    second.refresh_from_db()
    bill.refresh_from_db()
    assert bill.amount_paid == Decimal("12.00")
    assert second.status == "paid" and second.unallocated_amount == Decimal("12.00")
    assert second.note == ""
    refund = services.payment_refund(
        payment=second, amount=Decimal("12.00"), reason="重复扫码支付", by=manager_a
    )
    second.refresh_from_db()
    bill.refresh_from_db()
    assert refund.amount == Decimal("12.00")
    assert second.unallocated_amount == 0 and second.refunded_amount == Decimal("12.00")
    # The first payment's settlement of the bill is untouched.
    assert bill.amount_paid == Decimal("12.00") and bill.status == BillStatus.PAID


def test_staff_find_walk_in_money_to_refund_in_the_payments_admin(client_for, estate_a, manager_a):
    bill = _post(estate_a, source_ref="session:7")
    first = services.payment_create(bills=[bill], provider="demo", by="system:parking-exit")
    second = services.payment_create(bills=[bill], provider="demo", by="system:parking-exit")
    services.demo_payment_complete(payment=first, by="system:parking-exit")
    services.demo_payment_complete(payment=second, by="system:parking-exit")
    page = client_for(manager_a).get("/admin/billing/payment/?unallocated=yes")
    assert page.status_code == 200
    body = page.content.decode()
    assert second.out_trade_no in body and first.out_trade_no not in body


def test_payments_admin_names_each_payer_in_a_constant_number_of_queries(
    client_for, estate_a, household_a, manager_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _owner, unit = household_a
    client = client_for(manager_a)

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/admin/billing/payment/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert page.status_code == 200
        return len(ctx.captured_queries), page.content.decode()

    walk_in = services.payment_create(
        bills=[_post(estate_a, source_ref="session:9")], provider="demo", by="system:parking-exit"
    )
    home = services.payment_create(
        bills=[_post(estate_a, payer_unit=unit, source_ref="u:1")], provider="demo", by="system:t"
    )
    few, body = queries()
    assert "临时付款人" in body and unit.label in body
    assert walk_in.out_trade_no in body and home.out_trade_no in body
    for n in range(2, 8):
        services.payment_create(
            bills=[_post(estate_a, payer_unit=unit, source_ref=f"u:{n}")], provider="demo", by="system:t"
        )
    many, _body = queries()
    assert many == few
