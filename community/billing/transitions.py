"""The payment workflow: the one table of allowed transitions, provider-neutral.

Pure code (no database), checked by property tests. ``services`` asks ``next_status`` for every
change; nothing else writes ``Payment.status``.

A payment that was closed (the payer gave up, or the order timed out) may still become paid:
the provider took the money, and the money is the truth. Refunds are partial or full; a
partially refunded payment may be refunded again until nothing is left.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from community.errors import TransitionRefused


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Waiting for the payer")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")
    CLOSED = "closed", _("Closed")


class PaymentAction(models.TextChoices):
    START = "start", _("Hand to the payer")
    PAY = "pay", _("Mark paid")
    FAIL = "fail", _("Mark failed")
    CLOSE = "close", _("Close")
    REFUND_PART = "refund_part", _("Refund in part")
    REFUND_ALL = "refund_all", _("Refund the rest")


S, A = PaymentStatus, PaymentAction

TRANSITIONS: dict[tuple[str, str], str] = {
    (A.START, S.CREATED): S.PENDING,
    (A.PAY, S.CREATED): S.PAID,
    (A.PAY, S.PENDING): S.PAID,
    (A.PAY, S.CLOSED): S.PAID,
    (A.PAY, S.FAILED): S.PAID,
    (A.FAIL, S.CREATED): S.FAILED,
    (A.FAIL, S.PENDING): S.FAILED,
    (A.CLOSE, S.CREATED): S.CLOSED,
    (A.CLOSE, S.PENDING): S.CLOSED,
    (A.REFUND_PART, S.PAID): S.PARTIALLY_REFUNDED,
    (A.REFUND_PART, S.PARTIALLY_REFUNDED): S.PARTIALLY_REFUNDED,
    (A.REFUND_ALL, S.PAID): S.REFUNDED,
    (A.REFUND_ALL, S.PARTIALLY_REFUNDED): S.REFUNDED,
}

SETTLED_STATUSES = frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED})
FINAL_STATUSES = frozenset({S.REFUNDED})


def next_status(status: str, action: str) -> str:
    """The status after ``action``; raises TransitionRefused (409) when the move does not exist."""
    target = TRANSITIONS.get((action, status))
    if target is None:
        raise TransitionRefused(
            _("A payment that is “%(status)s” cannot be “%(action)s”.")
            % {"status": PaymentStatus(status).label, "action": PaymentAction(action).label},
            code=f"payment_{status}",
        )
    return target


def allowed_actions(status: str) -> list[str]:
    return [a for (a, s) in TRANSITIONS if s == status]
