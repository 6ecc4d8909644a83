"""Live calls to WeChat Pay v3 and Alipay: start a payment, ask about it, refund it, fetch the
daily statement. Wire formats in ``providers.wechatpay_api`` / ``providers.alipay_api``.

Every answer is believed only after its signature verifies with the platform's key (a forged
"paid" from a man in the middle must not settle a bill). Network failures and refusals become
a ServiceError with the provider's own message for ``prepay``; ``query`` answers None when it
cannot tell (the reconciliation job asks again later). The merchant's private key is read from
the file ``Merchant.private_key_path`` on the server, never kept in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
import zoneinfo
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..providers import alipay_api, wechatpay, wechatpay_api
from ..providers.wechatpay import NotificationRejected
from .gateway_base import Gateway, ProviderState, RefundOutcome

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=32)
def _key_at(path: str, mtime: float):
    with open(path, "rb") as handle:
        return wechatpay.load_private_key(handle.read())


def merchant_private_key(merchant):
    path = merchant.private_key_path
    if not path or not os.path.exists(path):
        raise ServiceError(
            _("Merchant %(code)s has no private key file; set its path in the merchant account.")
            % {"code": merchant.code},
            code="no_private_key",
        )
    return _key_at(path, os.path.getmtime(path))


def notify_url(merchant, route: str) -> str:
    base = getattr(settings, "BILLING_NOTIFY_BASE_URL", "")
    if not base:
        raise ServiceError(
            _("Set BILLING_NOTIFY_BASE_URL: the provider needs the public address of the site."),
            code="no_notify_url",
        )
    return base.rstrip("/") + reverse(route, args=[merchant.code])


def _unreachable(provider: str, exc: Exception) -> ServiceError:
    logger.warning("%s unreachable: %s", provider, exc)
    return ServiceError(
        _("The payment provider cannot be reached just now; try again in a minute."),
        code="provider_unreachable",
    )


# --- WeChat Pay v3 -----------------------------------------------------------------------------


class WeChatPayGateway(Gateway):
    def _call(self, merchant, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """One signed request; the answer's status and JSON once its signature verified."""
        text = wechatpay_api.dumps(body) if body is not None else ""
        base = (merchant.api_base or wechatpay_api.PRODUCTION).rstrip("/")
        headers = {
            "Authorization": wechatpay_api.authorization(
                method=method,
                path=path,
                body=text,
                mch_id=merchant.mch_id,
                serial=merchant.merchant_serial,
                private_key=merchant_private_key(merchant),
            ),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "community-billing/1",
        }
        try:
            reply = httpx.request(
                method, base + path, content=text.encode(), headers=headers, timeout=TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            raise _unreachable("wechatpay", exc) from None
        if reply.status_code >= 500:
            raise _unreachable("wechatpay", RuntimeError(f"HTTP {reply.status_code}"))
        try:
            wechatpay_api.verify_response(
                headers=dict(reply.headers),
                body=reply.content,
                platform_keys=merchant.platform_keys,
                now=time.time(),
            )
        except NotificationRejected as exc:
            logger.error("wechatpay answer refused (%s): %s", exc.code, exc)
            raise ServiceError(
                _("The payment provider's answer is not signed by it; nothing was changed."),
                code="unsigned_answer",
            ) from None
        data = reply.json() if reply.content else {}
        return reply.status_code, data

    def _refused(self, data: dict) -> ServiceError:
        return ServiceError(
            _("WeChat Pay refused: %(message)s")
            % {"message": str(data.get("message") or data.get("code"))[:200]},
            code="provider_refused",
        )

    def prepay(self, *, payment, channel: str, client: dict | None = None) -> dict:
        merchant = payment.merchant
        client = client or {}
        if channel == "jsapi" and not client.get("openid"):
            raise ServiceError(_("Paying inside WeChat needs the payer's openid."), code="no_openid")
        body = wechatpay_api.prepay_body(
            channel=channel,
            app_id=merchant.app_id,
            mch_id=merchant.mch_id,
            description=payment.note or str(_("Property fees")),
            out_trade_no=payment.out_trade_no,
            notify_url=notify_url(merchant, "billing-notify-wechatpay"),
            amount_fen=payment.amount_fen,
            openid=client.get("openid", ""),
            client_ip=client.get("ip", ""),
        )
        status, data = self._call(merchant, "POST", wechatpay_api.PREPAY_PATHS[channel], body)
        if status != 200:
            raise self._refused(data)
        if channel == "native":
            return {"code_url": data["code_url"]}
        if channel == "h5":
            return {"h5_url": data["h5_url"]}
        return wechatpay_api.jsapi_params(
            app_id=merchant.app_id, prepay_id=data["prepay_id"], private_key=merchant_private_key(merchant)
        )

    def query(self, *, payment) -> ProviderState | None:
        merchant = payment.merchant
        try:
            status, data = self._call(
                merchant, "GET", wechatpay_api.query_path(payment.out_trade_no, merchant.mch_id)
            )
        except ServiceError as exc:
            logger.warning("wechatpay query %s: %s", payment.out_trade_no, exc)
            return None
        if status != 200:
            return None
        state = data.get("trade_state")
        if state in ("SUCCESS", "REFUND"):
            return ProviderState(
                paid=True,
                closed=False,
                transaction_id=str(data.get("transaction_id", "")),
                amount_fen=int((data.get("amount") or {}).get("total", -1)),
            )
        return ProviderState(paid=False, closed=state in ("CLOSED", "REVOKED", "PAYERROR"))

    def refund(self, *, refund) -> RefundOutcome:
        payment = refund.payment
        body = {
            "out_trade_no": payment.out_trade_no,
            "out_refund_no": refund.out_refund_no,
            "reason": refund.reason[:80],
            "amount": {"refund": int(refund.amount * 100), "total": payment.amount_fen, "currency": "CNY"},
        }
        try:
            status, data = self._call(payment.merchant, "POST", wechatpay_api.REFUND_PATH, body)
        except ServiceError as exc:
            return RefundOutcome(state="failed", detail=str(exc.messages[0])[:300])
        if status != 200:
            return RefundOutcome(state="failed", detail=str(data.get("message") or data.get("code"))[:300])
        state = {"SUCCESS": "succeeded", "PROCESSING": "processing"}.get(data.get("status"), "failed")
        return RefundOutcome(
            state=state, refund_id=str(data.get("refund_id", "")), detail=str(data.get("status"))
        )

    def statement(self, *, merchant, bill_date: dt.date) -> bytes:
        path = f"{wechatpay_api.TRADE_BILL_PATH}?{urlencode({'bill_date': bill_date.isoformat(), 'bill_type': 'ALL'})}"
        status, data = self._call(merchant, "GET", path)
        if status != 200:
            raise self._refused(data)
        url = data["download_url"]
        parts = urlsplit(url)
        download_path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Authorization": wechatpay_api.authorization(
                method="GET",
                path=download_path,
                body="",
                mch_id=merchant.mch_id,
                serial=merchant.merchant_serial,
                private_key=merchant_private_key(merchant),
            )
        }
        try:
            reply = httpx.get(url, headers=headers, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise _unreachable("wechatpay", exc) from None
        # The file itself is not signed; its SHA1 came in the signed answer above.
        # SHA1 because the provider names it; a checksum against corruption, not a secret.
        digest = hashlib.sha1(reply.content, usedforsecurity=False).hexdigest()
        if reply.status_code != 200 or digest != str(data.get("hash_value", "")).lower():
            raise ServiceError(_("The statement file does not match its checksum."), code="bad_statement")
        return reply.content


# --- Alipay ------------------------------------------------------------------------------------


class AlipayGateway(Gateway):
    def _params(self, merchant, method: str, biz: dict, *, notify: bool = False) -> dict:
        return alipay_api.request_params(
            app_id=merchant.app_id,
            method=method,
            biz=biz,
            private_key=merchant_private_key(merchant),
            timestamp=dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            notify_url=notify_url(merchant, "billing-notify-alipay") if notify else "",
        )

    def _gateway(self, merchant) -> str:
        return merchant.api_base or alipay_api.PRODUCTION

    def _call(self, merchant, method: str, biz: dict, *, notify: bool = False) -> dict:
        params = self._params(merchant, method, biz, notify=notify)
        try:
            reply = httpx.post(self._gateway(merchant), data=params, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise _unreachable("alipay", exc) from None
        if reply.status_code != 200:
            raise _unreachable("alipay", RuntimeError(f"HTTP {reply.status_code}"))
        try:
            return alipay_api.verify_response(
                body=reply.text, method=method, public_key_pem=merchant.alipay_public_key
            )
        except (NotificationRejected, ValueError) as exc:
            logger.error("alipay answer refused: %s", exc)
            raise ServiceError(
                _("The payment provider's answer is not signed by it; nothing was changed."),
                code="unsigned_answer",
            ) from None

    @staticmethod
    def _refused(data: dict) -> ServiceError:
        return ServiceError(
            _("Alipay refused: %(message)s") % {"message": str(data.get("sub_msg") or data.get("msg"))[:200]},
            code="provider_refused",
        )

    def prepay(self, *, payment, channel: str, client: dict | None = None) -> dict:
        merchant = payment.merchant
        biz = {
            "out_trade_no": payment.out_trade_no,
            "total_amount": f"{payment.amount:.2f}",
            "subject": (payment.note or str(_("Property fees")))[:128],
        }
        if channel == "h5":
            # The payer's browser goes to the gateway with the signed form: no server call.
            params = self._params(
                merchant, "alipay.trade.wap.pay", {**biz, "product_code": "QUICK_WAP_WAY"}, notify=True
            )
            return {"pay_url": f"{self._gateway(merchant)}?{urlencode(params)}"}
        data = self._call(merchant, "alipay.trade.precreate", biz, notify=True)
        if data.get("code") != alipay_api.SUCCESS_CODE:
            raise self._refused(data)
        return {"code_url": data["qr_code"]}

    def query(self, *, payment) -> ProviderState | None:
        try:
            data = self._call(payment.merchant, "alipay.trade.query", {"out_trade_no": payment.out_trade_no})
        except ServiceError as exc:
            logger.warning("alipay query %s: %s", payment.out_trade_no, exc)
            return None
        if data.get("code") != alipay_api.SUCCESS_CODE:
            return None
        status = data.get("trade_status")
        if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return ProviderState(
                paid=True,
                closed=False,
                transaction_id=str(data.get("trade_no", "")),
                amount_fen=int(Decimal(str(data.get("total_amount", "-0.01"))) * 100),
            )
        return ProviderState(paid=False, closed=status == "TRADE_CLOSED")

    def refund(self, *, refund) -> RefundOutcome:
        biz = {
            "out_trade_no": refund.payment.out_trade_no,
            "refund_amount": f"{refund.amount:.2f}",
            "out_request_no": refund.out_refund_no,
            "refund_reason": refund.reason[:256],
        }
        try:
            data = self._call(refund.payment.merchant, "alipay.trade.refund", biz)
        except ServiceError as exc:
            return RefundOutcome(state="failed", detail=str(exc.messages[0])[:300])
        if data.get("code") != alipay_api.SUCCESS_CODE:
            return RefundOutcome(state="failed", detail=str(data.get("sub_msg") or data.get("msg"))[:300])
        return RefundOutcome(
            state="succeeded",
            refund_id=str(data.get("trade_no", "")),
            detail=json.dumps({"fund_change": data.get("fund_change")}),
        )

    def statement(self, *, merchant, bill_date: dt.date) -> bytes:
        data = self._call(
            merchant,
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": bill_date.isoformat()},
        )
        if data.get("code") != alipay_api.SUCCESS_CODE:
            raise self._refused(data)
        try:
            reply = httpx.get(data["bill_download_url"], timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise _unreachable("alipay", exc) from None
        if reply.status_code != 200:
            raise ServiceError(_("The statement file could not be downloaded."), code="bad_statement")
        return reply.content
