"""Garbage at every device endpoint: never a 500, never a false OK, nothing half-written."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.models import AccessEvent, RawDeviceMessage
from tests.access.conftest import NATIVE_TOKEN
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

SN = "ZKFUZZ0001"
HIK_TOKEN = "hik-fuzz-token-0001"

GARBAGE = [
    b"",
    b"\x00",
    b"\xff\xfe\x00\x00",
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "门禁\t2026-11-20 08:00:00\t0\t1".encode("gbk"),
    '{"event_id": "名字", "reason": "张三"}'.encode("gbk"),
    b"[" * 100_000 + b"]" * 100_000,
    b"{" * 50_000,
    b"<a>" * 5_000 + b"</a>" * 5_000,
    b'{"events": [{"event_id": "x", "occurred_at": "0001-01-01T00:00:00+08:00", "result": "granted"}]}',
    b'{"events": [{"event_id": "y", "occurred_at": "9999-12-31T23:59:59-08:00", "result": "granted"}]}',
    b'{"event_id": "n\\u0000ul", "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted", "reason": "a\\u0000b"}',
    b'{"event_id": "s\\ud800", "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted"}',
    b'{"event_id": "g", "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted", "gate": 99999999999999999999999}',
    b'{"eventType": "AccessControllerEvent", "dateTime": "2026-11-20T08:00:00+08:00", "activePostCount": Infinity,'
    b' "AccessControllerEvent": {"majorEventType": 5, "subEventType": 75, "serialNo": NaN}}',
    b'{"eventType": "AccessControllerEvent", "dateTime": "2026-11-20T08:00:00", '
    b'"AccessControllerEvent": {"majorEventType": 5, "subEventType": 1, "serialNo": 7, "cardNo": "1\\u00002"}}',
    b"1001\x00\t2026-11-20 08:00:00\t0\t1\n1002\t0001-01-01 00:00:00\t0\t1\n1003\t9999-12-31 23:59:59\t0\t1\n",
    b"time=2026-11-20 08:00:00\tevent=99999999999999999999999\tindex=1\n",
    b"x" * 3_000_000,
]


@pytest.fixture
def devices(estate_a, gate_a):
    native = DeviceFactory(estate=estate_a, gate=gate_a, token=NATIVE_TOKEN)
    zk = DeviceFactory(estate=estate_a, gate=gate_a, protocol="zkteco", serial_number=SN, token=None)
    hik = DeviceFactory(estate=estate_a, gate=gate_a, protocol="hikvision", token=HIK_TOKEN)
    return native, zk, hik


def _posts(client, body: bytes, content_type: str):
    yield (
        "native",
        client.post(
            "/api/v1/devices/events",
            data=body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
        ),
    )
    yield (
        "heartbeat",
        client.post(
            "/api/v1/devices/heartbeat",
            data=body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
        ),
    )
    yield (
        "verify",
        client.post(
            "/api/v1/devices/verify",
            data=body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
        ),
    )
    for table in ("ATTLOG", "rtlog", "rtstate", "OPERLOG", "NOPE"):
        yield (
            f"zk {table}",
            client.post(f"/iclock/cdata?SN={SN}&table={table}&Stamp=1", data=body, content_type=content_type),
        )
    yield "zk devicecmd", client.post(f"/iclock/devicecmd?SN={SN}", data=body, content_type=content_type)
    yield "zk registry", client.post(f"/iclock/registry?SN={SN}", data=body, content_type=content_type)
    yield "hik", client.post(f"/isapi/{HIK_TOKEN}/events", data=body, content_type=content_type)
    yield (
        "hik multipart",
        client.post(f"/isapi/{HIK_TOKEN}/events", data=body, content_type="multipart/form-data; boundary=XX"),
    )


def _check(name, response):
    assert response.status_code < 500, (name, response.status_code, response.content[:200])


@pytest.mark.parametrize("body", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_gets_a_500(devices, device_client, body):
    for content_type in ("application/json", "text/plain"):
        for name, response in _posts(device_client, body, content_type):
            _check(name, response)


def test_hostile_query_strings_never_get_a_500(devices, device_client):
    for query in (
        f"SN={SN}&table=ATTLOG&Stamp=%00",
        f"SN={SN}&options=all&pushver=%00%ff",
        f"SN={SN}&table=%00",
        "SN=%00",
        f"SN={SN}&table=rtlog&Stamp=%ed%a0%80",
    ):
        _check(query, device_client.get(f"/iclock/cdata?{query}"))
        _check(
            query,
            device_client.post(
                f"/iclock/cdata?{query}", data=b"1001\t2026-11-20 08:00:00\t0\t1\n", content_type="text/plain"
            ),
        )
    _check("getrequest", device_client.get(f"/iclock/getrequest?SN={SN}&INFO=%00"))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=20,
    )
)
def test_any_json_at_the_native_api_is_answered_without_a_500(devices, device_client, value):
    body = json.dumps(
        {
            "events": [
                value,
                {"event_id": "good", "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted"},
            ]
        },
        allow_nan=True,
    )
    response = device_client.post(
        "/api/v1/devices/events",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
    )
    _check("native", response)
    assert response.status_code == 200
    assert AccessEvent.objects.filter(idempotency_key="good").count() == 1  # the good one beside it is stored


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(["majorEventType", "subEventType", "serialNo", "cardNo", "employeeNoString", "name"]),
        st.none() | st.integers() | st.floats() | st.text() | st.booleans(),
        max_size=6,
    ),
    st.none() | st.text() | st.integers() | st.floats(),
    st.none() | st.text() | st.integers() | st.floats(),
)
def test_any_hikvision_event_is_answered_without_a_500(devices, device_client, ace, when, posts):
    body = json.dumps(
        {
            "eventType": "AccessControllerEvent",
            "dateTime": when,
            "activePostCount": posts,
            "AccessControllerEvent": ace,
        },
        allow_nan=True,
    )
    _check(
        "hik", device_client.post(f"/isapi/{HIK_TOKEN}/events", data=body, content_type="application/json")
    )


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.text(), max_size=8), st.sampled_from(["ATTLOG", "rtlog"]))
def test_any_zkteco_lines_are_answered_without_a_500(devices, device_client, fields, table):
    body = "\t".join(fields).encode("utf-8", errors="surrogatepass")
    response = device_client.post(
        f"/iclock/cdata?SN={SN}&table={table}", data=body, content_type="text/plain"
    )
    _check("zk", response)
    if response.status_code == 200 and response.content == b"OK" and body.strip():
        # Answered OK: every line is either stored or kept raw.
        assert AccessEvent.objects.exists() or RawDeviceMessage.objects.exists() or table == "rtlog"
