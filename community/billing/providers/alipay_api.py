"""Alipay OpenAPI calls in their wire format: signed requests, verified answers, the daily
business statement (业务明细).

A request is a form POST to the gateway with the common parameters (``app_id``, ``method``,
``charset``, ``sign_type=RSA2``, ``timestamp``, ``version``, ``biz_content`` …) signed like a
notification (sorted ``k=v`` joined by ``&``) with the app's private key. The answer is JSON
``{"<method_with_underscores>_response": {…}, "sign": "…"}``; the signature covers the raw text
of the ``…_response`` value exactly as it appears in the body, checked with Alipay's public key.

Pure code: the HTTP exchange itself is the gateway's (``services.gateways``).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .alipay import signing_string
from .wechatpay import NotificationRejected, load_public_key
from .wechatpay_api import StatementRow

PRODUCTION = "https://openapi.alipay.com/gateway.do"
SUCCESS_CODE = "10000"


def request_params(
    *, app_id: str, method: str, biz: dict, private_key, timestamp: str, notify_url: str = ""
) -> dict:
    """The signed form of one call; ``timestamp`` is ``yyyy-MM-dd HH:mm:ss`` (Beijing time)."""
    params = {
        "app_id": app_id,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": timestamp,
        "version": "1.0",
        "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
    }
    if notify_url:
        params["notify_url"] = notify_url
    signature = private_key.sign(signing_string(params), padding.PKCS1v15(), hashes.SHA256())
    params["sign"] = base64.b64encode(signature).decode()
    return params


def response_key(method: str) -> str:
    return method.replace(".", "_") + "_response"


def _raw_value(body: str, key: str) -> tuple[str, dict]:
    """The raw text of ``"key": {…}`` in ``body`` (what was signed) and its parsed value."""
    marker = f'"{key}"'
    at = body.find(marker)
    if at < 0:
        raise NotificationRejected("bad_answer", f"no {key} in the answer")
    start = body.index(":", at + len(marker)) + 1
    while body[start] in " \t\r\n":
        start += 1
    value, end = json.JSONDecoder().raw_decode(body, start)
    return body[start:end], value


def verify_response(*, body: str, method: str, public_key_pem: str) -> dict:
    """The ``…_response`` object of a signed answer; NotificationRejected when it is not signed."""
    raw, value = _raw_value(body, response_key(method))
    try:
        signature = json.loads(body).get("sign", "")
        load_public_key(public_key_pem).verify(
            base64.b64decode(signature, validate=True), raw.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError, AttributeError):
        raise NotificationRejected("bad_signature", "answer signature does not verify") from None
    return value


def signed_answer(*, method: str, payload: dict, private_key) -> str:
    """An answer as the gateway sends it (the fake gateway in tests answers with it)."""
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    signature = base64.b64encode(private_key.sign(raw.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    return f'{{"{response_key(method)}":{raw},"sign":"{signature}"}}'


def verify_request(*, params: dict[str, str], public_key_pem: str) -> None:
    """Check a request's RSA2 signature with the app's public key (what the gateway does)."""
    try:
        load_public_key(public_key_pem).verify(
            base64.b64decode(params.get("sign", ""), validate=True),
            signing_string(params),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        raise NotificationRejected("bad_signature", "request signature does not verify") from None


# --- the daily statement -----------------------------------------------------------------------

DETAIL_HEADER = [
    "支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称", "操作员",
    "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）",
    "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号",
    "服务费（元）", "分润（元）", "备注",
]  # fmt: skip


def _money(text: str) -> Decimal:
    try:
        return abs(Decimal(text.strip() or "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"not an amount: {text[:20]!r}") from None


def _detail_text(content: bytes) -> str:
    """The 业务明细 CSV, from the zip Alipay serves or a bare CSV; GBK as Alipay writes it."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            detail = [n for n in names if "汇总" not in n] or names
            if not detail:
                raise ValueError("the zip holds no CSV")
            content = archive.read(detail[0])
    for encoding in ("gbk", "utf-8-sig"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("the statement is neither GBK nor UTF-8")


def parse_statement(content: bytes) -> list[StatementRow]:
    """Alipay's trade detail: ``#`` comment lines around a CSV whose rows are 交易 (a payment,
    订单金额) or 退款 (a refund, 退款批次号/请求号 = our out_request_no)."""
    lines = [line for line in _detail_text(content).splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError("empty statement") from None
    if "商户订单号" not in header or "业务类型" not in header or "订单金额（元）" not in header:
        raise ValueError("not an Alipay statement: columns 商户订单号, 业务类型, 订单金额（元） needed")
    col = {name: i for i, name in enumerate(header)}
    rows: list[StatementRow] = []
    for fields in reader:
        values = [f.strip() for f in fields]
        if len(values) < len(header):
            continue
        kind = values[col["业务类型"]]
        if kind == "交易":
            rows.append(
                StatementRow(
                    out_trade_no=values[col["商户订单号"]],
                    transaction_id=values[col["支付宝交易号"]],
                    amount=_money(values[col["订单金额（元）"]]),
                )
            )
        elif kind == "退款":
            rows.append(
                StatementRow(
                    out_trade_no=values[col["商户订单号"]],
                    transaction_id=values[col["支付宝交易号"]],
                    amount=_money(values[col["订单金额（元）"]]),
                    refund_no=values[col["退款批次号/请求号"]],
                )
            )
    return rows


def build_statement(*, rows: list[StatementRow], day: str, account: str) -> bytes:
    """A statement zip in Alipay's format (the fake gateway in tests serves it)."""
    out = io.StringIO()
    out.write(
        f"#支付宝业务明细查询\n#账号：[{account}]\n#起始日期：[{day} 00:00:00]   终止日期：[{day} 23:59:59]\n"
    )
    out.write(
        "#-----------------------------------------业务明细列表----------------------------------------\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DETAIL_HEADER)
    for row in rows:
        refund = bool(row.refund_no)
        amount = f"-{row.amount}" if refund else f"{row.amount}"
        values = [""] * len(DETAIL_HEADER)
        values[0], values[1], values[2], values[3] = (
            row.transaction_id,
            row.out_trade_no,
            "退款" if refund else "交易",
            "物业费",
        )
        values[4] = values[5] = f"{day} 12:00:00"
        values[11] = values[12] = amount
        values[21] = row.refund_no
        writer.writerow([f"{v}\t" if i in (0, 1) else v for i, v in enumerate(values)])
    out.write(
        "#-----------------------------------------业务明细列表结束------------------------------------\n"
    )
    out.write(f"#交易合计：{sum(1 for r in rows if not r.refund_no)}笔\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{account}_{day.replace('-', '')}_业务明细.csv", out.getvalue().encode("gbk"))
        archive.writestr(f"{account}_{day.replace('-', '')}_业务明细(汇总).csv", "#汇总\n".encode("gbk"))
    return buffer.getvalue()
