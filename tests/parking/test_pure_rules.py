"""Plates, the session transition table and the LED text: pure rules."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.errors import NotAllowed, TransitionRefused
from parking import decisions
from parking.plates import NO_PLATE, is_new_energy, is_valid_plate, normalise_plate
from parking.protocols import vzenith
from parking.transitions import ALL_STATUSES, FINAL_STATUSES, TRANSITIONS, Action, Role, Status, next_status


@pytest.mark.parametrize(
    ("raw", "plate"),
    [
        ("鄂C 12345", "鄂C12345"),
        ("鄂c·12345", "鄂C12345"),
        ("  粤B-D12345 ", "粤BD12345"),
        ("京Ａ１２３４５", "京A12345"),  # full-width from a phone keyboard
        ("_无_", NO_PLATE),
    ],
)
def test_plates_are_normalised(raw, plate):
    assert normalise_plate(raw) == plate


@pytest.mark.parametrize("plate", ["鄂C12345", "京A1234学", "粤BD12345", "沪A12345F", "川A0001警"])
def test_valid_plates(plate):
    assert is_valid_plate(plate)


@pytest.mark.parametrize("plate", ["鄂C1234", "鄂CI2345", "XXC12345", "鄂C123456", "鄂CO2345", "", "_无_"])
def test_invalid_plates(plate):
    assert not is_valid_plate(plate)


def test_new_energy_plates_have_eight_characters():
    assert is_new_energy("粤BD12345")
    assert not is_new_energy("鄂C12345")


@given(
    st.sampled_from(sorted(ALL_STATUSES)),
    st.sampled_from(Action.values),
    st.sets(st.sampled_from(Role.values)),
)
def test_transition_table_is_closed_and_final_states_stay_final(status, action, roles):
    try:
        target = next_status(status, action, roles)
    except (TransitionRefused, NotAllowed):
        return
    assert target in ALL_STATUSES
    assert status not in FINAL_STATUSES
    assert (action, status) in TRANSITIONS


def test_only_staff_or_the_system_force_close():
    with pytest.raises(NotAllowed):
        next_status(Status.OPEN, Action.FORCE_CLOSE, {Role.DEVICE})
    assert next_status(Status.OPEN, Action.FORCE_CLOSE, {Role.STAFF}) == Status.FORCED


def test_a_closed_session_cannot_be_paid():
    with pytest.raises(TransitionRefused):
        next_status(Status.CLOSED, Action.PAY, {Role.PAYER})


@pytest.mark.parametrize(
    ("direction", "reason", "amount", "text"),
    [
        ("in", decisions.PERMIT, "0", "欢迎回家 鄂C12345"),
        ("out", decisions.FEE_DUE, "12", "鄂C12345 请缴费 12元"),
        ("out", decisions.FEE_DUE, "7.50", "鄂C12345 请缴费 7.50元"),
        ("in", decisions.LOT_FULL, "0", "车位已满 暂停入场"),
        ("in", decisions.VISITOR, "0", "欢迎光临 鄂C12345"),
        ("out", decisions.PAID, "0", "一路顺风 鄂C12345"),
    ],
)
def test_led_text(direction, reason, amount, text):
    from decimal import Decimal

    assert (
        decisions.led_text(direction=direction, reason=reason, plate="鄂C12345", amount_due=Decimal(amount))
        == text
    )


def test_led_frame_carries_gb2312_text_and_a_valid_crc():
    data = vzenith.led_serial_data("请缴费 12元")
    frame = base64.b64decode(data["data"])
    assert data["dataLen"] == len(frame)
    assert frame[:5] == bytes([0x00, 0x64, 0xFF, 0xFF, vzenith.LED_COMMAND_SHOW])
    length = frame[5]
    text = frame[8 : 6 + length]
    assert text.decode("gb2312") == "请缴费 12元"
    crc = vzenith.crc16_modbus(frame[:-2])
    assert frame[-2:] == bytes([crc & 0xFF, crc >> 8])
