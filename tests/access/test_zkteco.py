"""ZKTeco PUSH (iclock): real-format requests in, exactly what is stored and answered."""

from __future__ import annotations

import datetime as dt

import pytest

from access.models import AccessEvent, Device, DeviceCommand, RawDeviceMessage, RevokeReason
from access.protocols.zkteco import device_time_stamp
from access.services import credential_issue, credential_revoke
from tests.factories import CredentialFactory, DeviceFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SN = "ZK0001TEST"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def zk(estate_a, gate_a):
    return DeviceFactory(
        estate=estate_a,
        gate=gate_a,
        protocol="zkteco",
        serial_number=SN,
        token=None,
        time_zone="Asia/Shanghai",
    )


def upload(client, table, body: str, sn=SN, **extra):
    query = f"SN={sn}&table={table}" + "".join(f"&{k}={v}" for k, v in extra.items())
    return client.post(f"/iclock/cdata?{query}", data=body.encode(), content_type="text/plain")


def test_handshake_answers_the_options_block(zk, device_client):
    response = device_client.get(f"/iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=83")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == f"GET OPTION FROM: {SN}"
    assert "ATTLOGStamp=None" in lines and "TimeZone=8" in lines and "Realtime=1" in lines
    zk.refresh_from_db()
    assert zk.online and zk.state["options"]["pushver"] == "2.4.1"


def test_unknown_sn_gets_a_non_200_and_nothing_is_stored(zk, device_client):
    assert device_client.get("/iclock/cdata?SN=NOBODY&options=all").status_code != 200
    response = upload(device_client, "ATTLOG", "1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n", sn="NOBODY")
    assert response.status_code != 200 and response.content != b"OK"
    assert not AccessEvent.objects.exists()
    assert RawDeviceMessage.objects.get().status == "rejected"


def test_unapproved_device_gets_a_non_200(zk, device_client):
    Device.objects.filter(pk=zk.pk).update(approved=False)
    response = upload(device_client, "ATTLOG", "1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n")
    unknown = upload(device_client, "ATTLOG", "1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n", sn="NOBODY")
    # The same answer as an unknown SN: a caller cannot tell which serial numbers exist.
    assert (
        (response.status_code, response.content)
        == (unknown.status_code, unknown.content)
        == (401, b"unknown device")
    )
    assert not AccessEvent.objects.exists()


def test_attlog_batch_crlf_with_extra_columns_is_stored_in_the_device_zone(zk, device_client):
    body = (
        "1001\t2026-11-20 08:00:00\t0\t15\t0\t0\t0\r\n"
        "1002\t2026-11-20 08:00:05\t1\t2\t0\t0\t0\t255\t77\r\n\r\n"
    )
    response = upload(device_client, "ATTLOG", body, Stamp="9999")
    assert (response.status_code, response.content) == (200, b"OK")
    rows = list(
        AccessEvent.objects.order_by("occurred_at").values_list(
            "credential_value", "occurred_at", "direction", "method", "result"
        )
    )
    assert rows == [
        ("1001", dt.datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI), "in", "face", "granted"),
        ("1002", dt.datetime(2026, 11, 20, 8, 0, 5, tzinfo=SHANGHAI), "out", "card", "granted"),
    ]
    zk.refresh_from_db()
    assert zk.state["ATTLOGStamp"] == "9999"


def test_replayed_attlog_batch_is_stored_once_and_still_answered_ok(zk, device_client):
    body = "1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n1002\t2026-11-20 08:01:00\t0\t1\t0\t0\t0\n"
    upload(device_client, "ATTLOG", body)
    response = upload(device_client, "ATTLOG", body)
    assert response.content == b"OK"
    assert AccessEvent.objects.count() == 2


def test_offline_batch_with_old_times_is_flagged_replayed(zk, device_client):
    upload(device_client, "ATTLOG", "1001\t2025-01-02 07:00:00\t0\t1\t0\t0\t0\n")
    event = AccessEvent.objects.get()
    assert event.replayed and event.occurred_at == dt.datetime(2025, 1, 2, 7, 0, tzinfo=SHANGHAI)


def test_malformed_line_is_kept_raw_and_the_good_lines_are_stored(zk, device_client):
    body = (
        "1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\ngarbage-without-tabs\n1003\t2026-13-40 99:00:00\t0\t1\n"
        "1004\t2026-11-20 08:02:00\t0\t1\t0\t0\t0\n"
    )
    response = upload(device_client, "ATTLOG", body)
    assert response.content == b"OK"
    assert sorted(AccessEvent.objects.values_list("credential_value", flat=True)) == ["1001", "1004"]
    raw = RawDeviceMessage.objects.get()
    assert raw.status == "pending" and "line 2" in raw.error and "line 3" in raw.error
    assert bytes(raw.body) == body.encode()


