"""Paying for a stay through community.billing: the exit QR page, booth cash, permit prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.billing.selectors import bill_for_source
from community.errors import NotAllowed, ServiceError
from parking import services
from parking.models import Session
from parking.payments import session_pay
from tests.factories import StaffFactory, VehicleFactory

from .conftest import EXIT_TOKEN, alarm, response_of

pytestmark = pytest.mark.django_db


def _refused_at_exit(vz, plate: str) -> Session:
    vz(alarm(plate))
    Session.objects.filter(plate=plate).update(entered_at=timezone.now() - dt.timedelta(hours=3, minutes=30))
    assert response_of(vz(alarm(plate), token=EXIT_TOKEN)[1])["info"] == "no"
    return Session.objects.get(plate=plate)


def test_driver_scans_the_exit_qr_pays_and_the_barrier_opens(lanes, vz, client, exit_lane):
    session = _refused_at_exit(vz, "湘A90001")
    page = client.get(f"/parking/pay/{exit_lane.pay_token}/")
    html = page.content.decode()
    assert "湘A90001" in html and "12.00" in html
    response = client.post(f"/parking/pay/{exit_lane.pay_token}/{session.pk}/")
    assert response.status_code == 302 and "paid=" in response["Location"]
    session.refresh_from_db()
    assert session.status == "paid" and session.paid_amount == Decimal("12.00")
    assert response_of(vz(alarm("湘A90001"), token=EXIT_TOKEN)[1])["info"] == "ok"


def test_a_forged_lane_token_shows_nothing(client, lanes):
    assert client.get("/parking/pay/lane.1:forged/").status_code == 404


def test_pay_ahead_from_inside_the_lot_by_plate(lanes, vz, client, exit_lane):
    vz(alarm("湘A90002"))
    Session.objects.filter(plate="湘A90002").update(entered_at=timezone.now() - dt.timedelta(minutes=50))
    session = Session.objects.get(plate="湘A90002")
    assert "湘A90002" in client.get(f"/parking/pay/{exit_lane.pay_token}/?plate=湘A 90002").content.decode()
    client.post(f"/parking/pay/{exit_lane.pay_token}/{session.pk}/")
    session.refresh_from_db()
    assert session.status == "paid" and session.paid_amount == Decimal("3.00")
    assert response_of(vz(alarm("湘A90002"), token=EXIT_TOKEN)[1])["info"] == "ok"


def test_cash_at_the_booth_is_an_offline_payment_by_staff_only(lanes, vz, estate_a, manager_b):
    session = _refused_at_exit(vz, "湘A90003")
    with pytest.raises(NotAllowed):
        session_pay(session=session, amount=Decimal("12.00"), by=manager_b)
    guard = StaffFactory(estate=estate_a, role=StaffRole.SECURITY, username="booth_guard")
    with pytest.raises(ServiceError):
        session_pay(session=session, amount=Decimal("5.00"), by=guard)
    session_pay(session=session, amount=Decimal("12.00"), by=guard)
    session.refresh_from_db()
    assert session.status == "paid"
    assert not bill_for_source(source="parking.session", source_ref=str(session.pk)).is_open


def test_a_permit_price_is_a_bill_to_the_owners_household(lot, manager_a, household_a):
    from community.residents.models import Resident

    user, unit = household_a
    vehicle = VehicleFactory(estate=lot.estate, owner=Resident.objects.get(user=user))
    permit = services.permit_create(
        vehicle=vehicle,
        lot=lot,
        kind="monthly",
        valid_from=timezone.now(),
        price=Decimal("300"),
        by=manager_a,
    )
    bill = bill_for_source(source="parking.permit", source_ref=str(permit.pk))
    assert bill.total == Decimal("300.00") and bill.payer_unit == unit
    from community.billing.services import demo_payment_complete, payment_create

    payment = payment_create(bills=[bill], provider="demo", channel="native", by=user)
    demo_payment_complete(payment=payment, by=user)
    permit.refresh_from_db()
    assert permit.paid_amount == Decimal("300.00")
    assert permit.valid_until - permit.valid_from == dt.timedelta(days=30)


def test_other_estate_manager_cannot_issue_permits(lot, manager_b):
    with pytest.raises(NotAllowed):
        services.permit_create(
            vehicle=VehicleFactory(estate=lot.estate),
            lot=lot,
            kind="monthly",
            valid_from=timezone.now(),
            by=manager_b,
        )


def test_fee_rules_are_versioned_and_a_stay_keeps_its_own(lanes, vz, lot, manager_a, fee_rule):
    vz(alarm("湘A90004"))
    services.fee_rule_publish(lot=lot, price_per_unit=Decimal("10"), by=manager_a)
    session = Session.objects.get(plate="湘A90004")
    assert session.fee_rule == fee_rule
    Session.objects.filter(pk=session.pk).update(entered_at=timezone.now() - dt.timedelta(minutes=50))
    vz(alarm("湘A90004"), token=EXIT_TOKEN)
    session.refresh_from_db()
    assert session.fee == Decimal("3.00")  # the old price, not 10
    vz(alarm("湘A90005"))
    assert Session.objects.get(plate="湘A90005").fee_rule.version == fee_rule.version + 1
