"""Text a person typed is refused whole when too long, naming the field and both lengths, never
cut to fit (``community.errors.text_within``): offline payment notes, fapiao decisions, charge
descriptions. A payment note used to be cut at 200 characters without a word."""

from decimal import Decimal

import pytest

from community.billing import services
from community.billing.models import Bill, FapiaoRequest, Payment
from community.errors import ServiceError

pytestmark = pytest.mark.django_db


def _bill(estate, unit, ref="a", **kw):
    return services.charge_post(
        **{
            "estate": estate,
            "payer_unit": unit,
            "item_type": "property_fee",
            "amount": Decimal("300.00"),
            "description": "物业费 2026-09",
            "source": "test",
            "source_ref": ref,
            "by": "system:test",
            **kw,
        }
    )


def test_an_over_long_offline_payment_note_is_refused_not_cut(estate_a, household_a, manager_a):
    _user, unit = household_a
    bill = _bill(estate_a, unit)
    with pytest.raises(ServiceError) as refused:
        services.payment_create(
            bills=[bill], provider="offline", channel="cash", note="现" * 201, by=manager_a
        )
    assert refused.value.message_dict == {"note": ["最多 200 个字符（当前 201 个）。"]}
    assert not Payment.objects.exists()
    payment = services.payment_create(
        bills=[bill], provider="offline", channel="cash", note="现" * 200, by=manager_a
    )
    assert payment.note == "现" * 200


def test_an_over_long_charge_description_is_refused(estate_a, household_a):
    _user, unit = household_a
    with pytest.raises(ServiceError) as refused:
        _bill(estate_a, unit, description="费" * 201)
    assert refused.value.message_dict == {"description": ["最多 200 个字符（当前 201 个）。"]}
    assert not Bill.objects.exists()


def test_an_over_long_fapiao_rejection_note_is_refused_and_the_request_stays_open(
    estate_a, household_a, manager_a
):
    user, unit = household_a
    payment = services.payment_create(
        bills=[_bill(estate_a, unit)], provider="offline", channel="cash", by=manager_a
    )
    request = services.fapiao_request_create(payment=payment, title="张三", email="a@example.com", by=user)
    with pytest.raises(ServiceError) as refused:
        services.fapiao_request_decide(request=request, action="reject", note="否" * 201, by=manager_a)
    assert refused.value.message_dict == {"note": ["最多 200 个字符（当前 201 个）。"]}
    assert FapiaoRequest.objects.get(pk=request.pk).status == request.status


def test_an_over_long_fapiao_title_is_refused_on_the_portal_page_not_a_500(
    client_for, estate_a, household_a, manager_a
):
    user, unit = household_a
    payment = services.payment_create(
        bills=[_bill(estate_a, unit)], provider="offline", channel="cash", by=manager_a
    )
    page = client_for(user).post(
        f"/portal/bills/receipts/{payment.receipt.pk}/fapiao/",
        {"title": "某" * 101, "email": "zs@example.com"},
        follow=True,
    )
    assert page.status_code == 200 and "最多 100 个字符（当前 101 个）。" in page.content.decode()
    assert not FapiaoRequest.objects.exists()


def test_over_long_refund_adjustment_and_waiver_reasons_are_refused(estate_a, household_a, manager_a):
    _user, unit = household_a
    bill = _bill(estate_a, unit)
    too_long = {"reason": ["最多 200 个字符（当前 201 个）。"]}
    with pytest.raises(ServiceError) as refused:
        services.bill_adjust(bill=bill, amount=Decimal("-10.00"), reason="调" * 201, by=manager_a)
    assert refused.value.message_dict == too_long
    with pytest.raises(ServiceError) as refused:
        services.late_fee_waive(bill=bill, reason="免" * 201, by=manager_a)
    assert refused.value.message_dict == too_long
    payment = services.payment_create(bills=[bill], provider="offline", channel="cash", by=manager_a)
    with pytest.raises(ServiceError) as refused:
        services.payment_refund(payment=payment, amount=Decimal("1.00"), reason="退" * 201, by=manager_a)
    assert refused.value.message_dict == too_long
    assert bill.lines.count() == 1 and not payment.refunds.exists()
