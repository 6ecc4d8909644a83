"""Billing's writes. One package, re-exported here: other apps import
``community.billing.services`` and nothing under it."""

from .bill_run import BillRunResult, bill_run
from .charges import bill_adjust, bill_dispute_set, charge_post, late_fee_waive, late_fees_post
from .collection import fapiao_request_create, fapiao_request_decide, reminders_send
from .meter_push import PushAnswer, meter_gateway_create, meter_gateway_for_token, meter_push_receive
from .meters import ImportResult, meter_create, meter_reading_record, meter_readings_import, meter_update
from .notifications import (
    NotifyAnswer,
    alipay_notification_receive,
    demo_payment_complete,
    wechatpay_notification_receive,
)
from .payments import (
    payment_close,
    payment_create,
    payment_refund,
    prepaid_top_up,
    prepaid_transfer,
    refund_submit,
)
from .reconcile import payments_reconcile, statement_fetch, statement_import, statements_fetch_all
from .setup import (
    assignment_create,
    assignment_update,
    charge_item_create,
    charge_item_update,
    household_account_create,
    late_fee_policy_save,
    tariff_create,
)

__all__ = [
    "BillRunResult",
    "ImportResult",
    "NotifyAnswer",
    "PushAnswer",
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
    "fapiao_request_create",
    "fapiao_request_decide",
    "household_account_create",
    "late_fee_policy_save",
    "late_fee_waive",
    "late_fees_post",
    "meter_create",
    "meter_gateway_create",
    "meter_gateway_for_token",
    "meter_push_receive",
    "meter_reading_record",
    "meter_readings_import",
    "meter_update",
    "payment_close",
    "payment_create",
    "payment_refund",
    "payments_reconcile",
    "prepaid_top_up",
    "prepaid_transfer",
    "refund_submit",
    "reminders_send",
    "statement_fetch",
    "statement_import",
    "statements_fetch_all",
    "tariff_create",
    "wechatpay_notification_receive",
]
