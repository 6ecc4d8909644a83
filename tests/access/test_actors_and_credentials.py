"""Who did it is recorded (the required ``by``), credential changes reach the devices that keep
their own user list, and over-long input is refused, never cut short."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from access.models import (
    AccessAudit,
    AuditAction,
    Credential,
    Device,
    DeviceCommand,
    RawDeviceMessage,
    RawStatus,
    VisitorPass,
)
from access.services import (
    actor_columns,
    credential_issue,
    credential_update,
    credentials_sync_due,
    movement_lookup_record,
    visitor_pass_create,
)
from community.errors import NotAllowed, ServiceError
from community.residents.services import occupancy_end
from tests.factories import DeviceFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SYNC_JOB = "system:credentials-sync"
SN = "ZKACTOR001"


@pytest.fixture
def zk(estate_a, gate_a):
    return DeviceFactory(estate=estate_a, gate=gate_a, protocol="zkteco", serial_number=SN, token=None)


def _poll(device) -> list[str]:
    """What the panel receives on its next poll (ZKTeco getrequest)."""
    return Client().get(f"/iclock/getrequest?SN={device.serial_number}").content.decode().splitlines()


def _commands(device) -> list[str]:
    return list(DeviceCommand.objects.filter(device=device).order_by("pk").values_list("command", flat=True))


def _local(value: dt.datetime) -> dict[str, str]:
    """An admin split date/time widget's fields for ``value``."""
    value = timezone.localtime(value)
    return {"0": value.strftime("%Y-%m-%d"), "1": value.strftime("%H:%M:%S")}


def _credential_form(resident, value, *, valid_from=None, valid_until=None) -> dict:
    data = {"resident": resident.pk, "kind": "card", "value": value}
    for name, at in (("valid_from", valid_from), ("valid_until", valid_until)):
        for part, text in (_local(at) if at else {"0": "", "1": ""}).items():
            data[f"{name}_{part}"] = text
    return data


# --- the admin saves credentials through the services ------------------------------------------


def test_admin_issue_records_the_staff_member_and_queues_the_device_user(zk, manager_a, estate_a, client_for):
    resident = ResidentFactory(estate=estate_a, name="赵六")
    response = client_for(manager_a).post(
        "/admin/access/credential/add/", _credential_form(resident, "55550001"), follow=True
    )
    assert response.status_code == 200
    credential = Credential.objects.get(value="55550001")
    audit = AccessAudit.objects.get(credential=credential)
    assert (audit.action, audit.by_user, audit.by_system) == (AuditAction.CREDENTIAL_ISSUED, manager_a, "")
    assert _commands(zk) == [f"DATA UPDATE USERINFO PIN={resident.pk}\tPri=0\tCard=55550001"]


def test_admin_refusing_a_create_shows_only_the_error(zk, manager_a, estate_a, client_for, in_english):
    resident = ResidentFactory(estate=estate_a)
    credential_issue(resident=resident, kind="card", value="55550002", by=manager_a)
    response = client_for(manager_a).post(
        "/admin/access/credential/add/", _credential_form(ResidentFactory(estate=estate_a), "55550002")
    )
    page = response.content.decode()
    assert response.status_code == 200  # the form again, not a redirect to the list
    assert "already issued in this estate" in page
    assert "was added successfully" not in page
    assert Credential.objects.filter(value="55550002").count() == 1
    assert len(_commands(zk)) == 1  # only the first issue's command


