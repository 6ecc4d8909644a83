"""Vzenith AlarmInfoPlate over HTTP, with payloads as the cameras send them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from access.models import RawDeviceMessage
from parking import decisions
from parking.models import PlateEvent, Session
from parking.payments import session_payment_start
from parking.transitions import Status
from tests.factories import PermitFactory, UnitFactory, UserFactory, VehicleFactory, VisitorPassFactory

from .conftest import EXIT_TOKEN, alarm, response_of

pytestmark = pytest.mark.django_db


def pay_with_wechat(session: Session) -> None:
    """The driver scans the exit QR code and pays (the demo provider plays WeChat Pay)."""
    from community.billing.services import demo_payment_complete

    payment = session_payment_start(session=session, by="system:test-exit-qr")
    assert payment.provider_params.get("code_url")
    demo_payment_complete(payment=payment, by="system:test")


def _back_date(plate: str, **delta) -> Session:
    session = Session.objects.get(plate=plate, status__in=["open", "awaiting_payment", "paid"])
    Session.objects.filter(pk=session.pk).update(entered_at=session.entered_at - dt.timedelta(**delta))
    return Session.objects.get(pk=session.pk)


def test_permit_car_enters_and_leaves_free(lanes, vz, lot):
    PermitFactory(vehicle=VehicleFactory(estate=lot.estate, plate="鄂C12345"), lot=lot)
    status, answer = vz(alarm("鄂C12345", plateid=101))
    assert status == 200
    assert response_of(answer)["info"] == "ok"
    assert response_of(answer)["content"] == "retransfer_stop"
    assert response_of(answer)["plateid"] == 101
    assert response_of(answer)["serialData"][0]["dataLen"] > 0
    _back_date("鄂C12345", hours=5)
    status, answer = vz(alarm("鄂C12345", plateid=102), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "ok"
    session = Session.objects.get(plate="鄂C12345")
    assert session.status == Status.CLOSED
    assert session.kind == "permit"
    assert session.fee == Decimal("0.00")
    assert [r["code"] for r in session.reasons] == [decisions.PERMIT, decisions.PERMIT]


def test_visitor_pre_registered_by_a_resident_enters_and_leaves(lanes, vz, lot, household_a):
    user, unit = household_a
    VisitorPassFactory(unit=unit, created_by=user, plate="粤B D12345")  # as the resident typed it
    _status, answer = vz(alarm("粤BD12345"))
    assert response_of(answer)["info"] == "ok"
    session = Session.objects.get(plate="粤BD12345")
    assert session.kind == "visitor"
    _back_date("粤BD12345", hours=1)
    _status, answer = vz(alarm("粤BD12345"), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "ok"
    session.refresh_from_db()
    assert session.status == Status.CLOSED and session.fee == 0


def test_temporary_car_pays_at_the_exit_then_leaves(lanes, vz, lot):
    _status, answer = vz(alarm("湘A88888"))
    assert response_of(answer)["info"] == "ok"
    _back_date("湘A88888", hours=2, minutes=10)
    _status, answer = vz(alarm("湘A88888"), token=EXIT_TOKEN)
    reply = response_of(answer)
    assert reply["info"] == "no"
    assert reply["content"] == "retransfer_stop"
    session = Session.objects.get(plate="湘A88888")
    assert session.status == Status.AWAITING_PAYMENT
    assert session.amount_owed == Decimal("9.00")  # 3 started hours at 3 yuan
    led = __import__("base64").b64decode(reply["serialData"][0]["data"])
    assert "请缴费 9元".encode("gb2312") in led
    read = PlateEvent.objects.filter(plate="湘A88888").latest("received_at")
    assert (read.opened, read.reason, read.amount_due) == (False, decisions.FEE_DUE, Decimal("9.00"))

    pay_with_wechat(session)
    _status, answer = vz(alarm("湘A88888"), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "ok"
    session.refresh_from_db()
    assert session.status == Status.CLOSED
    assert session.paid_amount == Decimal("9.00")
    from community.billing.selectors import bill_for_source

    bill = bill_for_source(source="parking.session", source_ref=str(session.pk))
    assert bill.total == Decimal("9.00") and not bill.is_open and bill.item_type == "parking"


def test_short_stay_within_the_free_period_leaves_without_paying(lanes, vz):
    vz(alarm("湘A11111"))
    _status, answer = vz(alarm("湘A11111"), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "ok"
    assert Session.objects.get(plate="湘A11111").status == Status.CLOSED


def test_paid_car_that_overstays_the_grace_owes_the_rest(lanes, vz, lot):
    vz(alarm("湘A22222"))
    _back_date("湘A22222", minutes=50)
    vz(alarm("湘A22222"), token=EXIT_TOKEN)
    session = Session.objects.get(plate="湘A22222")
    pay_with_wechat(session)
    Session.objects.filter(pk=session.pk).update(
        paid_at=timezone.now() - dt.timedelta(minutes=lot.exit_grace_minutes + 1),
        entered_at=timezone.now() - dt.timedelta(minutes=80),
    )
    _status, answer = vz(alarm("湘A22222"), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "no"
    session.refresh_from_db()
    assert session.status == Status.AWAITING_PAYMENT
    assert session.amount_owed == Decimal("3.00")
    assert session.reasons[-1]["code"] == decisions.GRACE_OVER
    # The rest is a second bill: the first, paid, is never reopened.
    assert session.bill_ref == f"{session.pk}.2"
    pay_with_wechat(session)
    _status, answer = vz(alarm("湘A22222"), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "ok"
    session.refresh_from_db()
    assert session.paid_amount == Decimal("6.00")


def test_replayed_record_is_stored_once_and_opens_no_second_session(lanes, vz):
    body = alarm("湘A33333", plateid=555)
    first = vz(body)
    second = vz(body)
    assert response_of(first[1])["info"] == "ok"
    assert response_of(second[1])["content"] == "retransfer_stop"
    # A resend seconds later is the same car still at the barrier: the same answer.
    assert response_of(second[1])["info"] == "ok"
    assert PlateEvent.objects.filter(device_key="555").count() == 1
    assert Session.objects.filter(plate="湘A33333").count() == 1


def test_late_resend_is_acknowledged_but_never_opens(lanes, vz):
    body = alarm("湘A33334", plateid=556)
    vz(body)
    PlateEvent.objects.filter(device_key="556").update(received_at=timezone.now() - dt.timedelta(hours=1))
    _status, answer = vz(body)
    assert response_of(answer)["info"] == "no"
    assert response_of(answer)["content"] == "retransfer_stop"
    assert Session.objects.filter(plate="湘A33334").count() == 1


def test_same_record_at_two_endpoints_is_acted_on_once(lanes, vz, camera_client):
    """A camera with a backup server pushes to both at once: the read reaches two of our
    endpoints (two clients here; tests/parking/test_concurrency.py does it truly at once)."""
    from django.test import Client

    body = alarm("湘A44444", plateid=777)
    vz(body)
    backup = Client(enforce_csrf_checks=True)
    import json

    backup.post("/lpr/vzenith/lpr-entry-token-0001", data=json.dumps(body), content_type="application/json")
    assert PlateEvent.objects.filter(device_key="777").count() == 1
    assert Session.objects.filter(plate="湘A44444").count() == 1


@pytest.mark.parametrize("nested", [True, False])
def test_offline_replay_gets_the_handshake_never_ok(lanes, vz, nested):
    left_at = int((timezone.now() - dt.timedelta(hours=3)).timestamp())
    status, answer = vz(alarm("湘A55555", plateid=900, offline=1, nested=nested, sec=left_at))
    reply = response_of(answer)
    assert status == 200
    assert reply["info"] == "no"
    assert reply["content"] == "retransfer_stop"
    assert reply["ContinuePushOffline"] == {"plateid": 900, "continue": 1}
    assert "serialData" not in reply
    event = PlateEvent.objects.get(device_key="900")
    assert event.offline and not event.opened
    # History still counts: the car is inside since the camera's time.
    session = Session.objects.get(plate="湘A55555")
    assert abs((session.entered_at - event.device_time).total_seconds()) < 1


def test_offline_exit_replay_closes_the_stay_without_opening(lanes, vz):
    vz(alarm("湘A66666"))
    _back_date("湘A66666", hours=3)
    an_hour_ago = int((timezone.now() - dt.timedelta(hours=1, minutes=5)).timestamp())
    _status, answer = vz(alarm("湘A66666", offline=1, sec=an_hour_ago), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "no"
    session = Session.objects.get(plate="湘A66666")
    assert session.status == Status.FORCED  # left unpaid while the camera was offline
    assert session.fee == Decimal("6.00")
    assert session.reasons[-1]["code"] == decisions.OFFLINE_EXIT_UNPAID


def test_no_plate_is_stored_for_a_manual_decision(lanes, vz):
    _status, answer = vz(alarm("_无_"))
    assert response_of(answer)["info"] == "no"
    event = PlateEvent.objects.get()
    assert event.plate == "_无_" and event.needs_staff and event.reason == decisions.NO_PLATE
    assert not Session.objects.exists()


def test_full_lot_turns_temporary_cars_away_but_not_permit_holders(lanes, vz, lot):
    for plate in ["湘A00001", "湘A00002", "湘A00003"]:
        assert response_of(vz(alarm(plate))[1])["info"] == "ok"
    _status, answer = vz(alarm("湘A00004"))
    assert response_of(answer)["info"] == "no"
    assert PlateEvent.objects.get(plate="湘A00004").reason == decisions.LOT_FULL
    PermitFactory(vehicle=VehicleFactory(estate=lot.estate, plate="湘A00005"), lot=lot)
    assert response_of(vz(alarm("湘A00005"))[1])["info"] == "ok"


def test_exit_without_entry_is_reconciled_by_the_lot_rule(lanes, vz, lot):
    _status, answer = vz(alarm("湘A77777"), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "ok"
    session = Session.objects.get(plate="湘A77777")
    assert session.status == Status.CLOSED and session.entered_at is None
    assert session.reasons[0]["code"] == decisions.NO_ENTRY_RECORD

    lot.reconcile_rule = "staff"
    lot.save()
    _status, answer = vz(alarm("湘A77778"), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "no"
    assert PlateEvent.objects.get(plate="湘A77778").needs_staff


def test_second_entry_without_exit_closes_the_first_stay(lanes, vz):
    vz(alarm("湘A12121"))
    _back_date("湘A12121", hours=1, minutes=50)
    _status, answer = vz(alarm("湘A12121"))
    assert response_of(answer)["info"] == "ok"
    stays = list(Session.objects.filter(plate="湘A12121").order_by("pk"))
    assert [s.status for s in stays] == [Status.FORCED, Status.OPEN]
    assert stays[0].fee == Decimal("6.00")


def test_body_that_is_not_json_is_refused_and_kept_raw(lanes, vz):
    status, answer = vz(None, raw=b'{"AlarmInfoPlate": {"result": ')
    assert status == 400
    assert "JSON" in answer["error"]
    kept = RawDeviceMessage.objects.get()
    assert bytes(kept.body) == b'{"AlarmInfoPlate": {"result": '
    assert "lpr-entry-token" not in kept.path
    assert not PlateEvent.objects.exists()


def test_unknown_token_is_refused(vz, lanes):
    status, _ = vz(alarm("湘A12345"), token="no-such-token-0000")
    assert status == 401


def test_picture_sent_inline_is_kept(lanes, vz):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
    vz(alarm("湘A31313", image=jpeg))
    event = PlateEvent.objects.get(plate="湘A31313")
    assert event.image.read() == jpeg


def test_owner_of_a_space_enters_and_a_second_household_car_is_temporary(lanes, vz, lot, estate_a):
    from tests.factories import SpaceFactory

    space = SpaceFactory(lot=lot, kind="owned")
    VehicleFactory(estate=estate_a, plate="鄂C50001", space=space)
    VehicleFactory(estate=estate_a, plate="鄂C50002", space=space)
    vz(alarm("鄂C50001"))
    vz(alarm("鄂C50002"))
    kinds = dict(Session.objects.values_list("plate", "kind"))
    assert kinds == {"鄂C50001": "space", "鄂C50002": "temporary"}
    reasons = dict(PlateEvent.objects.values_list("plate", "reason"))
    assert reasons["鄂C50002"] == decisions.SPACE_TAKEN_TEMPORARY


def test_tandem_pair_holds_two_cars(lanes, vz, lot, estate_a):
    from tests.factories import SpaceFactory

    outer = SpaceFactory(lot=lot, kind="owned")
    SpaceFactory(lot=lot, kind="owned", tandem_with=outer)
    for plate in ("鄂C60001", "鄂C60002"):
        VehicleFactory(estate=estate_a, plate=plate, space=outer)
    vz(alarm("鄂C60001"))
    vz(alarm("鄂C60002"))
    assert set(Session.objects.values_list("kind", flat=True)) == {"space"}


def test_property_fee_arrears_never_block_a_car(lanes, vz, lot, household_a):
    """Local regulations forbid restricting vehicle access to collect property fees: the
    decision never looks at property bills, only at this stay's parking fee."""
    user, unit = household_a
    from community.residents.models import Resident

    owner = Resident.objects.get(user=user)
    VehicleFactory(estate=lot.estate, plate="鄂C99999", owner=owner)
    from community.billing.services import charge_post

    arrears = charge_post(
        estate=lot.estate,
        payer_unit=unit,
        item_type="property_fee",
        amount=Decimal("2400.00"),
        description="2025 物业费",
        source="test.arrears",
        source_ref="1",
        by="system:test",
    )
    assert arrears.is_open
    assert response_of(vz(alarm("鄂C99999"))[1])["info"] == "ok"
    assert response_of(vz(alarm("鄂C99999"), token=EXIT_TOKEN)[1])["info"] == "ok"


