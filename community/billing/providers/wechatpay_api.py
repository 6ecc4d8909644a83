"""WeChat Pay API v3 calls in their wire format: signed requests, verified answers, the daily
trade statement (交易账单).

A request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
signature="…",timestamp="…",serial_no="…"``; the signature is RSA-SHA256 (PKCS#1 v1.5) with the
merchant's API private key over ``"{METHOD}\\n{path?query}\\n{timestamp}\\n{nonce}\\n{body}\\n"``.
Every answer is signed by the platform like a notification (``Wechatpay-*`` headers over
``"{timestamp}\\n{nonce}\\n{body}\\n"``) and is checked before it is believed.

Pure code: the HTTP exchange itself is the gateway's (``services.gateways``).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .wechatpay import MAX_CLOCK_SKEW_SECONDS, SIGNATURE_TYPE, NotificationRejected, load_public_key, sign

PRODUCTION = "https://api.mch.weixin.qq.com"

PREPAY_PATHS = {
    "native": "/v3/pay/transactions/native",
    "jsapi": "/v3/pay/transactions/jsapi",
    "h5": "/v3/pay/transactions/h5",
}
REFUND_PATH = "/v3/refund/domestic/refunds"
TRADE_BILL_PATH = "/v3/bill/tradebill"


def query_path(out_trade_no: str, mch_id: str) -> str:
    return f"/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={mch_id}"


def request_message(method: str, path: str, timestamp: str, nonce: str, body: str) -> bytes:
    return f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()


def authorization(
    *, method: str, path: str, body: str, mch_id: str, serial: str, private_key, timestamp=None, nonce=None
) -> str:
    """The ``Authorization`` header of one request."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16).upper()
    signature = sign(private_key, request_message(method, path, timestamp, nonce, body))
    return (
        f'{SIGNATURE_TYPE} mchid="{mch_id}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of an ``Authorization`` header (the fake platform in tests checks them)."""
    scheme, _, rest = header.partition(" ")
    fields = {"scheme": scheme}
    for part in rest.split(","):
        key, _, value = part.partition("=")
        fields[key.strip()] = value.strip().strip('"')
    return fields


def verify_request(*, method: str, path: str, body: str, header: str, public_key_pem: str) -> dict[str, str]:
    """Check a request's signature with the merchant's public key (what the platform does)."""
    fields = parse_authorization(header)
    if fields.get("scheme") != SIGNATURE_TYPE:
        raise NotificationRejected("bad_scheme", "not WECHATPAY2-SHA256-RSA2048")
    try:
        load_public_key(public_key_pem).verify(
            base64.b64decode(fields.get("signature", ""), validate=True),
            request_message(method, path, fields.get("timestamp", ""), fields.get("nonce_str", ""), body),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        raise NotificationRejected("bad_signature", "request signature does not verify") from None
    return fields


def verify_response(
    *, headers: dict[str, str], body: bytes, platform_keys: dict[str, str], now: float
) -> None:
    """An answer is believed only when the platform signed it (same scheme as notifications)."""

    def header(name: str) -> str:
        for key, value in headers.items():
            if key.lower() == name.lower():
                return value
        return ""

    timestamp, nonce = header("Wechatpay-Timestamp"), header("Wechatpay-Nonce")
    signature, serial = header("Wechatpay-Signature"), header("Wechatpay-Serial")
    pem = platform_keys.get(serial)
    if not (timestamp and nonce and signature) or pem is None:
        raise NotificationRejected("unsigned_answer", "the answer is not signed with a known platform key")
    try:
        if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            raise NotificationRejected("stale_timestamp", "answer timestamp too far from now")
        load_public_key(pem).verify(
            base64.b64decode(signature, validate=True),
            timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n",
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        raise NotificationRejected("bad_signature", "answer signature does not verify") from None


def signed_headers(*, body: bytes, private_key, serial: str, timestamp=None) -> dict[str, str]:
    """``Wechatpay-*`` headers for an answer (the fake platform in tests signs with them)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sign(private_key, ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"),
        "Wechatpay-Serial": serial,
    }


def prepay_body(
    *,
    channel: str,
    app_id: str,
    mch_id: str,
    description: str,
    out_trade_no: str,
    notify_url: str,
    amount_fen: int,
    openid: str = "",
    client_ip: str = "",
) -> dict:
    body = {
        "appid": app_id,
        "mchid": mch_id,
        "description": description[:127],
        "out_trade_no": out_trade_no,
        "notify_url": notify_url,
        "amount": {"total": amount_fen, "currency": "CNY"},
    }
    if channel == "jsapi":
        body["payer"] = {"openid": openid}
    if channel == "h5":
        body["scene_info"] = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
    return body


def jsapi_params(*, app_id: str, prepay_id: str, private_key) -> dict[str, str]:
    """What ``wx.requestPayment`` takes, signed with the merchant key."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    message = f"{app_id}\n{timestamp}\n{nonce}\n{package}\n".encode()
    return {
        "appId": app_id,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": sign(private_key, message),
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# --- the daily trade statement -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    """One line of a provider statement: a payment (``refund_no`` empty) or a refund."""

    out_trade_no: str
    transaction_id: str
    amount: Decimal
    refund_no: str = ""
    refund_id: str = ""


def _money(text: str) -> Decimal:
    try:
        return Decimal(text.strip() or "0").quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"not an amount: {text[:20]!r}") from None


def parse_trade_bill(content: bytes) -> list[StatementRow]:
    """The ALL trade bill as WeChat Pay sends it: a CSV header, rows whose every field starts with
    a backtick, then a summary header (总交易单数 …) and its row.

    SUCCESS rows are payments (订单金额); REFUND rows are refunds (申请退款金额, 商户退款单号).
    """
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError("empty statement") from None
    needed = ["微信订单号", "商户订单号", "交易状态", "订单金额"]
    if any(name not in header for name in needed):
        raise ValueError(
            "not a WeChat Pay trade bill: columns 微信订单号, 商户订单号, 交易状态, 订单金额 needed"
        )
    col = {name: header.index(name) for name in header}
    rows: list[StatementRow] = []
    for fields in reader:
        if not fields or not fields[0].startswith("`"):
            break  # the summary block
        values = [f.strip().lstrip("`").strip() for f in fields]
        state = values[col["交易状态"]]
        if state == "SUCCESS":
            rows.append(
                StatementRow(
                    out_trade_no=values[col["商户订单号"]],
                    transaction_id=values[col["微信订单号"]],
                    amount=_money(values[col["订单金额"]]),
                )
            )
        elif state == "REFUND":
            amount_col = col.get("申请退款金额", col.get("退款金额"))
            rows.append(
                StatementRow(
                    out_trade_no=values[col["商户订单号"]],
                    transaction_id=values[col["微信订单号"]],
                    amount=_money(values[amount_col]),
                    refund_no=values[col["商户退款单号"]] if "商户退款单号" in col else "",
                    refund_id=values[col["微信退款单号"]] if "微信退款单号" in col else "",
                )
            )
    return rows


TRADE_BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)


def build_trade_bill(*, app_id: str, mch_id: str, rows: list[StatementRow], day: str) -> bytes:
    """A trade bill in the provider's format (the fake platform in tests serves it)."""
    lines = [TRADE_BILL_HEADER]
    total = refunds = Decimal("0.00")
    for row in rows:
        refund = bool(row.refund_no)
        fields = [
            f"{day} 12:00:00",
            app_id,
            mch_id,
            "0",
            "",
            row.transaction_id,
            row.out_trade_no,
            "oUser",
            "NATIVE",
            "REFUND" if refund else "SUCCESS",
            "OTHERS",
            "CNY",
            "0.00" if refund else f"{row.amount}",
            "0.00",
            row.refund_id,
            row.refund_no,
            f"{row.amount}" if refund else "0.00",
            "0.00",
            "ORIGINAL" if refund else "",
            "SUCCESS" if refund else "",
            "物业费",
            "",
            "0.00",
            "0.60%",
            "0.00" if refund else f"{row.amount}",
            f"{row.amount}" if refund else "0.00",
            "",
        ]
        lines.append(",".join(f"`{f}" for f in fields))
        if refund:
            refunds += row.amount
        else:
            total += row.amount
    lines.append(
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    )
    lines.append(f"`{len(rows)},`{total},`{refunds},`0.00,`0.00,`{total},`{refunds}")
    return ("\n".join(lines) + "\n").encode()