def test_a_shortened_validity_reaches_the_zkteco_device_as_a_command(zk, manager_a, estate_a, client_for):
    """Ending a card's validity now in the admin deletes the resident's user on the panel."""
    resident = ResidentFactory(estate=estate_a)
    start = timezone.now() - dt.timedelta(days=10)
    credential = credential_issue(
        resident=resident,
        kind="card",
        value="55550003",
        valid_from=start,
        valid_until=timezone.now() + dt.timedelta(days=365),
        by=manager_a,
    )
    ended = timezone.now() - dt.timedelta(minutes=1)
    response = client_for(manager_a).post(
        f"/admin/access/credential/{credential.pk}/change/",
        _credential_form(resident, "55550003", valid_from=start, valid_until=ended),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    credential.refresh_from_db()
    assert credential.valid_until.replace(microsecond=0) == ended.replace(microsecond=0)
    assert _commands(zk)[-1] == f"DATA DELETE USERINFO PIN={resident.pk}"
    lines = _poll(zk)
    assert f"DATA DELETE USERINFO PIN={resident.pk}" in lines[-1]
    audit = AccessAudit.objects.filter(action=AuditAction.CREDENTIAL_UPDATED).get()
    assert audit.by_user == manager_a
    assert audit.params["was_valid_until"] > audit.params["valid_until"]


def test_a_validity_shortened_to_later_reaches_the_device_when_it_ends(zk, manager_a, estate_a):
    resident = ResidentFactory(estate=estate_a)
    credential = credential_issue(resident=resident, kind="card", value="55550004", by=manager_a)
    end = timezone.now() + dt.timedelta(seconds=1)
    credential_update(credential=credential, valid_from=None, valid_until=end, by=manager_a)
    assert _commands(zk)[-1].startswith("DATA UPDATE USERINFO")  # still valid: kept on the panel
    assert credentials_sync_due(by=SYNC_JOB) == 0
    time.sleep(max((end - timezone.now()).total_seconds(), 0) + 0.05)
    assert credentials_sync_due(by=SYNC_JOB) == 1
    assert _commands(zk)[-1] == f"DATA DELETE USERINFO PIN={resident.pk}"
    assert credentials_sync_due(by=SYNC_JOB) == 0  # once


def test_a_card_valid_from_later_reaches_the_device_when_it_begins(zk, manager_a, estate_a):
    resident = ResidentFactory(estate=estate_a, name="吴九")
    start = timezone.now() + dt.timedelta(seconds=1)
    credential_issue(resident=resident, kind="card", value="55550009", valid_from=start, by=manager_a)
    assert "Card=55550009" not in _commands(zk)[-1]  # not valid yet: the panel must not open for it
    time.sleep(max((start - timezone.now()).total_seconds(), 0) + 0.05)
    assert credentials_sync_due(by=SYNC_JOB) == 1
    assert _commands(zk)[-1] == f"DATA UPDATE USERINFO PIN={resident.pk}	Pri=0	Card=55550009"


def test_revoking_one_of_two_cards_keeps_the_user_with_the_other_card(zk, manager_a, estate_a):
    from access.models import RevokeReason
    from access.services import credential_revoke

    resident = ResidentFactory(estate=estate_a, name="孙七")
    first = credential_issue(resident=resident, kind="card", value="55550005", by=manager_a)
    credential_issue(resident=resident, kind="card", value="55550006", by=manager_a)
    credential_revoke(credential=first, reason=RevokeReason.STAFF, by=manager_a)
    assert _commands(zk)[-1] == f"DATA UPDATE USERINFO PIN={resident.pk}\tPri=0\tCard=55550006"


def test_a_revoked_credential_cannot_be_changed(manager_a, estate_a):
    from access.models import RevokeReason
    from access.services import credential_revoke

    credential = credential_issue(
        resident=ResidentFactory(estate=estate_a), kind="pin", value="1234", by=manager_a
    )
    credential_revoke(credential=credential, reason=RevokeReason.STAFF, by=manager_a)
    with pytest.raises(ServiceError):
        credential_update(credential=credential, valid_from=None, valid_until=timezone.now(), by=manager_a)


# --- the actor of automatic acts ----------------------------------------------------------------


def test_move_out_revocation_is_recorded_as_the_move_out(household_a, manager_a):
    user, _unit = household_a
    resident = user.resident_records.get()
    credential = credential_issue(resident=resident, kind="card", value="55550007", by=manager_a)
    occupancy_end(occupancy=resident.occupancies.get(), by=manager_a)
    audit = AccessAudit.objects.get(credential=credential, action=AuditAction.CREDENTIAL_REVOKED)
    # The signal names who ended the occupancy; the revocation is recorded as their act.
    assert (audit.by_user, audit.params) == (manager_a, {"reason": "move-out"})


@pytest.mark.parametrize("by", ["root", "system:", "", None, 42])
def test_an_actor_that_is_neither_user_device_nor_system_job_is_refused(by):
    with pytest.raises(TypeError):
        actor_columns(by)


def test_a_device_as_actor_is_named_by_its_id(native_device):
    assert actor_columns(native_device) == {"by_user": None, "by_system": f"device:{native_device.pk}"}


# --- devices: approval, tokens, replay ----------------------------------------------------------


def test_approving_and_rotating_in_the_admin_records_who(manager_a, estate_a, client_for):
    device = DeviceFactory(estate=estate_a, approved=False, token="pending-token-0002")
    client = client_for(manager_a)
    client.post("/admin/access/device/", {"action": "approve", "_selected_action": [device.pk]})
    client.post("/admin/access/device/", {"action": "rotate_token", "_selected_action": [device.pk]})
    device.refresh_from_db()
    assert device.approved
    actions = list(AccessAudit.objects.filter(device=device).order_by("pk").values_list("action", "by_user"))
    assert actions == [
        (AuditAction.DEVICE_APPROVED, manager_a.pk),
        (AuditAction.DEVICE_TOKEN_SET, manager_a.pk),
    ]
    # Approving again changes and records nothing.
    client.post("/admin/access/device/", {"action": "approve", "_selected_action": [device.pk]})
    assert AccessAudit.objects.filter(device=device).count() == 2


def test_approval_is_not_an_editable_field(manager_a, estate_a, client_for):
    device = DeviceFactory(estate=estate_a, approved=False)
    page = client_for(manager_a).get(f"/admin/access/device/{device.pk}/change/").content.decode()
    assert 'name="approved"' not in page


def test_replay_records_the_user_or_the_command(zk, superuser, client_for, device_client):
    Device.objects.filter(pk=zk.pk).update(approved=False)
    device_client.post(
        f"/iclock/cdata?SN={SN}&table=ATTLOG",
        data=b"1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n",
        content_type="text/plain",
    )
    message = RawDeviceMessage.objects.get()
    client_for(superuser).post(
        "/admin/access/rawdevicemessage/", {"action": "replay", "_selected_action": [message.pk]}
    )
    first = AccessAudit.objects.get(raw_message=message)
    assert (first.by_user, first.params) == (superuser, {"processed": False, "attempt": 1})
    Device.objects.filter(pk=zk.pk).update(approved=True)
    call_command("device_replay", "--include-rejected")
    message.refresh_from_db()
    assert message.status == RawStatus.PROCESSED
    last = AccessAudit.objects.filter(raw_message=message).latest("pk")
    assert (last.by_system, last.params) == ("system:device_replay", {"processed": True, "attempt": 2})


def test_the_audit_is_read_only_and_kept_to_the_staff_members_estates(
    zk, manager_a, manager_b, estate_a, client_for
):
    credential_issue(resident=ResidentFactory(estate=estate_a), kind="card", value="55550008", by=manager_a)
    audit = AccessAudit.objects.get()
    client = client_for(manager_b)
    assert client.get(f"/admin/access/accessaudit/{audit.pk}/change/").status_code in (302, 403, 404)
    client = client_for(manager_a)
    listing = client.get("/admin/access/accessaudit/")
    assert (
        listing.status_code == 200
        and f"/admin/access/accessaudit/{audit.pk}/change/" in listing.content.decode()
    )
    assert client.get("/admin/access/accessaudit/add/").status_code == 403
    assert client.post(f"/admin/access/accessaudit/{audit.pk}/delete/", {"post": "yes"}).status_code == 403


# --- limits come from the model: over-long input is refused, not cut -----------------------------


def test_an_over_long_visitor_name_is_refused_not_cut(household_a):
    user, unit = household_a
    limit = VisitorPass._meta.get_field("visitor_name").max_length
    now = timezone.now()
    with pytest.raises(ServiceError) as refused:
        visitor_pass_create(
            by=user,
            unit=unit,
            visitor_name="张" * (limit + 1),
            valid_from=now,
            valid_until=now + dt.timedelta(hours=1),
        )
    assert "visitor_name" in refused.value.message_dict
    assert not VisitorPass.objects.exists()


def test_a_pass_for_another_household_is_not_allowed(household_a, household_b):
    user, _unit = household_a
    _other_user, other_unit = household_b
    now = timezone.now()
    with pytest.raises(NotAllowed):
        visitor_pass_create(
            by=user,
            unit=other_unit,
            visitor_name="李四",
            valid_from=now,
            valid_until=now + dt.timedelta(hours=1),
        )


def test_an_over_long_movement_reason_is_refused(manager_a, estate_a):
    with pytest.raises(ServiceError) as refused:
        movement_lookup_record(by=manager_a, resident=ResidentFactory(estate=estate_a), reason="查" * 201)
    assert refused.value.message_dict == {"reason": ["最多 200 个字符（当前 201 个）。"]}


def test_an_over_long_card_at_verify_is_a_400_naming_the_field(native_device, native_post):
    response = native_post("/api/v1/devices/verify", {"type": "card", "value": "1" * 65})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"value": ["最多 64 个字符（当前 65 个）。"]}


def test_an_over_long_native_reason_rejects_that_event_only(native_device, native_post):
    events = [
        {
            "event_id": "long-1",
            "occurred_at": "2026-11-20T08:00:00+08:00",
            "result": "denied",
            "reason": "x" * 101,
        },
        {"event_id": "ok-2", "occurred_at": "2026-11-20T08:00:01+08:00", "result": "granted"},
    ]
    answer = native_post("/api/v1/devices/events", {"events": events}).json()
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [0]
    assert answer["rejected"][0]["errors"]["reason"] == "最多 100 个字符（当前 101 个）。"


def test_the_audit_list_runs_a_constant_number_of_queries(zk, manager_a, estate_a, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager_a)

    def add(n: int, start: int) -> None:
        for i in range(n):
            credential_issue(
                resident=ResidentFactory(estate=estate_a),
                kind="card",
                value=f"7{start:03d}{i:04d}",
                by=manager_a,
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/access/accessaudit/").status_code == 200
        return len(queries)

    add(2, 1)
    few = count()
    add(12, 2)
    assert count() == few
