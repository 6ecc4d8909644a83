"""Issue #15 item 2, the rest: a registered ZKTeco panel is more than its serial number.

* An access panel that registered gets a random RegistryCode (and a SessionID with its
  configuration); its later requests must carry one of them. A copy of the SN (printed on the
  case) from inside the panel's own network reads no commands and acknowledges nothing.
* Commands carry what the panel decides by (PIN, card), not residents' names.
* A revocation acknowledged from another address than the one it was handed to stays
  "unconfirmed" on the staff screen, is recorded, and is handed out again.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from access.models import AccessAudit, AuditAction, CommandStatus, Device, DeviceCommand, RevokeReason
from access.services import credential_issue, credential_revoke
from tests.factories import DeviceFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SN = "ZKREG0001"
NETWORK = "203.0.113.0/28"
PANEL = "203.0.113.7"
NEIGHBOUR = "203.0.113.9"  # inside the bound network: a laptop on the same LAN


@pytest.fixture
def panel(estate_a, gate_a):
    return DeviceFactory(
        estate=estate_a,
        gate=gate_a,
        protocol="zkteco",
        serial_number=SN,
        token=None,
        approved=True,
        network=NETWORK,
    )


def _get(client, path, address=PANEL, **headers):
    return client.get(path, REMOTE_ADDR=address, **headers)


def _post(client, path, body: bytes, address=PANEL, **headers):
    return client.post(path, data=body, content_type="text/plain", REMOTE_ADDR=address, **headers)


def _register(client) -> tuple[str, str]:
    response = _post(client, f"/iclock/registry?SN={SN}", b"DeviceType=acc,~DeviceName=inBio160")
    assert response.status_code == 200
    code = response.content.decode().removeprefix("RegistryCode=").strip()
    push = _get(client, f"/iclock/push?SN={SN}&RegistryCode={code}")
    assert push.status_code == 200
    session = re.search(r"^SessionID=(\w+)$", push.content.decode(), re.M).group(1)
    return code, session


def test_registration_codes_are_random_and_stored_only_hashed(panel, device_client):
    code, session = _register(device_client)
    assert len(code) == 32 and len(session) == 32 and code != session
    panel.refresh_from_db()
    stored = str(panel.state)
    assert code not in stored and session not in stored
    other, _session = _register(device_client)  # a re-registration (panel reset) gets a new code
    assert other != code


def test_a_copied_sn_inside_the_network_reads_no_commands(panel, device_client, estate_a):
    code, session = _register(device_client)
    resident = ResidentFactory(estate=estate_a, name="钱八")
    credential_issue(resident=resident, kind="card", value="55556666", by="system:test")
    # The SN alone, from a neighbour on the panel's LAN: the unknown-device answer, nothing handed out.
    response = _get(device_client, f"/iclock/getrequest?SN={SN}", NEIGHBOUR)
    assert (response.status_code, response.content) == (401, b"unknown device")
    assert DeviceCommand.objects.get().status == CommandStatus.PENDING
    # A wrong code is the same.
    assert _get(device_client, f"/iclock/getrequest?SN={SN}&SessionID=0000", NEIGHBOUR).status_code == 401
    panel.refresh_from_db()
    assert panel.state["refused_from"]["reason"] == "no_registry_code"
    # The panel, carrying its session (as a cookie, or its code as a parameter), gets it.
    assert (
        _get(device_client, f"/iclock/getrequest?SN={SN}", HTTP_COOKIE=f"SessionID={session}").status_code
        == 200
    )
    assert _get(device_client, f"/iclock/getrequest?SN={SN}&RegistryCode={code}").status_code == 200


def test_a_copied_sn_posts_no_events_and_moves_no_stamp(panel, device_client):
    _register(device_client)
    line = b"1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n"
    response = _post(device_client, f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=999999", line, NEIGHBOUR)
    assert response.status_code == 401
    panel.refresh_from_db()
    assert "ATTLOGStamp" not in panel.state


def test_commands_carry_no_names(panel, device_client, estate_a):
    code, _session = _register(device_client)
    resident = ResidentFactory(estate=estate_a, name="钱八")
    credential_issue(resident=resident, kind="card", value="55556666", by="system:test")
    # A command queued before names were left out is trimmed on the way out too.
    DeviceCommand.objects.create(
        device=panel, command=f"DATA UPDATE USERINFO PIN={resident.pk}\tName=钱八\tPri=0\tCard=55556666"
    )
    text = _get(device_client, f"/iclock/getrequest?SN={SN}&RegistryCode={code}").content.decode()
    assert "钱八" not in text and "Name=" not in text
    assert f"PIN={resident.pk}\tPri=0\tCard=55556666" in text


def test_a_revocation_acknowledged_from_another_address_stays_unconfirmed(
    panel, device_client, estate_a, manager_a, client_for
):
    code, session = _register(device_client)
    resident = ResidentFactory(estate=estate_a)
    credential = credential_issue(resident=resident, kind="card", value="55557777", by="system:test")
    DeviceCommand.objects.update(status=CommandStatus.SUCCEEDED)
    credential_revoke(credential=credential, reason=RevokeReason.STAFF, by="system:test")
    revocation = DeviceCommand.objects.latest("pk")
    assert revocation.command == f"DATA DELETE USERINFO PIN={resident.pk}"

    _get(device_client, f"/iclock/getrequest?SN={SN}&RegistryCode={code}")  # handed to the panel
    # Someone holding the SN *and* the session answers "done" from another address.
    answer = _post(
        device_client,
        f"/iclock/devicecmd?SN={SN}&SessionID={session}",
        f"ID={revocation.pk}&Return=0&CMD=DATA\n".encode(),
        NEIGHBOUR,
    )
    assert answer.content == b"OK"
    revocation.refresh_from_db()
    assert revocation.status == CommandStatus.UNCONFIRMED
    assert (revocation.sent_to, revocation.acknowledged_from) == (PANEL, NEIGHBOUR)
    assert AccessAudit.objects.filter(action=AuditAction.DEVICE_COMMAND_UNCONFIRMED, device=panel).exists()

    # Staff see it as unconfirmed, not succeeded.
    page = client_for(manager_a).get(reverse("staff-access:index"))
    assert page.status_code == 200
    assert revocation in page.context["commands"]
    assert "Unconfirmed" in page.content.decode() or "未确认" in page.content.decode()

    # It goes out again; the panel's own answer, from where it went, confirms it.
    DeviceCommand.objects.filter(pk=revocation.pk).update(sent_at=revocation.sent_at.replace(year=2000))
    text = _get(device_client, f"/iclock/getrequest?SN={SN}&RegistryCode={code}").content.decode()
    assert f"C:{revocation.pk}:" in text
    revocation.refresh_from_db()
    assert revocation.status == CommandStatus.UNCONFIRMED  # still, while it is out again
    _post(
        device_client,
        f"/iclock/devicecmd?SN={SN}&RegistryCode={code}",
        f"ID={revocation.pk}&Return=0&CMD=DATA\n".encode(),
    )
    revocation.refresh_from_db()
    assert revocation.status == CommandStatus.SUCCEEDED


def test_an_unregistered_attendance_terminal_keeps_working_by_sn_and_network(panel, device_client):
    """Attendance terminals never register (no RegistryCode in their protocol): they stay bound
    to their network only (the residual risk docs/devices.md names)."""
    assert not Device.objects.get(pk=panel.pk).state.get("registry_code_sha256")
    assert _get(device_client, f"/iclock/getrequest?SN={SN}").status_code == 200
