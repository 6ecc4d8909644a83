"""Attacks on the device endpoints (issue 15 items 2, 7 and 14), each performed here and now
failing: a ZKTeco serial number used from elsewhere, serial numbers and tokens guessed from one
address, the disk filled by made-up devices."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from access import device_auth
from access.models import Device, DeviceCommand, RawDeviceMessage
from access.services import credential_issue, device_approve, raw_messages
from community.errors import ServiceError
from tests.access.conftest import NATIVE_TOKEN
from tests.factories import DeviceFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SN = "ZKATTACK01"
PANEL = "203.0.113.7"
ATTACKER = "198.51.100.9"
LINE = b"1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n"


def _get(client, path, address):
    return client.get(path, REMOTE_ADDR=address)


def _post(client, path, body: bytes, address):
    return client.post(path, data=body, content_type="text/plain", REMOTE_ADDR=address)


@pytest.fixture
def pending_panel(estate_a, gate_a):
    return DeviceFactory(
        estate=estate_a, gate=gate_a, protocol="zkteco", serial_number=SN, token=None, approved=False
    )


@pytest.fixture
def few_failures(monkeypatch):
    """Five failed device credentials per address and hour, so the tests stay short."""
    monkeypatch.setattr(device_auth.DeviceGuessThrottle, "default_rate", "5/hour")


# --- 2: a ZKTeco panel is bound to the network it called from -----------------------------------


def test_approval_binds_the_panel_to_its_address_and_the_sn_is_useless_elsewhere(
    pending_panel, manager_a, device_client
):
    assert _get(device_client, f"/iclock/cdata?SN={SN}&options=all", PANEL).status_code == 401
    pending_panel.refresh_from_db()
    assert pending_panel.last_address == PANEL  # staff see where it calls from before approving
    device_approve(device=pending_panel, by=manager_a)
    pending_panel.refresh_from_db()
    assert pending_panel.network == PANEL
    resident = ResidentFactory(estate=pending_panel.estate, name="周八")
    credential_issue(resident=resident, kind="card", value="66660001", by=manager_a)
    command = DeviceCommand.objects.get()

    # The attacker knows the SN (it is printed on the case): no names, no cards, no acks.
    stolen = _get(device_client, f"/iclock/getrequest?SN={SN}", ATTACKER)
    assert (stolen.status_code, stolen.content) == (401, b"unknown device")
    ack = _post(
        device_client, f"/iclock/devicecmd?SN={SN}", f"ID={command.pk}&Return=0&CMD=DATA\n".encode(), ATTACKER
    )
    assert ack.status_code == 401
    assert (
        _post(device_client, f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=9", LINE, ATTACKER).status_code == 401
    )
    command.refresh_from_db()
    assert command.status == "pending"
    pending_panel.refresh_from_db()
    assert pending_panel.state["refused_from"]["address"] == ATTACKER
    assert "ATTLOGStamp" not in pending_panel.state

    # The panel itself still works from its own address.
    lines = _get(device_client, f"/iclock/getrequest?SN={SN}", PANEL).content.decode()
    assert f"C:{command.pk}:DATA UPDATE USERINFO" in lines


def test_a_panel_that_never_called_is_not_approved_unbound(pending_panel, manager_a):
    with pytest.raises(ServiceError):
        device_approve(device=pending_panel, by=manager_a)
    pending_panel.refresh_from_db()
    assert not pending_panel.approved


def test_staff_may_bind_a_panel_to_a_network_before_it_calls(pending_panel, manager_a, device_client):
    Device.objects.filter(pk=pending_panel.pk).update(network="203.0.113.0/28")
    device_approve(device=pending_panel, by=manager_a)
    assert _get(device_client, f"/iclock/cdata?SN={SN}&options=all", "203.0.113.14").status_code == 200
    assert _get(device_client, f"/iclock/cdata?SN={SN}&options=all", "203.0.113.16").status_code == 401


@pytest.mark.parametrize("network", ["nonsense", "203.0.113.0/33", "1.2.3"])
def test_a_network_must_be_an_address_or_cidr(pending_panel, network):
    pending_panel.network = network
    with pytest.raises(ValidationError):
        pending_panel.full_clean()


# --- 14: guessing SNs and tokens from one address is cut off ------------------------------------


def test_sn_guessing_from_one_address_is_cut_off_even_for_the_right_sn(
    pending_panel, manager_a, device_client, few_failures
):
    Device.objects.filter(pk=pending_panel.pk).update(network=PANEL, approved=True)
    for n in range(5):
        assert _get(device_client, f"/iclock/cdata?SN=GUESS{n:05d}&options=all", ATTACKER).status_code == 401
    # The sixth try is refused before any look-up, the right SN included: nothing to learn.
    assert _get(device_client, f"/iclock/cdata?SN={SN}&options=all", ATTACKER).status_code == 429
    assert _get(device_client, f"/iclock/cdata?SN={SN}&options=all", PANEL).status_code == 200


def test_a_misconfigured_device_repeating_its_wrong_sn_blocks_nobody(
    pending_panel, device_client, few_failures
):
    Device.objects.filter(pk=pending_panel.pk).update(network=PANEL, approved=True)
    for _n in range(20):  # an unregistered panel on the same NAT, polling every few seconds
        assert _get(device_client, "/iclock/getrequest?SN=NOTREGISTERED", PANEL).status_code == 401
    assert _get(device_client, f"/iclock/cdata?SN={SN}&options=all", PANEL).status_code == 200


def test_token_guessing_from_one_address_is_cut_off_even_for_the_right_token(
    native_device, device_client, few_failures
):
    def events(token, address):
        return device_client.post(
            "/api/v1/devices/events",
            data=b'{"events": []}',
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            REMOTE_ADDR=address,
        )

    for n in range(5):
        assert events(f"guess-token-{n:08d}", ATTACKER).status_code == 401
    assert events(NATIVE_TOKEN, ATTACKER).status_code == 429
    assert events(NATIVE_TOKEN, PANEL).status_code == 200
    for n in range(5):
        hik = device_client.post(
            f"/isapi/guess-hik-{n:08d}/events", data=b"{}", content_type="application/json"
        )
        assert hik.status_code in (401, 429)


# --- 7: made-up devices cannot fill the disk ----------------------------------------------------


def test_an_unknown_device_keeps_only_a_small_sample(device_client, monkeypatch):
    monkeypatch.setattr(raw_messages, "UNKNOWN_SAMPLES_PER_HOUR", 2)
    big = b"1001\t2026-11-20 08:00:00\t0\t1\t0\t0\t0\n" * 100_000  # 3.6 MB
    for n in range(4):
        _post(device_client, f"/iclock/cdata?SN=NOBODY{n}&table=ATTLOG", big + str(n).encode(), ATTACKER)
    kept = list(RawDeviceMessage.objects.all())
    assert len(kept) == 2
    assert all(len(bytes(m.body)) == raw_messages.UNKNOWN_SAMPLE_BYTES for m in kept)
    assert all(f"of {len(big) + 1} bytes" in m.error for m in kept)


def test_a_device_past_its_raw_allowance_is_told_to_try_later_not_acknowledged(
    estate_a, gate_a, device_client, monkeypatch
):
    DeviceFactory(estate=estate_a, gate=gate_a, protocol="zkteco", serial_number=SN, token=None)
    monkeypatch.setattr(raw_messages, "RAW_BYTES_PER_DEVICE", 100)
    first = _post(device_client, f"/iclock/cdata?SN={SN}&table=NOPE", b"x" * 80, PANEL)
    assert first.content == b"OK"  # kept for replay, then acknowledged
    second = _post(device_client, f"/iclock/cdata?SN={SN}&table=NOPE", b"y" * 80, PANEL)
    assert second.status_code == 503  # not kept, so not acknowledged: the panel sends it again
    assert RawDeviceMessage.objects.count() == 1