def test_pass_of_another_estate_does_not_open(lanes, vz, estate_b):
    unit = UnitFactory(building__estate=estate_b)
    VisitorPassFactory(unit=unit, created_by=UserFactory(), plate="湘A40404")
    vz(alarm("湘A40404"))
    assert Session.objects.get(plate="湘A40404").kind == "temporary"


def test_inner_lot_permit_opens_the_outer_barrier_but_not_the_reverse(lanes, vz, lot, estate_a):
    """厂中厂: a garage inside the lot, behind its own barrier, not charged separately."""
    from tests.factories import LaneFactory, LotFactory, PlateCameraFactory

    garage = LotFactory(
        estate=estate_a, parent=lot, name="地下车库", allow_temporary=False, charge_separately=False
    )
    LaneFactory(
        lot=garage, device=PlateCameraFactory(estate=estate_a, token="garage-entry-token-1"), direction="in"
    )
    PermitFactory(vehicle=VehicleFactory(estate=estate_a, plate="鄂C80001"), lot=garage)
    PermitFactory(vehicle=VehicleFactory(estate=estate_a, plate="鄂C80002"), lot=lot)
    for plate in ("鄂C80001", "鄂C80002"):
        vz(alarm(plate))  # the outer barrier
    assert set(Session.objects.filter(lot=lot).values_list("kind", flat=True)) == {"permit"}
    assert response_of(vz(alarm("鄂C80001"), token="garage-entry-token-1")[1])["info"] == "ok"
    assert response_of(vz(alarm("鄂C80002"), token="garage-entry-token-1")[1])["info"] == "no"
    assert not garage.charges
