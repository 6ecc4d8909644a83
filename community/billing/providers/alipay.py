"""Alipay asynchronous notifications (异步通知): a form-encoded POST signed with RSA2.

The string signed is every parameter except ``sign`` and ``sign_type``, with a non-empty value,
sorted by name, as ``k=v`` joined by ``&`` (values URL-decoded). RSA2 is SHA256withRSA,
PKCS#1 v1.5, base64. The merchant must answer the plain text ``success`` or Alipay retries.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .wechatpay import NotificationRejected, load_public_key

PAID_STATES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})


def signing_string(params: dict[str, str]) -> bytes:
    return "&".join(
        f"{key}={params[key]}"
        for key in sorted(params)
        if key not in ("sign", "sign_type") and params[key] != ""
    ).encode()


def verify(*, params: dict[str, str], public_key_pem: str) -> None:
    if params.get("sign_type", "RSA2") != "RSA2":
        raise NotificationRejected("bad_sign_type", "only RSA2 is accepted")
    try:
        load_public_key(public_key_pem).verify(
            base64.b64decode(params.get("sign", ""), validate=True),
            signing_string(params),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        raise NotificationRejected("bad_signature", "signature does not verify") from None


def sign(params: dict[str, str], private_key) -> dict[str, str]:
    """``params`` with ``sign`` and ``sign_type`` added, as Alipay sends them (for tests)."""
    signed = dict(params, sign_type="RSA2")
    signature = private_key.sign(signing_string(signed), padding.PKCS1v15(), hashes.SHA256())
    signed["sign"] = base64.b64encode(signature).decode()
    return signed
