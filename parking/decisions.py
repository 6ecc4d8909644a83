"""Reason codes of barrier decisions, their labels, and the text for the lane's LED screen.

Pure code. Stored rows keep the code; the label is rendered in the reader's language when read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

# Entry
PERMIT = "permit"
SPACE = "space"
VISITOR = "visitor"
TEMPORARY = "temporary"
SPACE_TAKEN_TEMPORARY = "space_taken_temporary"
LOT_FULL = "lot_full"
TEMPORARY_NOT_ALLOWED = "temporary_not_allowed"
COLOUR_NOT_ALLOWED = "colour_not_allowed"
ALREADY_INSIDE = "already_inside"
REENTRY_CLOSED_PREVIOUS = "reentry_closed_previous"
# Exit
PAID = "paid"
FREE = "free"
FEE_DUE = "fee_due"
GRACE_OVER = "grace_over"
NO_ENTRY_RECORD = "no_entry_record"
NO_ENTRY_ASK_STAFF = "no_entry_ask_staff"
# Either way
NO_PLATE = "no_plate"
NO_LANE = "no_lane"
OFFLINE_HISTORY = "offline_history"
OFFLINE_EXIT_UNPAID = "offline_exit_unpaid"
DUPLICATE = "duplicate"
# Staff and system
MANUAL_OPEN = "manual_open"
MANUAL_CLOSE = "manual_close"
PLATE_CORRECTED = "plate_corrected"
PAYMENT = "payment"

LABELS = {
    PERMIT: _("Permit holder"),
    SPACE: _("Own or rented space"),
    VISITOR: _("Visitor pre-registered by a resident"),
    TEMPORARY: _("Temporary car, pays on exit"),
    SPACE_TAKEN_TEMPORARY: _("Space already taken by another car of the household: temporary"),
    LOT_FULL: _("Car park full"),
    TEMPORARY_NOT_ALLOWED: _("No temporary cars in this car park"),
    COLOUR_NOT_ALLOWED: _("Plate colour not admitted"),
    ALREADY_INSIDE: _("Already inside (no exit read): staff decide"),
    REENTRY_CLOSED_PREVIOUS: _("Entered again without an exit: the earlier stay was closed"),
    PAID: _("Paid"),
    FREE: _("Nothing to pay"),
    FEE_DUE: _("Fee due"),
    GRACE_OVER: _("Paid, but the time to leave ran out: the rest is due"),
    NO_ENTRY_RECORD: _("No entry record: let out"),
    NO_ENTRY_ASK_STAFF: _("No entry record: staff decide"),
    NO_PLATE: _("No plate read: staff decide"),
    NO_LANE: _("Camera not assigned to a lane"),
    OFFLINE_HISTORY: _("Replayed from the camera's offline store (history only)"),
    OFFLINE_EXIT_UNPAID: _("Left while the camera was offline, fee unpaid"),
    DUPLICATE: _("Same read received again"),
    MANUAL_OPEN: _("Opened by hand"),
    MANUAL_CLOSE: _("Closed by hand"),
    PLATE_CORRECTED: _("Plate corrected by staff"),
    PAYMENT: _("Payment received"),
}

OPENING = frozenset(
    {
        PERMIT,
        SPACE,
        VISITOR,
        TEMPORARY,
        SPACE_TAKEN_TEMPORARY,
        REENTRY_CLOSED_PREVIOUS,
        PAID,
        FREE,
        NO_ENTRY_RECORD,
    }
)


def reason_label(code: str) -> str:
    return str(LABELS.get(code, code))


@dataclass
class Decision:
    opened: bool
    reason: str
    amount_due: Decimal = Decimal("0.00")
    session: object | None = None
    event: object | None = None
    duplicate: bool = False
    offline: bool = False
    needs_staff: bool = False
    led_text: str = ""
    # Cars inside the lot once this decision is taken (None: not counted), for the live screen.
    inside: int | None = None
    extra: dict = field(default_factory=dict)


def _yuan(amount: Decimal) -> str:
    amount = Decimal(amount)
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


def led_text(*, direction: str, reason: str, plate: str, amount_due: Decimal = Decimal("0")) -> str:
    """What the lane's LED screen shows (and its voice says), always in Chinese: the screens
    take GB2312 and the drivers are at a Chinese car park. Empty when the screen should keep
    its idle text."""
    with override("zh-hans"):
        if reason in (FEE_DUE, GRACE_OVER):
            return f"{plate} 请缴费 {_yuan(amount_due)}元"
        if reason in (PERMIT, SPACE):
            return f"欢迎回家 {plate}" if direction == "in" else f"一路顺风 {plate}"
        if reason == VISITOR:
            return f"欢迎光临 {plate}" if direction == "in" else f"一路顺风 {plate}"
        if reason in (TEMPORARY, SPACE_TAKEN_TEMPORARY, REENTRY_CLOSED_PREVIOUS):
            return f"临时车 {plate} 欢迎光临"
        if reason in (PAID, FREE, NO_ENTRY_RECORD):
            return f"一路顺风 {plate}"
        if reason == LOT_FULL:
            return "车位已满 暂停入场"
        if reason in (TEMPORARY_NOT_ALLOWED, COLOUR_NOT_ALLOWED):
            return f"{plate} 禁止入内"
        if reason in (NO_PLATE, ALREADY_INSIDE, NO_ENTRY_ASK_STAFF):
            return "请稍候 工作人员处理"
    return ""
