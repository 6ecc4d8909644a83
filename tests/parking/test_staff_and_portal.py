"""Staff screen, barrier decisions by hand (audited), live occupancy over the websocket, the
resident portal, and the scoping lines between estates and households."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.consumers import EventsConsumer
from community.errors import NotAllowed, ServiceError
from community.residents.models import Resident
from parking import services
from parking.models import GateAction, PlateEvent, Session, Vehicle
from tests.factories import (
    LotFactory,
    PermitFactory,
    VehicleFactory,
    VisitorPassFactory,
)

from .conftest import alarm, response_of

pytestmark = pytest.mark.django_db


def test_staff_screen_shows_occupancy_reads_and_what_waits(lanes, vz, client_for, security_a):
    vz(alarm("湘A10001"))
    vz(alarm("_无_"))
    page = client_for(security_a).get("/staff/parking/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "湘A10001" in html and "_无_" in html
    assert "data-inside>1<" in html


def test_other_estate_staff_cannot_see_or_act(lanes, vz, client_for, manager_b, entry_lane):
    vz(alarm("湘A10002"))
    client = client_for(manager_b)
    assert "湘A10002" not in client.get("/staff/parking/").content.decode()
    session = Session.objects.get(plate="湘A10002")
    assert client.post(f"/staff/parking/sessions/{session.pk}/close/", {"reason": "x"}).status_code == 404
    assert client.post(f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "x"}).status_code == 404
    with pytest.raises(NotAllowed):
        services.session_close_manual(session=session, reason="x", by=manager_b)


def test_residents_cannot_open_the_staff_screen(client_for, household_a, lanes):
    user, _unit = household_a
    assert client_for(user).get("/staff/parking/").status_code == 403


def test_open_by_hand_needs_a_reason_and_is_audited(lanes, vz, client_for, security_a, entry_lane):
    vz(alarm("_无_"))
    event = PlateEvent.objects.get()
    client = client_for(security_a)
    client.post(f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "", "event": event.pk})
    assert not GateAction.objects.exists()
    client.post(
        f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "无牌车，业主来访", "event": event.pk}
    )
    action = GateAction.objects.get()
    assert (action.kind, action.reason, action.by) == (
        "manual_open",
        "无牌车，业主来访",
        f"user:{security_a.pk}",
    )
    event.refresh_from_db()
    assert not event.needs_staff


def test_close_a_stay_by_hand_with_a_reason(lanes, vz, security_a):
    vz(alarm("湘A10003"))
    session = Session.objects.get(plate="湘A10003")
    with pytest.raises(ServiceError):
        services.session_close_manual(session=session, reason=" ", by=security_a)
    services.session_close_manual(session=session, reason="车已从消防通道离开", by=security_a)
    session.refresh_from_db()
    assert session.status == "forced"
    assert session.reasons[-1]["code"] == "manual_close"


def test_misread_plate_corrected_and_the_stay_follows_the_permit(lanes, vz, lot, security_a, exit_lane):
    PermitFactory(vehicle=VehicleFactory(estate=lot.estate, plate="鄂C12345"), lot=lot)
    vz(alarm("鄂C12845"))  # misread at the entry: a temporary stay
    session = Session.objects.get(plate="鄂C12845")
    assert session.kind == "temporary"
    services.session_plate_correct(session=session, plate="鄂C 12345", reason="入口误识别", by=security_a)
    session.refresh_from_db()
    assert (session.plate, session.kind) == ("鄂C12345", "permit")
    Session.objects.filter(pk=session.pk).update(entered_at=timezone.now() - dt.timedelta(hours=5))
    _status, answer = vz(alarm("鄂C12345"), token="lpr-exit-token-00001")
    assert response_of(answer)["info"] == "ok"


def test_occupancy_is_pushed_live_to_staff_of_the_estate_only(
    lanes, vz, manager_a, manager_b, django_capture_on_commit_callbacks, lot
):
    group = f"estate.{lot.estate_id}.parking"

    def read():
        with django_capture_on_commit_callbacks(execute=True):
            vz(alarm("湘A10004"))
        with django_capture_on_commit_callbacks(execute=True):
            vz(alarm("湘A10004"), token="lpr-exit-token-00001")

    async def scenario():
        staff = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
        staff.scope["user"] = manager_a
        assert (await staff.connect())[0]
        await staff.send_json_to({"action": "subscribe", "group": group})
        assert await staff.receive_json_from(timeout=3) == {"subscribed": group}
        stranger = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
        stranger.scope["user"] = manager_b
        assert (await stranger.connect())[0]
        await stranger.send_json_to({"action": "subscribe", "group": group})
        assert (await stranger.receive_json_from(timeout=3))["error"] == "forbidden"
        await sync_to_async(read)()
        message = await staff.receive_json_from(timeout=3)
        assert message["event"]["type"] == "parking.read"
        assert message["event"]["plate"] == "湘A10004" and message["event"]["opened"] is True
        assert message["event"]["occupancy"] == {"lot": lot.pk, "inside": 1, "capacity": lot.capacity}
        # The exit's count comes from its own locked read of the stay: the car is gone.
        message = await staff.receive_json_from(timeout=3)
        assert message["event"]["occupancy"] == {"lot": lot.pk, "inside": 0, "capacity": lot.capacity}
        await staff.disconnect()
        await stranger.disconnect()

    async_to_sync(scenario)()


def test_staff_screen_queries_do_not_grow_with_the_data(lanes, vz, client_for, manager_a, lot):
    client = client_for(manager_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/staff/parking/").status_code == 200
        return len(ctx)

    for i in range(3):
        vz(alarm(f"湘B{i:05d}"))
    small = count()
    LotFactory(estate=lot.estate, capacity=5)
    for i in range(3, 12):
        VehicleFactory(estate=lot.estate, plate=f"湘C{i:05d}")
        vz(alarm(f"湘B{i:05d}"))
    vz(alarm("_无_"))
    assert count() <= small + 1  # the "waiting" list appears: one more lane lookup at most


# --- portal -----------------------------------------------------------------------------------------


def test_resident_registers_a_car_that_waits_for_approval(client_for, household_a, manager_a, estate_a):
    user, _unit = household_a
    client = client_for(user)
    response = client.post(
        "/portal/parking/", {"plate": "鄂c 88888", "owner": Resident.objects.get(user=user).pk}
    )
    assert response.status_code == 302
    vehicle = Vehicle.objects.get(plate="鄂C88888")
    assert not vehicle.approved
    assert "鄂C88888" in client.get("/portal/parking/").content.decode()
    services.vehicle_approve(vehicle=vehicle, by=manager_a)
    assert Vehicle.objects.get(pk=vehicle.pk).approved


def test_bad_plate_says_what_is_wrong(client_for, household_a, in_english):
    user, _unit = household_a
    response = client_for(user).post(
        "/portal/parking/", {"plate": "ABC", "owner": Resident.objects.get(user=user).pk}
    )
    assert response.status_code == 200
    assert "is not a plate" in response.content.decode()
    assert not Vehicle.objects.exists()


def test_resident_cannot_register_a_car_for_another_household(client_for, household_a, household_b):
    user, _unit = household_a
    other_owner = Resident.objects.get(user=household_b[0])
    with pytest.raises(NotAllowed):
        services.vehicle_register(owner=other_owner, plate="鄂C77777", by=user)
    response = client_for(user).post("/portal/parking/", {"plate": "鄂C77777", "owner": other_owner.pk})
    assert response.status_code == 200  # not among the choices
    assert not Vehicle.objects.exists()


def test_portal_shows_only_my_household(client_for, household_a, household_b, lot):
    mine = VehicleFactory(
        estate=lot.estate, plate="鄂C11111", owner=Resident.objects.get(user=household_a[0])
    )
    VehicleFactory(
        estate=household_b[1].building.estate,
        plate="鄂C22222",
        owner=Resident.objects.get(user=household_b[0]),
    )
    PermitFactory(vehicle=mine, lot=lot)
    VisitorPassFactory(unit=household_a[1], created_by=household_a[0], plate="粤BD12345")
    VisitorPassFactory(unit=household_b[1], created_by=household_b[0], plate="粤BD99999")
    html = client_for(household_a[0]).get("/portal/parking/").content.decode()
    assert "鄂C11111" in html and "粤BD12345" in html
    assert "鄂C22222" not in html and "粤BD99999" not in html


def test_portal_queries_do_not_grow(client_for, household_a, lot):
    user, _unit = household_a
    owner = Resident.objects.get(user=user)
    client = client_for(user)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client.get("/portal/parking/")
        return len(ctx)

    VehicleFactory(estate=lot.estate, owner=owner)
    small = count()
    for _ in range(4):
        PermitFactory(vehicle=VehicleFactory(estate=lot.estate, owner=owner), lot=lot)
    assert count() == small


def test_an_over_long_reason_is_refused_whole_never_cut(lanes, security_a, entry_lane):
    # A reason cut at 200 characters would be read later as the whole story.
    with pytest.raises(ServiceError) as refused:
        services.barrier_open_manual(lane=entry_lane, reason="很" * 161, by=security_a)
    assert refused.value.message_dict == {"reason": ["最多 160 个字符（当前 161 个）。"]}
    assert not GateAction.objects.exists()
    action = services.barrier_open_manual(lane=entry_lane, reason="很" * 160, by=security_a)
    assert action.reason == "很" * 160


def test_the_booth_screen_shows_the_refusal_of_an_over_long_reason_with_both_lengths(
    lanes, client_for, security_a, entry_lane
):
    page = client_for(security_a).post(
        f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "很" * 161}, follow=True
    )
    assert "最多 160 个字符（当前 161 个）。" in page.content.decode()
    assert not GateAction.objects.exists()


def test_reads_queued_together_fold_into_one_message_oldest_first_up_to_the_screen_limit():
    from parking.services.reads import LIVE_READS_LIMIT, merge_live_reads

    first = {"type": "parking.read", "id": 1}
    second = {"type": "parking.read", "id": 2}
    merged = merge_live_reads(first, second)
    assert merged == {"type": "parking.reads", "reads": [first, second]}
    for n in range(3, LIVE_READS_LIMIT + 10):
        merged = merge_live_reads(merged, {"type": "parking.read", "id": n})
    assert len(merged["reads"]) == LIVE_READS_LIMIT
    assert merged["reads"][-1]["id"] == LIVE_READS_LIMIT + 9  # the newest kept, the oldest dropped
    # Other messages of the group keep their place in the order: never folded into reads.
    assert merge_live_reads(merged, {"type": "parking.occupancy", "occupancy": {}}) is None
    assert merge_live_reads({"type": "parking.barrier_failed"}, first) is None
