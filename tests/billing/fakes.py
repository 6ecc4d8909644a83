"""Local fake WeChat Pay v3 and Alipay servers: they check each request's signature as the
provider does, keep orders and refunds, and answer signed with their own platform key, so the
live gateways run their real wire format against them (there is no network here)."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from community.billing.providers import alipay_api, wechatpay, wechatpay_api
from community.billing.providers.wechatpay import NotificationRejected


class _Server:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.orders: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.statements: dict[str, bytes] = {}
        self.fail_next = 0
        self.server = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.lock:
                    if fake.fail_next:
                        fake.fail_next -= 1
                        status, headers, answer = 500, {}, b"oops"
                    else:
                        status, headers, answer = fake.handle(
                            self.command, self.path, dict(self.headers), body
                        )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeWeChatPay(_Server):
    """WeChat Pay API v3 as the merchant sees it."""

    def __init__(self, *, merchant_public_pem: str, platform_key, platform_serial: str, mch_id: str):
        super().__init__()
        self.merchant_public_pem = merchant_public_pem
        self.platform_key = platform_key
        self.platform_serial = platform_serial
        self.mch_id = mch_id
        self.forge_answers = False
        self.refuse_refunds = False

    def _answer(self, status: int, data: dict | None) -> tuple[int, dict, bytes]:
        body = wechatpay_api.dumps(data).encode() if data is not None else b""
        key = wechatpay.new_private_key() if self.forge_answers else self.platform_key
        headers = wechatpay_api.signed_headers(body=body, private_key=key, serial=self.platform_serial)
        headers["Content-Type"] = "application/json"
        return status, headers, body

    def handle(self, method, path, headers, body):
        try:
            wechatpay_api.verify_request(
                method=method,
                path=path,
                body=body.decode(),
                header=headers.get("Authorization", ""),
                public_key_pem=self.merchant_public_pem,
            )
        except NotificationRejected:
            return self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        data = json.loads(body) if body else {}
        self.requests.append({"method": method, "path": path, "body": data})
        route = urlsplit(path).path
        if method == "POST" and route in wechatpay_api.PREPAY_PATHS.values():
            if data.get("mchid") != self.mch_id:
                return self._answer(400, {"code": "PARAM_ERROR", "message": "mchid不匹配"})
            self.orders[data["out_trade_no"]] = {"amount": data["amount"]["total"], "state": "NOTPAY"}
            prepay_id = f"wx{secrets.token_hex(14)}"
            if route.endswith("native"):
                return self._answer(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={prepay_id[:12]}"})
            if route.endswith("h5"):
                return self._answer(200, {"h5_url": f"https://wx.tenpay.com/checkmweb?prepay_id={prepay_id}"})
            return self._answer(200, {"prepay_id": prepay_id})
        if method == "GET" and route.startswith("/v3/pay/transactions/out-trade-no/"):
            order = self.orders.get(route.rsplit("/", 1)[1])
            if order is None:
                return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            return self._answer(
                200,
                {
                    "trade_state": order["state"],
                    "transaction_id": order.get("transaction_id", ""),
                    "amount": {"total": order["amount"]},
                },
            )
        if method == "POST" and route == wechatpay_api.REFUND_PATH:
            if self.refuse_refunds:
                return self._answer(403, {"code": "NOT_ENOUGH", "message": "基本账户余额不足"})
            refund_id = f"5030{secrets.randbelow(10**20):020d}"
            self.refunds[data["out_refund_no"]] = {**data, "refund_id": refund_id}
            return self._answer(200, {"refund_id": refund_id, "status": "SUCCESS"})
        if method == "GET" and route == wechatpay_api.TRADE_BILL_PATH:
            day = dict(parse_qsl(urlsplit(path).query))["bill_date"]
            content = self.statements.get(day)
            if content is None:
                return self._answer(400, {"code": "NO_STATEMENT_EXIST", "message": "账单不存在"})
            return self._answer(
                200,
                {
                    "download_url": f"{self.url}/v3/billdownload/file?token={day}",
                    "hash_type": "SHA1",
                    "hash_value": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
                },
            )
        if method == "GET" and route == "/v3/billdownload/file":
            day = dict(parse_qsl(urlsplit(path).query))["token"]
            return 200, {"Content-Type": "application/octet-stream"}, self.statements[day]
        return self._answer(404, {"code": "NOT_FOUND", "message": path})

    def pay(self, out_trade_no: str, *, amount_fen: int | None = None) -> str:
        """The payer pays at the provider (no notification reaches us)."""
        order = self.orders[out_trade_no]
        order["state"] = "SUCCESS"
        order["transaction_id"] = f"4200{secrets.randbelow(10**24):024d}"
        if amount_fen is not None:
            order["amount"] = amount_fen
        return order["transaction_id"]


class FakeAlipay(_Server):
    """Alipay's OpenAPI gateway."""

    def __init__(self, *, app_public_pem: str, alipay_key, app_id: str):
        super().__init__()
        self.app_public_pem = app_public_pem
        self.alipay_key = alipay_key
        self.app_id = app_id

    def handle(self, method, path, headers, body):
        route = urlsplit(path).path
        if method == "GET" and route.startswith("/bill/"):
            return 200, {"Content-Type": "application/zip"}, self.statements[route.rsplit("/", 1)[1]]
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        api = params.get("method", "")
        try:
            alipay_api.verify_request(params=params, public_key_pem=self.app_public_pem)
        except NotificationRejected:
            return self._answer(
                api,
                {
                    "code": "40002",
                    "msg": "Invalid Arguments",
                    "sub_code": "isv.invalid-signature",
                    "sub_msg": "验签出错",
                },
            )
        biz = json.loads(params.get("biz_content") or "{}")
        self.requests.append({"method": api, "params": params, "biz": biz})
        if params.get("app_id") != self.app_id:
            return self._answer(api, {"code": "40002", "msg": "Invalid Arguments", "sub_msg": "app_id不匹配"})
        if api == "alipay.trade.precreate":
            self.orders[biz["out_trade_no"]] = {"amount": biz["total_amount"], "status": "WAIT_BUYER_PAY"}
            return self._answer(
                api,
                {
                    "code": "10000",
                    "msg": "Success",
                    "out_trade_no": biz["out_trade_no"],
                    "qr_code": "https://qr.alipay.com/bax0",
                },
            )
        if api == "alipay.trade.query":
            order = self.orders.get(biz["out_trade_no"])
            if order is None:
                return self._answer(
                    api, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
                )
            return self._answer(
                api,
                {
                    "code": "10000",
                    "msg": "Success",
                    "trade_status": order["status"],
                    "trade_no": order.get("trade_no", ""),
                    "total_amount": order["amount"],
                },
            )
        if api == "alipay.trade.refund":
            self.refunds[biz["out_request_no"]] = biz
            return self._answer(
                api,
                {
                    "code": "10000",
                    "msg": "Success",
                    "fund_change": "Y",
                    "refund_fee": biz["refund_amount"],
                    "trade_no": "2026",
                },
            )
        if api == "alipay.data.dataservice.bill.downloadurl.query":
            return self._answer(
                api,
                {
                    "code": "10000",
                    "msg": "Success",
                    "bill_download_url": f"{self.url}/bill/{biz['bill_date']}",
                },
            )
        return self._answer(api, {"code": "40004", "msg": "Business Failed", "sub_msg": "unknown method"})

    def _answer(self, api: str, payload: dict):
        text = alipay_api.signed_answer(method=api or "error", payload=payload, private_key=self.alipay_key)
        return 200, {"Content-Type": "application/json;charset=utf-8"}, text.encode()

    def pay(self, out_trade_no: str) -> str:
        order = self.orders[out_trade_no]
        order["status"] = "TRADE_SUCCESS"
        order["trade_no"] = f"2026{secrets.randbelow(10**24):024d}"
        return order["trade_no"]


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))
