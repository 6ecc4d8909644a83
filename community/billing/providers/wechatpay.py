"""WeChat Pay API v3 notifications, in the real wire format.

A notification is a JSON body with an encrypted ``resource`` and four headers:
``Wechatpay-Timestamp``, ``Wechatpay-Nonce``, ``Wechatpay-Signature`` (base64 RSA-SHA256,
PKCS#1 v1.5, over ``"{timestamp}\\n{nonce}\\n{body}\\n"``) and ``Wechatpay-Serial`` — the serial of
the platform certificate, or ``PUB_KEY_ID_…`` when the merchant uses the WeChat Pay public key.
The resource is AEAD_AES_256_GCM with the merchant's 32-byte APIv3 key, the resource's
``nonce`` and ``associated_data``.

``build_notification`` makes the same format from a private key: the demo merchant (and the
tests) play the platform with it, so the real verification runs in every demo payment.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509 import load_pem_x509_certificate

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
# WeChat signs each delivery afresh; a stale timestamp is a replayed capture, not a retry.
MAX_CLOCK_SKEW_SECONDS = 300


class NotificationRejected(Exception):
    """The notification is not authentic or cannot be read; ``code`` says which."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class VerifiedNotification:
    event_id: str
    event_type: str
    transaction: dict


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def load_public_key(pem: str):
    """A platform certificate or a bare public key, both as PEM."""
    data = pem.encode()
    if b"BEGIN CERTIFICATE" in data:
        return load_pem_x509_certificate(data).public_key()
    return serialization.load_pem_public_key(data)


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


def verify(
    *, headers: dict[str, str], body: bytes, platform_keys: dict[str, str], api_v3_key: str, now: float
) -> VerifiedNotification:
    """Check the signature and decrypt the resource; raise NotificationRejected otherwise."""
    timestamp = _header(headers, "Wechatpay-Timestamp")
    nonce = _header(headers, "Wechatpay-Nonce")
    signature = _header(headers, "Wechatpay-Signature")
    serial = _header(headers, "Wechatpay-Serial")
    if not (timestamp and nonce and signature and serial):
        raise NotificationRejected("missing_headers", "Wechatpay-Timestamp/Nonce/Signature/Serial required")
    pem = platform_keys.get(serial)
    if pem is None:
        raise NotificationRejected("unknown_serial", f"unknown platform key serial {serial[:64]}")
    try:
        if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            raise NotificationRejected("stale_timestamp", "timestamp too far from now")
    except ValueError:
        raise NotificationRejected("bad_timestamp", "timestamp is not a number") from None
    try:
        load_public_key(pem).verify(
            base64.b64decode(signature, validate=True),
            signed_message(timestamp, nonce, body),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        raise NotificationRejected("bad_signature", "signature does not verify") from None
    try:
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise NotificationRejected("bad_algorithm", "resource algorithm is not AEAD_AES_256_GCM")
        plain = AESGCM(api_v3_key.encode()).decrypt(
            resource["nonce"].encode(),
            base64.b64decode(resource["ciphertext"]),
            resource.get("associated_data", "").encode() or None,
        )
        return VerifiedNotification(
            event_id=str(envelope["id"]),
            event_type=str(envelope.get("event_type", "")),
            transaction=json.loads(plain),
        )
    except NotificationRejected:
        raise
    except (InvalidTag, KeyError, TypeError, ValueError) as exc:
        raise NotificationRejected(
            "undecryptable", f"resource does not decrypt: {type(exc).__name__}"
        ) from None


def encrypt_resource(*, plain: dict, api_v3_key: str, associated_data: str = "transaction") -> dict:
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat sends
    ciphertext = AESGCM(api_v3_key.encode()).encrypt(
        nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(), associated_data.encode()
    )
    return {
        "original_type": "transaction",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def sign(private_key, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def build_notification(
    *,
    transaction: dict,
    api_v3_key: str,
    private_key,
    serial: str,
    event_id: str | None = None,
    timestamp: int | None = None,
    event_type: str = "TRANSACTION.SUCCESS",
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a notification exactly as WeChat Pay sends one."""
    envelope = {
        "id": event_id or secrets.token_hex(16),
        "create_time": time.strftime(
            "%Y-%m-%dT%H:%M:%S+08:00", time.gmtime((timestamp or time.time()) + 8 * 3600)
        ),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": encrypt_resource(plain=transaction, api_v3_key=api_v3_key),
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = secrets.token_hex(16)
    headers = {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sign(private_key, signed_message(ts, nonce, body)),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        "Content-Type": "application/json",
    }
    return headers, body


def transaction_success(
    *,
    mch_id: str,
    app_id: str,
    out_trade_no: str,
    transaction_id: str,
    amount_fen: int,
    trade_type: str = "NATIVE",
) -> dict:
    """The decrypted resource of a TRANSACTION.SUCCESS notification."""
    return {
        "mchid": mch_id,
        "appid": app_id,
        "out_trade_no": out_trade_no,
        "transaction_id": transaction_id,
        "trade_type": trade_type,
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600)),
        "payer": {"openid": "oDemoPayerOpenId000000000000"},
        "amount": {
            "total": amount_fen,
            "payer_total": amount_fen,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }


def new_private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_private_key(pem: bytes):
    return serialization.load_pem_private_key(pem, password=None)
