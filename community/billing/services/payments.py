"""Payments: one provider-neutral state machine (``transitions``), the notification
endpoints' services, offline payments, the demo provider, prepaid top-ups and refunds.

Persist the raw notification, then act, then acknowledge: the notification row and its effect
commit together, the view answers after the commit, and a notification delivered twice, late or
out of order finds its first delivery (unique event id) or a settled payment (row lock on the
payment) and is applied once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError, TransitionRefused

from .. import calc
from ..models import (
    Allocation,
    Bill,
    Merchant,
    NotificationOutcome,
    Payment,
    PaymentNotification,
    PrepaidEntry,
    PrepaidKind,
    Provider,
    Receipt,
    Refund,
)
from ..providers import alipay, wechatpay
from ..providers.wechatpay import NotificationRejected
from ..transitions import SETTLED_STATUSES, PaymentAction, PaymentStatus, next_status
from . import gateways
from ._common import ZERO, actor_label, money, refresh_bill_status, take_numbers
from .ledger import bill_add_paid, lock_units, prepaid_balances

logger = logging.getLogger(__name__)

ONLINE_PROVIDERS = (Provider.WECHATPAY, Provider.ALIPAY, Provider.DEMO)
WECHAT_CHANNELS = ("jsapi", "h5", "native")
OFFLINE_CHANNELS = ("cash", "transfer", "pos")


def new_trade_no(prefix: str = "P") -> str:
    """Unique, at most 32 characters of [0-9A-Za-z], as WeChat and Alipay require."""
    return f"{prefix}{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(8)}"


def _is_staff_of(user, estate_id) -> bool:
    from community.scoping import staff_can_access_estate

    return bool(getattr(user, "is_staff", False)) and staff_can_access_estate(user, estate_id)


def _bills_oldest_first(bills):
    return sorted(bills, key=lambda b: (b.due_date, b.period_start or b.due_date, b.pk))


# --- creating a payment ----------------------------------------------------------------------


def payment_create(
    *,
    bills: list[Bill],
    provider: str,
    channel: str = "",
    by,
    amount: Decimal | None = None,
    payer_unit=None,
    note: str = "",
) -> Payment:
    """Start a payment for the amount due of ``bills`` (or ``amount``: less is a partial payment,
    more goes to the payer unit's prepaid balance; no bills and a unit is a top-up).

    provider "wechatpay" | "alipay" | "demo" | "offline"; channel for WeChat "jsapi" | "h5" |
    "native" (QR code). An offline payment is money already in the staff member's hands: it is
    paid at once and gets its receipt.
    """
    actor = actor_label(by)
    if provider not in Provider.values:
        raise ServiceError({"provider": [_("Unknown payment provider.")]}, code="bad_provider")
    if provider in (Provider.WECHATPAY, Provider.DEMO) and channel not in WECHAT_CHANNELS:
        if channel:
            raise ServiceError(
                {"channel": [_("WeChat Pay channels are jsapi, h5 and native.")]}, code="bad_channel"
            )
        channel = "native"
    if provider == Provider.OFFLINE and channel not in OFFLINE_CHANNELS:
        raise ServiceError(
            {"channel": [_("Offline payments are cash, transfer or pos.")]}, code="bad_channel"
        )
    bills = list(bills or [])
    with transaction.atomic():
        locked = list(Bill.objects.select_for_update().filter(pk__in=[b.pk for b in bills]).order_by("pk"))
        if len(locked) != len({b.pk for b in bills}):
            raise ServiceError({"bills": [_("Unknown bill.")]}, code="bad_bill")
        estates = {b.estate_id for b in locked}
        units = {b.payer_unit_id for b in locked}
        if len(estates) > 1:
            raise ServiceError(
                {"bills": [_("Pay the bills of one estate at a time.")]}, code="several_estates"
            )
        if payer_unit is not None:
            units.add(payer_unit.pk)
        if len(units) > 1:
            raise ServiceError({"bills": [_("Pay the bills of one payer at a time.")]}, code="several_payers")
        unit_id = next(iter(units)) if units else None
        if locked:
            estate_id = locked[0].estate_id
        elif payer_unit is not None:
            estate_id = payer_unit.building.estate_id
        else:
            raise ServiceError(
                {"bills": [_("Choose the bills to pay, or the unit to top up.")]}, code="nothing_to_pay"
            )
        closed = [b.number for b in locked if not b.is_open]
        if closed:
            raise TransitionRefused(
                _("Already paid: %(numbers)s.") % {"numbers": ", ".join(closed)}, code="bill_not_open"
            )
        due = sum((b.amount_due for b in locked), ZERO)
        amount = due if amount is None else money(amount)
        if amount <= 0:
            raise ServiceError({"amount": [_("Nothing is due on these bills.")]}, code="nothing_due")
        if amount > due and unit_id is None:
            raise ServiceError(
                {"amount": [_("A payer without a unit cannot pay more than is due.")]}, code="overpay_walk_in"
            )
        if provider == Provider.OFFLINE and not (
            not isinstance(by, str) and (getattr(by, "is_superuser", False) or _is_staff_of(by, estate_id))
        ):
            raise NotAllowed(_("Only the estate's staff record offline payments."), code="staff_only")
        merchant = gateways.merchant_for(provider=provider, estate_id=estate_id)
        payment = Payment.objects.create(
            estate_id=estate_id,
            out_trade_no=new_trade_no(),
            provider=provider,
            channel=channel,
            merchant=merchant,
            payer_unit_id=unit_id,
            amount=amount,
            created_by=actor,
            note=note[:200],
        )
        payment.bills.set(locked)
        if provider == Provider.OFFLINE:
            _settle(payment, transaction_id="", by=actor)
            return payment
    # The provider is asked outside the database transaction: a slow network holds no locks.
    try:
        params = gateways.for_provider(provider).prepay(payment=payment, channel=channel)
    except ServiceError:
        payment_close(payment=payment, by=by)  # never handed to the payer: nothing to wait for
        raise
    with transaction.atomic():
        locked_payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked_payment.status == PaymentStatus.CREATED:
            locked_payment.status = next_status(locked_payment.status, PaymentAction.START)
        locked_payment.provider_params = params
        locked_payment.save(update_fields=["status", "provider_params"])
    return locked_payment


def prepaid_top_up(*, unit, amount: Decimal, provider: str, channel: str = "", by) -> Payment:
    """Money into a unit's prepaid balance (预存): a payment with no bills."""
    return payment_create(bills=[], provider=provider, channel=channel, amount=amount, payer_unit=unit, by=by)


# --- settling: the one place money lands -----------------------------------------------------


def _settle(payment: Payment, *, transaction_id: str, by: str) -> None:
    """Mark a (locked) payment paid, settle its bills oldest first, put any rest in the prepaid
    balance, number its receipt. Runs inside the caller's transaction."""
    payment.status = next_status(payment.status, PaymentAction.PAY)
    payment.provider_transaction_id = transaction_id
    payment.paid_at = timezone.now()
    payment.save(update_fields=["status", "provider_transaction_id", "paid_at"])
    bills = _bills_oldest_first(Bill.objects.select_for_update().filter(payments=payment))
    allocations, left = calc.allocate(payment.amount, [(bill, bill.amount_due) for bill in bills])
    Allocation.objects.bulk_create(
        [Allocation(bill=bill, payment=payment, amount=amt) for bill, amt in allocations]
    )
    for bill, amt in allocations:
        bill_add_paid(bill, amt)
    if left > 0:
        if payment.payer_unit_id is None:
            # A walk-in payer paid a bill someone else settled meanwhile: staff refund it.
            payment.note = (payment.note + " unallocated:" + str(left))[:200]
            payment.save(update_fields=["note"])
        else:
            lock_units([payment.payer_unit_id])
            PrepaidEntry.objects.create(
                unit_id=payment.payer_unit_id,
                amount=left,
                payment=payment,
                created_by=by,
                kind=PrepaidKind.OVERPAYMENT if bills else PrepaidKind.TOP_UP,
            )
    number = take_numbers(estate_id=payment.estate_id, kind="receipt")
    Receipt.objects.create(estate_id=payment.estate_id, number=number, payment=payment)


@dataclass(frozen=True)
class NotifyAnswer:
    """What the notification endpoint answers (after the commit) and what it stored."""

    status: int
    body: str
    content_type: str
    notification: PaymentNotification | None


def _wechat_answer(status: int, message: str = "", notification=None) -> NotifyAnswer:
    if status < 300:
        return NotifyAnswer(204, "", "application/json", notification)
    return NotifyAnswer(
        status, json.dumps({"code": "FAIL", "message": message}), "application/json", notification
    )


def _keep_raw(
    *, provider, merchant, merchant_code, headers, body: str, outcome, detail
) -> PaymentNotification:
    return PaymentNotification.objects.create(
        provider=provider,
        merchant=merchant,
        merchant_code=merchant_code[:60],
        headers=headers,
        body=body,
        outcome=outcome,
        detail=detail[:300],
        flagged=True,
    )


def _record_once(**fields) -> tuple[PaymentNotification, bool]:
    """Store a verified notification under its event id; a replay finds the first delivery."""
    try:
        with transaction.atomic():
            return PaymentNotification.objects.create(**fields), True
    except IntegrityError:
        existing = PaymentNotification.objects.select_for_update().get(
            provider=fields["provider"], event_id=fields["event_id"]
        )
        PaymentNotification.objects.filter(pk=existing.pk).update(deliveries=F("deliveries") + 1)
        return existing, False


def _apply_paid(
    notification: PaymentNotification, *, out_trade_no: str, transaction_id: str, amount_fen: int, by: str
) -> None:
    """Apply a verified "paid" to its payment once; mismatches are stored, flagged, not applied."""
    payment = Payment.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
    outcome, detail, flagged = NotificationOutcome.APPLIED, "", False
    if payment is None:
        outcome, detail, flagged = NotificationOutcome.UNKNOWN_TRADE, f"no payment {out_trade_no[:40]}", True
    elif notification.merchant_id and payment.merchant_id and payment.merchant_id != notification.merchant_id:
        outcome, detail, flagged = NotificationOutcome.REJECTED, "payment belongs to another merchant", True
    elif amount_fen != payment.amount_fen:
        outcome, flagged = NotificationOutcome.AMOUNT_MISMATCH, True
        detail = f"notified {amount_fen} fen, payment is {payment.amount_fen} fen"
    elif payment.status in SETTLED_STATUSES:
        if payment.provider_transaction_id == transaction_id:
            outcome = NotificationOutcome.DUPLICATE
        else:
            outcome, flagged = NotificationOutcome.REJECTED, True
            detail = f"paid again by {transaction_id[:40]}: refund the second payment"
    else:
        _settle(payment, transaction_id=transaction_id, by=by)
    notification.payment = payment
    notification.outcome, notification.detail, notification.flagged = outcome, detail[:300], flagged
    notification.save(update_fields=["payment", "outcome", "detail", "flagged"])


def wechatpay_notification_receive(
    *, merchant_code: str, headers: dict[str, str], body: bytes, by, now: float | None = None
) -> NotifyAnswer:
    """``POST /pay/notify/wechatpay/<merchant>``: verify, store raw, apply once, answer after commit.

    WeChat acts on the HTTP status: 204 once stored (also for a replay and for an amount that
    does not match, which is flagged for staff and never applied); 4xx for a notification that
    does not verify or decrypt, which is kept raw for staff.
    """
    actor = actor_label(by)
    text = body.decode("utf-8", errors="replace")
    headers = {
        k: v for k, v in headers.items() if k.lower().startswith("wechatpay-") or k.lower() == "content-type"
    }
    merchant = Merchant.objects.filter(
        code=merchant_code, provider__in=[Provider.WECHATPAY, Provider.DEMO]
    ).first()
    provider = merchant.provider if merchant else Provider.WECHATPAY
    if merchant is None:
        _keep_raw(
            provider=provider,
            merchant=None,
            merchant_code=merchant_code,
            headers=headers,
            body=text,
            outcome=NotificationOutcome.REJECTED,
            detail="unknown merchant",
        )
        return _wechat_answer(404, "unknown merchant")
    try:
        verified = wechatpay.verify(
            headers=headers,
            body=body,
            platform_keys=merchant.platform_keys,
            api_v3_key=merchant.api_v3_key,
            now=time.time() if now is None else now,
        )
    except NotificationRejected as exc:
        outcome = (
            NotificationOutcome.UNDECRYPTABLE
            if exc.code == "undecryptable"
            else NotificationOutcome.BAD_SIGNATURE
        )
        _keep_raw(
            provider=provider,
            merchant=merchant,
            merchant_code=merchant_code,
            headers=headers,
            body=text,
            outcome=outcome,
            detail=f"{exc.code}: {exc}",
        )
        return _wechat_answer(400 if exc.code == "undecryptable" else 401, str(exc))
    with transaction.atomic():
        notification, first = _record_once(
            provider=provider,
            merchant=merchant,
            merchant_code=merchant_code,
            event_id=verified.event_id,
            headers=headers,
            body=text,
            outcome=NotificationOutcome.RECEIVED,
        )
        if not first:
            return _wechat_answer(204, notification=notification)
        tx = verified.transaction
        if verified.event_type != "TRANSACTION.SUCCESS" or tx.get("trade_state") != "SUCCESS":
            notification.outcome = NotificationOutcome.IGNORED
            notification.save(update_fields=["outcome"])
        elif tx.get("mchid") != merchant.mch_id or tx.get("appid") != merchant.app_id:
            notification.outcome, notification.flagged = NotificationOutcome.REJECTED, True
            notification.detail = "mchid/appid do not match the merchant"
            notification.save(update_fields=["outcome", "flagged", "detail"])
        else:
            try:
                amount_fen = int(tx["amount"]["total"])
            except (KeyError, TypeError, ValueError):
                amount_fen = -1
            _apply_paid(
                notification,
                out_trade_no=str(tx.get("out_trade_no", "")),
                transaction_id=str(tx.get("transaction_id", "")),
                amount_fen=amount_fen,
                by=actor,
            )
    return _wechat_answer(204, notification=notification)


def alipay_notification_receive(
    *, merchant_code: str, params: dict[str, str], raw_body: str, by
) -> NotifyAnswer:
    """``POST /pay/notify/alipay/<merchant>``: RSA2, app_id, seller and amount checked;
    TRADE_SUCCESS / TRADE_FINISHED applied once; answered ``success`` after commit."""
    actor = actor_label(by)
    merchant = Merchant.objects.filter(code=merchant_code, provider=Provider.ALIPAY).first()
    if merchant is None:
        _keep_raw(
            provider=Provider.ALIPAY,
            merchant=None,
            merchant_code=merchant_code,
            headers={},
            body=raw_body,
            outcome=NotificationOutcome.REJECTED,
            detail="unknown merchant",
        )
        return NotifyAnswer(404, "failure", "text/plain", None)
    try:
        alipay.verify(params=params, public_key_pem=merchant.alipay_public_key)
    except NotificationRejected as exc:
        _keep_raw(
            provider=Provider.ALIPAY,
            merchant=merchant,
            merchant_code=merchant_code,
            headers={},
            body=raw_body,
            outcome=NotificationOutcome.BAD_SIGNATURE,
            detail=f"{exc.code}: {exc}",
        )
        return NotifyAnswer(400, "failure", "text/plain", None)
    event_id = params.get("notify_id") or f"{params.get('trade_no', '')}:{params.get('trade_status', '')}"
    with transaction.atomic():
        notification, first = _record_once(
            provider=Provider.ALIPAY,
            merchant=merchant,
            merchant_code=merchant_code,
            event_id=event_id[:80],
            headers={},
            body=raw_body,
            outcome=NotificationOutcome.RECEIVED,
        )
        if first:
            if (
                params.get("app_id") != merchant.app_id
                or params.get("seller_id", merchant.mch_id) != merchant.mch_id
            ):
                notification.outcome, notification.flagged = NotificationOutcome.REJECTED, True
                notification.detail = "app_id/seller_id do not match the merchant"
                notification.save(update_fields=["outcome", "flagged", "detail"])
            elif params.get("trade_status") not in alipay.PAID_STATES:
                notification.outcome = NotificationOutcome.IGNORED
                notification.save(update_fields=["outcome"])
            else:
                try:
                    amount_fen = int(money(params.get("total_amount", "")) * 100)
                except ServiceError:
                    amount_fen = -1
                _apply_paid(
                    notification,
                    out_trade_no=params.get("out_trade_no", ""),
                    transaction_id=params.get("trade_no", ""),
                    amount_fen=amount_fen,
                    by=actor,
                )
    return NotifyAnswer(200, "success", "text/plain", notification)


# --- the demo provider -----------------------------------------------------------------------


def demo_payment_complete(*, payment: Payment, by) -> Payment:
    """Embedded/demo mode: the server plays WeChat Pay, signs the real notification with the
    demo platform key and hands it to the real notification path."""
    actor_label(by)
    if payment.provider != Provider.DEMO:
        raise ServiceError(_("Only a demo payment can be completed by the demo provider."), code="not_demo")
    merchant = payment.merchant or gateways.demo_merchant()
    keys = gateways.demo_keys()
    transaction_data = wechatpay.transaction_success(
        mch_id=merchant.mch_id,
        app_id=merchant.app_id,
        out_trade_no=payment.out_trade_no,
        transaction_id=f"4200{secrets.randbelow(10**24):024d}",
        amount_fen=payment.amount_fen,
        trade_type=payment.channel.upper() or "NATIVE",
    )
    headers, body = wechatpay.build_notification(
        transaction=transaction_data,
        api_v3_key=merchant.api_v3_key,
        private_key=keys.private_key,
        serial=keys.serial,
    )
    answer = wechatpay_notification_receive(
        merchant_code=merchant.code, headers=headers, body=body, by="provider:demo"
    )
    if answer.status >= 300:
        raise ServiceError(_("The demo notification was refused: %(body)s") % {"body": answer.body})
    payment.refresh_from_db()
    return payment


# --- closing, reconciliation, refunds ------------------------------------------------------


def payment_close(*, payment: Payment, by) -> Payment:
    """The payer gave up (or the order timed out): no money expected any more."""
    actor_label(by)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        locked.status = next_status(locked.status, PaymentAction.CLOSE)
        locked.save(update_fields=["status"])
        return locked


def payments_reconcile(*, older_than: dt.timedelta = dt.timedelta(minutes=10), by) -> int:
    """Ask the provider about pending payments that got no notification; settle what was paid."""
    actor = actor_label(by)
    settled = 0
    cutoff = timezone.now() - older_than
    for payment in Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=cutoff).exclude(
        provider=Provider.OFFLINE
    ):
        state = gateways.for_provider(payment.provider).query(payment=payment)
        if state is None:
            continue
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status != PaymentStatus.PENDING:
                continue
            if state.paid and state.amount_fen == locked.amount_fen:
                _settle(locked, transaction_id=state.transaction_id, by=actor)
                settled += 1
            elif state.closed:
                locked.status = next_status(locked.status, PaymentAction.CLOSE)
                locked.save(update_fields=["status"])
    return settled


