"""Reminders by level, quiet hours and dispute hold; the arrears notice masks names; fapiao
requests only for one's own paid payments, through the transition table."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from community.billing import reminders, selectors, services
from community.billing.models import Bill, Reminder
from community.errors import NotAllowed, ServiceError, TransitionRefused
from community.notifications.models import Notification

SYSTEM = "system:reminders"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _overdue_bill(estate, unit, days, ref="a"):
    bill = services.charge_post(
        estate=estate,
        payer_unit=unit,
        item_type="property_fee",
        amount=Decimal("300.00"),
        description="物业费 2026-09",
        source="test",
        source_ref=ref,
        by=SYSTEM,
    )
    Bill.objects.filter(pk=bill.pk).update(due_date=dt.date(2026, 12, 2) - dt.timedelta(days=days))
    return Bill.objects.get(pk=bill.pk)


def test_levels_and_quiet_hours_are_pure_rules():
    assert reminders.level_for(0) is None
    assert reminders.level_for(1) == (1, "in_app")
    assert reminders.level_for(20) == (2, "sms")
    assert reminders.level_for(400) == (4, "visit")
    assert reminders.is_quiet(dt.time(22, 30)) and reminders.is_quiet(dt.time(7, 59))
    assert not reminders.is_quiet(dt.time(8, 0))
    assert not reminders.may_send(channel="printed", local_time=dt.time(10), disputed=True)
    assert reminders.may_send(channel="printed", local_time=dt.time(23), disputed=False)
    assert reminders.mask_name("张三丰") == "张**"


def test_in_app_reminder_once_per_level_not_in_quiet_hours_not_when_disputed(estate_a, household_a):
    user, unit = household_a
    bill = _overdue_bill(estate_a, unit, days=5)
    night = dt.datetime(2026, 12, 2, 22, 30, tzinfo=SHANGHAI)
    morning = dt.datetime(2026, 12, 2, 9, 30, tzinfo=SHANGHAI)
    assert services.reminders_send(estate=estate_a, now=night, by=SYSTEM) == 0
    assert services.reminders_send(estate=estate_a, now=morning, by=SYSTEM) == 1
    assert services.reminders_send(estate=estate_a, now=morning, by=SYSTEM) == 0
    notification = Notification.objects.get(recipient=user)
    assert notification.verb == "billing.reminder" and f"/portal/bills/{bill.pk}/" == notification.url
    # Stored as a type and parameters, rendered in the reader's language when read.
    assert notification.title == "" and notification.params["amount"] == "300.00"
    user.language = "en"
    assert notification.title_for(user).startswith("Payment reminder: ")
    user.language = "zh-hans"
    assert notification.title_for(user).startswith("缴费提醒：")
    other = _overdue_bill(estate_a, unit, days=50, ref="b")
    services.bill_dispute_set(bill=other, disputed=True, by=SYSTEM)
    assert services.reminders_send(estate=estate_a, now=morning, by=SYSTEM) == 0
    assert Reminder.objects.count() == 1


def test_arrears_notice_masks_names(estate_a, household_a):
    _user, unit = household_a
    _overdue_bill(estate_a, unit, days=120)
    rows = selectors.arrears_notice(estate=estate_a, as_of=dt.date(2026, 12, 2))
    assert len(rows) == 1
    _label, masked, owed = rows[0]
    assert owed == Decimal("300.00") and masked.startswith("o") and set(masked[1:]) == {"*"}
    assert "owner_a" not in masked


def test_fapiao_request_for_own_paid_payment_then_issued(estate_a, household_a, household_b, manager_a):
    user, unit = household_a
    other_user, _other_unit = household_b
    bill = _overdue_bill(estate_a, unit, days=1)
    payment = services.payment_create(bills=[bill], provider="offline", channel="cash", by=manager_a)
    with pytest.raises(NotAllowed):
        services.fapiao_request_create(payment=payment, title="张三", email="a@example.com", by=other_user)
    with pytest.raises(ServiceError):
        services.fapiao_request_create(payment=payment, title="", email="a@example.com", by=user)
    request = services.fapiao_request_create(
        payment=payment, title="某某科技有限公司", tax_id="91420300MA4KXXXX1X", email="a@example.com", by=user
    )
    with pytest.raises(ServiceError):
        services.fapiao_request_create(payment=payment, title="again", email="a@example.com", by=user)
    with pytest.raises(ServiceError):
        services.fapiao_request_decide(request=request, action="issue", by=manager_a)
    issued = services.fapiao_request_decide(
        request=request, action="issue", issued_file=ContentFile(b"%PDF fapiao", name="fp.pdf"), by=manager_a
    )
    assert issued.status == "issued"
    with pytest.raises(TransitionRefused):
        services.fapiao_request_decide(request=issued, action="cancel", by=user)