def test_rtlog_access_panel_events_map_granted_and_denied(zk, device_client, estate_a):
    resident = ResidentFactory(estate=estate_a)
    CredentialFactory(resident=resident, value="12345678")
    body = (
        "time=2026-11-20 08:01:02\tpin=0\tcardno=12345678\teventaddr=1\tevent=0\tinoutstatus=0\tverifytype=4\tindex=57\n"
        "time=2026-11-20 08:01:09\tpin=0\tcardno=99999\teventaddr=1\tevent=27\tinoutstatus=0\tverifytype=4\tindex=58\n"
        "time=2026-11-20 08:01:10\tpin=0\tcardno=0\teventaddr=1\tevent=200\tinoutstatus=2\tverifytype=200\tindex=59\n"
    )
    assert upload(device_client, "rtlog", body).content == b"OK"
    rows = list(
        AccessEvent.objects.order_by("idempotency_key").values_list(
            "idempotency_key", "result", "reason", "resident_id", "vendor_code"
        )
    )
    assert rows == [
        ("rt:57", "granted", "", resident.pk, "rt/0"),
        ("rt:58", "denied", "unregistered", None, "rt/27"),
    ]


def test_operlog_and_unknown_tables_are_kept(zk, device_client):
    assert upload(device_client, "OPERLOG", "USER PIN=1001\tName=张三\tPri=0\n").content == b"OK"
    assert upload(device_client, "NEWTHING", "a=b\n").content == b"OK"
    kept = dict(RawDeviceMessage.objects.values_list("query_string", "status"))
    assert kept == {f"SN={SN}&table=OPERLOG": "processed", f"SN={SN}&table=NEWTHING": "pending"}
    assert not AccessEvent.objects.exists()


def test_registry_and_push_for_access_panels(zk, device_client):
    response = device_client.post(
        f"/iclock/registry?SN={SN}",
        data=b"DeviceType=acc,~DeviceName=inBio160,FirmVer=AC1",
        content_type="text/plain",
    )
    assert response.status_code == 200 and response.content.startswith(b"RegistryCode=")
    code = response.content.decode().removeprefix("RegistryCode=")
    push = device_client.get(f"/iclock/push?SN={SN}&RegistryCode={code}")
    assert push.status_code == 200 and b"SessionID=" in push.content
    zk.refresh_from_db()
    assert zk.state["registry"]["DeviceName"] == "inBio160"


def test_time_endpoint(zk, device_client):
    response = device_client.get(f"/iclock/rtdata?SN={SN}&type=time")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("DateTime=") and text.endswith(",ServerTZ=+0800")
    assert device_time_stamp(dt.datetime(2000, 1, 1, 0, 0, 1)) == 1


def test_credential_sync_commands_are_delivered_and_their_results_recorded(zk, device_client, estate_a):
    resident = ResidentFactory(estate=estate_a, name="王五")
    assert device_client.get(f"/iclock/getrequest?SN={SN}").content == b"OK"
    credential = credential_issue(resident=resident, kind="card", value="88776655", by="system:test")
    lines = device_client.get(f"/iclock/getrequest?SN={SN}").content.decode().splitlines()
    command = DeviceCommand.objects.get()
    assert lines == [f"C:{command.pk}:DATA UPDATE USERINFO PIN={resident.pk}\tPri=0\tCard=88776655"]
    assert device_client.get(f"/iclock/getrequest?SN={SN}").content == b"OK"  # sent once
    result = device_client.post(
        f"/iclock/devicecmd?SN={SN}",
        data=f"ID={command.pk}&Return=0&CMD=DATA\n".encode(),
        content_type="text/plain",
    )
    assert result.content == b"OK"
    command.refresh_from_db()
    assert (command.status, command.return_code) == ("succeeded", 0)
    credential_revoke(credential=credential, reason=RevokeReason.STAFF, by="system:test")
    delete = DeviceCommand.objects.latest("pk")
    assert delete.command == f"DATA DELETE USERINFO PIN={resident.pk}" and delete.status == "pending"
    device_client.get(f"/iclock/getrequest?SN={SN}")
    device_client.post(
        f"/iclock/devicecmd?SN={SN}",
        data=f"ID={delete.pk}&Return=-1002&CMD=DATA\n".encode(),
        content_type="text/plain",
    )
    delete.refresh_from_db()
    assert delete.status == "failed" and delete.return_code == -1002


def test_pin_synced_as_resident_id_resolves_the_resident(zk, device_client, estate_a):
    resident = ResidentFactory(estate=estate_a)
    upload(device_client, "ATTLOG", f"{resident.pk}\t2026-11-20 08:00:00\t0\t15\t0\t0\t0\n")
    assert AccessEvent.objects.get().resident == resident


def test_device_replay_processes_a_kept_message_once_the_device_is_approved(zk, device_client):
    from django.core.management import call_command

    Device.objects.filter(pk=zk.pk).update(approved=False)
    upload(device_client, "ATTLOG", "1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n")
    assert not AccessEvent.objects.exists()
    Device.objects.filter(pk=zk.pk).update(approved=True)
    call_command("device_replay", "--include-rejected")
    assert AccessEvent.objects.count() == 1
    assert RawDeviceMessage.objects.get().status == "processed"
    call_command("device_replay", "--include-rejected")
    assert AccessEvent.objects.count() == 1
