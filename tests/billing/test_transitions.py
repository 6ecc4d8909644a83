import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.billing.transitions import (
    SETTLED_STATUSES,
    TRANSITIONS,
    PaymentAction,
    PaymentStatus,
    allowed_actions,
    next_status,
)
from community.errors import TransitionRefused


@given(st.sampled_from(PaymentStatus.values), st.sampled_from(PaymentAction.values))
def test_every_move_is_in_the_table_or_refused_with_409(status, action):
    if (action, status) in TRANSITIONS:
        assert next_status(status, action) == TRANSITIONS[(action, status)]
    else:
        with pytest.raises(TransitionRefused) as exc:
            next_status(status, action)
        assert exc.value.http_status == 409


@given(st.lists(st.sampled_from(PaymentAction.values), max_size=12))
def test_money_once_received_never_leaves_the_settled_states(actions):
    status = PaymentStatus.CREATED
    for action in actions:
        if action in allowed_actions(status):
            new = next_status(status, action)
            if status in SETTLED_STATUSES:
                assert new in SETTLED_STATUSES
            status = new


def test_a_paid_payment_cannot_be_paid_again_and_refunded_is_final():
    with pytest.raises(TransitionRefused):
        next_status(PaymentStatus.PAID, PaymentAction.PAY)
    assert allowed_actions(PaymentStatus.REFUNDED) == []
    # The provider took the money after the order was closed: the money is the truth.
    assert next_status(PaymentStatus.CLOSED, PaymentAction.PAY) == PaymentStatus.PAID
