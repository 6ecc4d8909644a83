"""Smart meters push readings with a device token: stored before "stored" is answered, once per
message id, refused readings kept and named; the bill run uses them once the reporting window
has closed."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from community.billing import services
from community.billing.models import Bill, MeterPush, MeterReading
from tests.factories import AssignmentFactory, ChargeItemFactory, TariffFactory, UnitFactory

SYSTEM = "system:test"
URL = "/api/v1/billing/meter-readings/"
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def gateway(estate_a):
    return services.meter_gateway_create(estate=estate_a, name="3栋集中器", by=SYSTEM)


@pytest.fixture
def meter(estate_a, household_a):
    return services.meter_create(
        estate=estate_a,
        unit=household_a[1],
        kind="water",
        serial="W-0101",
        installed_on=dt.date(2025, 1, 1),
        by=SYSTEM,
    )


def _push(client, token, message):
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return client.post(URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_push_is_stored_then_acknowledged_and_a_resend_is_stored_once(client, gateway, meter):
    _gw, token = gateway
    message = {
        "message_id": "gw3-20261001-1",
        "readings": [
            {"meter": "W-0101", "value": "100.00", "read_at": "2026-09-30T23:55:00+08:00"},
            {"meter": "W-0101", "value": "110.50", "read_at": "2026-10-15T16:00:00Z"},  # 10-16 in Beijing
        ],
    }
    answer = _push(client, token, message)
    assert answer.status_code == 200
    assert answer.json() == {"stored": 2, "refused": [], "duplicate": False}
    readings = list(
        MeterReading.objects.order_by("read_on").values_list("read_on", "value", "usage", "source")
    )
    assert readings == [
        (dt.date(2026, 9, 30), Decimal("100.00"), Decimal("0.00"), "device"),
        (dt.date(2026, 10, 16), Decimal("110.50"), Decimal("10.50"), "device"),
    ]
    again = _push(client, token, message)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert MeterReading.objects.count() == 2
    push = MeterPush.objects.get()
    assert (push.deliveries, push.stored, push.flagged) == (2, 2, False)


def test_refused_readings_are_kept_and_named_and_the_rest_stored(client, gateway, meter, estate_b):
    _gw, token = gateway
    other = services.meter_create(
        estate=estate_b, kind="water", serial="W-B-1", installed_on=dt.date(2025, 1, 1), by=SYSTEM
    )
    services.meter_reading_record(
        meter=meter, value="200", read_on=dt.date(2026, 10, 1), today=dt.date(2026, 10, 1), by=SYSTEM
    )
    answer = _push(
        client,
        token,
        {
            "message_id": "m2",
            "readings": [
                {"meter": "W-0101", "value": "150.00", "read_at": "2026-10-20"},  # below the previous
                {"meter": other.serial, "value": "1.00", "read_at": "2026-10-20"},  # another estate's
                {"meter": "W-0101", "value": "210.00", "read_at": "yesterday"},
                {"meter": "W-0101", "value": "205.00", "read_at": "2026-10-21"},
                {"meter": "W-0101", "value": "999.00", "read_at": "2099-01-01"},  # future
            ],
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["stored"] == 1
    assert [(r["index"], r["error"][:20]) for r in body["refused"]] == [
        (0, "The reading 150.00 i"),
        (1, "unknown meter"),
        (2, "read_at is not an IS"),
        (4, "A reading cannot be "),
    ]
    assert MeterPush.objects.get().flagged
    assert not MeterReading.objects.filter(meter=other).exists()


def test_a_bad_token_or_body_gets_a_4xx_and_a_bad_body_is_kept_raw(client, gateway, meter):
    _gw, token = gateway
    assert _push(client, "not-a-token", {"readings": []}).status_code == 401
    assert client.post(URL, data=b"{}", content_type="application/json").status_code == 401
    answer = _push(client, token, b"readings=1")
    assert answer.status_code == 400 and "JSON" in answer.json()["error"]
    assert MeterPush.objects.get().body == "readings=1"
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


def test_the_bill_run_uses_pushed_readings_after_the_reporting_window(
    client, gateway, meter, estate_a, household_a
):
    _gw, token = gateway
    item = ChargeItemFactory(
        estate=estate_a, name="水费", item_type="water", basis="metered", prepaid=False, reading_window_days=3
    )
    TariffFactory(item=item, unit_price=Decimal("4.00"), effective_from=dt.date(2020, 1, 1))
    AssignmentFactory(item=item, unit=household_a[1], start_date=dt.date(2025, 1, 1))
    AssignmentFactory(item=item, unit=UnitFactory(building__estate=estate_a), start_date=dt.date(2025, 1, 1))
    _push(
        client,
        token,
        {
            "message_id": "oct",
            "readings": [
                {"meter": "W-0101", "value": "100.00", "read_at": "2026-09-30"},
                {"meter": "W-0101", "value": "110.00", "read_at": "2026-10-15"},
                {"meter": "W-0101", "value": "125.00", "read_at": "2026-11-02"},  # reported late: October's
                {"meter": "W-0101", "value": "130.00", "read_at": "2026-11-10"},  # November's
            ],
        },
    )
    assert services.bill_run(estate=estate_a, on=dt.date(2026, 11, 2), by=SYSTEM).created == 0  # window open
    result = services.bill_run(estate=estate_a, on=dt.date(2026, 11, 5), by=SYSTEM)
    assert result.created == 1  # the unit without a meter reading gets no bill
    bill = Bill.objects.get()
    line = bill.lines.get()
    assert (bill.period_start, line.quantity, line.unit_price, line.amount) == (
        dt.date(2026, 10, 1),
        Decimal("25.0000"),
        Decimal("4.0000"),
        Decimal("100.00"),
    )
