"""Which gateway speaks for each provider, the demo gateway, and the demo merchant's keys.

The interface (``gateway_base.Gateway``): ``prepay`` (start a payment: a code_url, JSAPI
parameters, an H5 link), ``query`` (what happened to a payment that got no notification),
``refund`` and ``statement`` (the daily statement file). WeChat Pay v3 and Alipay speak over
the network (``live``); the demo gateway answers locally, and the demo merchant's keys are
generated once under ``BILLING_DEMO_DIR`` (var/demo/). ``register`` swaps a gateway (a test
double for something outside; the live ones are tested against local fake servers).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import Merchant, Provider
from ..providers import wechatpay
from .gateway_base import Gateway, ProviderState, RefundOutcome
from .live import AlipayGateway, WeChatPayGateway

DEMO_MERCHANT = "demo-wechat"
DEMO_MCH_ID = "1900000109"
DEMO_APP_ID = "wxd930ea5d5a258f4f"


class OfflineGateway(Gateway):
    def prepay(self, *, payment, channel: str, client: dict | None = None) -> dict:
        return {}


class DemoGateway(Gateway):
    """Answers as WeChat Pay would, without a network."""

    def prepay(self, *, payment, channel: str, client: dict | None = None) -> dict:
        prepay_id = f"wx{secrets.token_hex(14)}"
        if channel == "native":
            return {"code_url": f"weixin://wxpay/bizpayurl?pr={prepay_id[:16]}"}
        if channel == "h5":
            return {"h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay_id}"}
        keys = demo_keys()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        message = f"{DEMO_APP_ID}\n{timestamp}\n{nonce}\n{package}\n".encode()
        return {
            "appId": DEMO_APP_ID,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": wechatpay.sign(keys.private_key, message),
        }

    def refund(self, *, refund) -> RefundOutcome:
        return RefundOutcome(state="succeeded", refund_id=f"demo-{refund.out_refund_no}")


_GATEWAYS: dict[str, Gateway] = {
    Provider.DEMO: DemoGateway(),
    Provider.OFFLINE: OfflineGateway(),
    Provider.WECHATPAY: WeChatPayGateway(),
    Provider.ALIPAY: AlipayGateway(),
}


def for_provider(provider: str) -> Gateway:
    return _GATEWAYS[provider]


def register(provider: str, gateway: Gateway) -> Gateway:
    """Replace a provider's gateway (a live client, or a test double); returns the old one."""
    old = _GATEWAYS[provider]
    _GATEWAYS[provider] = gateway
    return old


def merchant_for(*, provider: str, estate_id: int) -> Merchant | None:
    if provider == Provider.OFFLINE:
        return None
    if provider == Provider.DEMO:
        return demo_merchant()
    merchant = Merchant.objects.filter(provider=provider, estate_id=estate_id).order_by("pk").first()
    if merchant is None:
        raise ServiceError(
            {
                "provider": [
                    _("This estate has no %(provider)s merchant account.")
                    % {"provider": Provider(provider).label}
                ]
            },
            code="no_merchant",
        )
    return merchant


# --- the demo merchant's keys ----------------------------------------------------------------


@dataclass(frozen=True)
class DemoKeys:
    private_key: object
    public_pem: str
    serial: str
    api_v3_key: str


def demo_dir() -> Path:
    return Path(getattr(settings, "BILLING_DEMO_DIR", settings.VAR_DIR / "demo"))


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one


@cache
def _demo_keys_at(directory: str) -> DemoKeys:
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    key_path, v3_path = root / "platform_private_key.pem", root / "apiv3_key"
    if not key_path.exists():
        _write_private(key_path, wechatpay.private_pem(wechatpay.new_private_key()))
    if not v3_path.exists():
        _write_private(v3_path, secrets.token_hex(16).encode())  # 32 characters: AES-256
    private_key = wechatpay.load_private_key(key_path.read_bytes())
    public_pem = wechatpay.public_pem(private_key)
    # Public-key mode: the serial is the key's id, as WeChat Pay names it.
    serial = "PUB_KEY_ID_" + str(int.from_bytes(public_pem.encode()[-40:-30], "big"))[:20].rjust(20, "0")
    return DemoKeys(private_key, public_pem, serial, v3_path.read_text().strip())


def demo_keys() -> DemoKeys:
    """The demo platform key pair and APIv3 key, made on first use under var/demo/."""
    return _demo_keys_at(str(demo_dir()))


def demo_merchant() -> Merchant:
    """The platform's demo merchant ``demo-wechat``, kept in step with the key files."""
    keys = demo_keys()
    wanted = {
        "provider": Provider.DEMO,
        "app_id": DEMO_APP_ID,
        "mch_id": DEMO_MCH_ID,
        "api_v3_key": keys.api_v3_key,
        "platform_keys": {keys.serial: keys.public_pem},
        "is_demo": True,
    }
    merchant = Merchant.objects.filter(code=DEMO_MERCHANT).first()
    if merchant is None:
        try:
            with transaction.atomic():
                return Merchant.objects.create(code=DEMO_MERCHANT, **wanted)
        except IntegrityError:
            merchant = Merchant.objects.get(code=DEMO_MERCHANT)
    if any(getattr(merchant, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(merchant, field, value)
        merchant.save()
    return merchant


__all__ = ["Gateway", "ProviderState", "RefundOutcome", "for_provider", "register"]
