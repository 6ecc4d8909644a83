"""Billing's writes. One package, re-exported here: other apps import
``community.billing.services`` and nothing under it."""

from .charges import (
    BillRunResult,
    assignment_create,
    assignment_update,
    bill_adjust,
    bill_dispute_set,
    bill_run,
    charge_item_create,
    charge_item_update,
    charge_post,
    late_fee_policy_save,
    late_fee_waive,
    late_fees_post,
    tariff_create,
)
from .payments import (
    NotifyAnswer,
    alipay_notification_receive,
    demo_payment_complete,
    payment_close,
    payment_create,
    payment_refund,
    payments_reconcile,
    prepaid_top_up,
    wechatpay_notification_receive,
)

__all__ = [
    "BillRunResult",
    "NotifyAnswer",
    "alipay_notification_receive",
    "assignment_create",
    "assignment_update",
    "bill_adjust",
    "bill_dispute_set",
    "bill_run",
    "charge_item_create",
    "charge_item_update",
    "charge_post",
    "demo_payment_complete",
    "late_fee_policy_save",
    "late_fee_waive",
    "late_fees_post",
    "payment_close",
    "payment_create",
    "payment_refund",
    "payments_reconcile",
    "prepaid_top_up",
    "tariff_create",
    "wechatpay_notification_receive",
]