def payment_refund(*, payment: Payment, amount: Decimal, reason: str, by) -> Refund:
    """Give money back (partial or all), with a reason, audited.

    The ledger is undone newest first: first what this payment put in the prepaid balance (as
    far as it is still there), then its bill allocations, newest bill first, which re-open.
    """
    actor = actor_label(by)
    amount = money(amount)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError({"reason": [_("Give the reason for the refund.")]}, code="no_reason")
    if isinstance(by, str) or not (getattr(by, "is_superuser", False) or _is_staff_of(by, payment.estate_id)):
        raise NotAllowed(_("Only the estate's staff refund payments."), code="staff_only")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        left = locked.amount - locked.refunded_amount
        if amount > left:
            raise ServiceError(
                {"amount": [_("At most %(left)s can be refunded.") % {"left": left}]}, code="too_much"
            )
        action = PaymentAction.REFUND_ALL if amount == left else PaymentAction.REFUND_PART
        locked.status = next_status(locked.status, action)
        to_undo = amount
        if locked.payer_unit_id:
            lock_units([locked.payer_unit_id])
            put_in = sum((e.amount for e in locked.prepaid_entries.all()), ZERO)
            balance = prepaid_balances([locked.payer_unit_id]).get(locked.payer_unit_id, ZERO)
            from_prepaid = min(put_in, balance, to_undo)
            if from_prepaid > 0:
                PrepaidEntry.objects.create(
                    unit_id=locked.payer_unit_id,
                    kind=PrepaidKind.REFUND,
                    amount=-from_prepaid,
                    payment=locked,
                    created_by=actor,
                )
                to_undo -= from_prepaid
        if to_undo > 0:
            by_bill: dict[int, Decimal] = {}
            for allocation in locked.allocations.all():
                by_bill[allocation.bill_id] = by_bill.get(allocation.bill_id, ZERO) + allocation.amount
            bills = _bills_oldest_first(Bill.objects.select_for_update().filter(pk__in=by_bill))
            for bill in reversed(bills):
                take = min(by_bill[bill.pk], to_undo)
                if take <= 0:
                    continue
                Allocation.objects.create(bill=bill, payment=locked, amount=-take)
                bill.amount_paid -= take
                refresh_bill_status(bill)
                bill.save(update_fields=["amount_paid", "status"])
                to_undo -= take
        if to_undo > 0:
            raise ServiceError(
                _("The prepaid balance this payment made has been spent; refund from the bills first."),
                code="spent",
            )
        locked.refunded_amount += amount
        locked.save(update_fields=["status", "refunded_amount"])
        refund = Refund.objects.create(
            payment=locked, out_refund_no=new_trade_no("R"), amount=amount, reason=reason, created_by=actor
        )
        if locked.provider != Provider.OFFLINE:
            transaction.on_commit(lambda: gateways.for_provider(locked.provider).refund(refund=refund))
        return refund
