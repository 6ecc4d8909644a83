"""Hikvision ANPR cameras decide from their own allow-list: it follows permits, space holders
and visitor passes, pushed with Digest authentication to a local fake camera."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parking import services
from parking.models import AllowListEntry, GateAction, LaneDirection
from parking.services.allowlist import allowlist_sync, allowlists_sync
from tests.factories import (
    LaneFactory,
    PermitFactory,
    PlateCameraFactory,
    SpaceFactory,
    VehicleFactory,
    VisitorPassFactory,
)

from .fake_hikvision import FakeCamera

pytestmark = pytest.mark.django_db
BY = "system:test"


@pytest.fixture
def camera():
    with FakeCamera() as fake:
        yield fake


@pytest.fixture
def hik_lane(lot, camera):
    device = PlateCameraFactory(estate=lot.estate, token="hik-allowlist-0001", protocol="hikvision")
    return LaneFactory(
        lot=lot,
        device=device,
        direction=LaneDirection.IN,
        barrier_url=camera.url,
        barrier_username="admin",
        barrier_password="secret",
    )


@pytest.fixture
def cars(lot, household_a, household_b):
    """Who may come in, and who may not."""
    user, unit = household_a
    permit = PermitFactory(vehicle=VehicleFactory(estate=lot.estate, plate="鄂C10001"), lot=lot)
    VehicleFactory(estate=lot.estate, plate="鄂C10002", space=SpaceFactory(lot=lot, kind="owned"))
    VisitorPassFactory(unit=unit, created_by=user, plate="粤B D12345")
    # Not let in: not approved, permit revoked, pass used up, a public space, another estate's pass.
    PermitFactory(vehicle=VehicleFactory(estate=lot.estate, plate="鄂C10003", approved=False), lot=lot)
    PermitFactory(
        vehicle=VehicleFactory(estate=lot.estate, plate="鄂C10004"), lot=lot, revoked_at=timezone.now()
    )
    VisitorPassFactory(unit=unit, created_by=user, plate="粤B00001", max_entries=1, entries_used=1)
    VehicleFactory(estate=lot.estate, plate="鄂C10005", space=SpaceFactory(lot=lot, kind="public"))
    other_user, other_unit = household_b
    VisitorPassFactory(unit=other_unit, created_by=other_user, plate="粤B00002")
    return permit


def test_the_camera_gets_the_plates_our_rules_let_in(hik_lane, camera, cars):
    result = allowlist_sync(lane=hik_lane, by=BY)
    assert result.ok, result.detail
    assert camera.plates == {"鄂C10001", "鄂C10002", "粤BD12345"}
    permit_item = next(i for i in camera.allow_list.values() if i["LicensePlate"] == "鄂C10001")
    assert (
        permit_item["effectiveTime"]
        == (cars.valid_until - dt.timedelta(seconds=1)).astimezone(hik_lane.device.tzinfo).date().isoformat()
    )
    action = GateAction.objects.get(kind="allowlist_sync")
    assert action.ok and action.detail == "+3 −0" and action.by == BY
    # Nothing changed: the camera is not called again, nothing new recorded.
    calls = len(camera.calls)
    assert allowlist_sync(lane=hik_lane, by=BY).ok
    assert len(camera.calls) == calls and GateAction.objects.filter(kind="allowlist_sync").count() == 1


def test_a_revoked_permit_leaves_the_camera(
    hik_lane, camera, cars, manager_a, django_capture_on_commit_callbacks
):
    allowlist_sync(lane=hik_lane, by=BY)
    # The service asks for a sync once it commits (the task runs eagerly here).
    with django_capture_on_commit_callbacks(execute=True):
        services.permit_revoke(permit=cars, by=manager_a)
    assert "鄂C10001" not in camera.plates
    assert not AllowListEntry.objects.filter(plate="鄂C10001").exists()


def test_a_new_visitor_plate_reaches_the_camera(
    hik_lane, camera, household_a, django_capture_on_commit_callbacks
):
    user, unit = household_a
    with django_capture_on_commit_callbacks(execute=True):
        VisitorPassFactory(unit=unit, created_by=user, plate="粤B99999")
    assert camera.plates == {"粤B99999"}


def test_a_move_out_takes_the_leavers_visitor_plate_off_the_camera(
    hik_lane, camera, household_a, manager_a, django_capture_on_commit_callbacks
):
    """Issue 11: move-out revokes the leaver's passes, pushed to the devices like a card."""
    from community.residents.models import Occupancy
    from community.residents.services import occupancy_end

    user, unit = household_a
    with django_capture_on_commit_callbacks(execute=True):
        VisitorPassFactory(unit=unit, created_by=user, plate="粤B77777")
    assert camera.plates == {"粤B77777"}
    with django_capture_on_commit_callbacks(execute=True):
        occupancy_end(occupancy=Occupancy.objects.get(unit=unit, resident__user=user), by=manager_a)
    assert camera.plates == set()


def test_a_camera_that_cannot_be_reached_is_shown_to_staff_and_caught_up_later(
    lot, cars, camera, client_for, security_a
):
    device = PlateCameraFactory(estate=lot.estate, token="hik-allowlist-0002", protocol="hikvision")
    lane = LaneFactory(
        lot=lot,
        device=device,
        barrier_url="http://127.0.0.1:9",
        barrier_username="admin",
        barrier_password="x",
    )
    result = allowlist_sync(lane=lane, by=BY)
    assert not result.ok and "unreachable" in result.detail
    assert not GateAction.objects.get(kind="allowlist_sync").ok
    assert not AllowListEntry.objects.filter(lane=lane, confirmed=True).exists()
    page = client_for(security_a).get("/staff/parking/").content.decode()
    assert "unreachable" in page
    # The camera is back (its address fixed): the same plates go, once.
    lane.barrier_url, lane.barrier_password = camera.url, "secret"
    lane.save()
    assert allowlist_sync(lane=lane, by=BY).ok
    assert camera.plates == {"鄂C10001", "鄂C10002", "粤BD12345"}
    assert AllowListEntry.objects.filter(lane=lane, confirmed=True).count() == 3


def test_a_wrong_password_or_a_refusal_is_a_failure(hik_lane, camera, cars):
    hik_lane.barrier_password = "wrong"
    hik_lane.save()
    result = allowlist_sync(lane=hik_lane, by=BY)
    assert not result.ok and "401" in result.detail
    hik_lane.barrier_password = "secret"
    hik_lane.save()
    camera.refuse = True
    result = allowlist_sync(lane=hik_lane, by=BY)
    assert not result.ok and "full" in result.detail
    assert camera.plates == set()


def test_the_periodic_job_syncs_only_cameras_that_keep_a_list(hik_lane, lanes, camera, cars):
    """Vzenith lanes (decided by our answer) are left alone."""
    results = allowlists_sync(by=BY)
    assert len(results) == 1 and results[0].ok
    assert camera.plates == {"鄂C10001", "鄂C10002", "粤BD12345"}
