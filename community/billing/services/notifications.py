"""Provider notifications: persist the raw notification, then act, then acknowledge.

The notification row and its effect commit together, the view answers after the commit, and a
notification delivered twice, late or out of order finds its first delivery (unique event id)
or a settled payment (row lock on the payment) and is applied once. The demo provider plays
WeChat Pay through the same path.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import Merchant, NotificationOutcome, Payment, PaymentNotification, Provider
from ..providers import alipay, wechatpay
from ..providers.wechatpay import NotificationRejected
from ..transitions import SETTLED_STATUSES
from . import gateways
from ._common import actor_label, money
from .payments import settle


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
        settle(payment, transaction_id=transaction_id, by=by)
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
