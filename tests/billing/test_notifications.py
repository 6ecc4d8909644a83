"""WeChat Pay v3 and Alipay notifications over HTTP, in the real wire formats, signed with
keys the test makes: good, bad signature, undecryptable, replay, late, amount mismatch."""

import datetime as dt
import json
import secrets
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from community.billing import services
from community.billing.models import Bill, BillStatus, Merchant, PaymentNotification, Receipt
from community.billing.providers import alipay, wechatpay
from community.billing.services import gateways

SYSTEM = "system:test"


class FakeWechatGateway(gateways.Gateway):
    def prepay(self, *, payment, channel, client=None):
        return {"code_url": f"weixin://wxpay/bizpayurl?pr={payment.out_trade_no[-8:]}"}


@pytest.fixture
def platform_key():
    return wechatpay.new_private_key()


def _certificate(key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x5157F09EFDC096DE15EBE81A47057A7232F6A21A)
        .not_valid_before(dt.datetime(2024, 1, 1))
        .not_valid_after(dt.datetime(2034, 1, 1))
        .sign(key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.PEM).decode()


@pytest.fixture
def merchant(estate_a, platform_key):
    old = gateways.register("wechatpay", FakeWechatGateway())
    yield Merchant.objects.create(
        code="sunshine-wx",
        estate=estate_a,
        provider="wechatpay",
        app_id="wx8888888888888888",
        mch_id="1230000109",
        api_v3_key=secrets.token_hex(16),
        platform_keys={
            "5157F09EFDC096DE15EBE81A47057A7232F6A21A": _certificate(platform_key),
            "PUB_KEY_ID_0114232134912410000000": wechatpay.public_pem(platform_key),
        },
    )
    gateways.register("wechatpay", old)


@pytest.fixture
def payment(estate_a, household_a, merchant):
    _user, unit = household_a
    bill = services.charge_post(
        estate=estate_a,
        payer_unit=unit,
        item_type="property_fee",
        amount=Decimal("223.75"),
        description="物业费 2026-02",
        source="test",
        source_ref="feb",
        by=SYSTEM,
    )
    return services.payment_create(bills=[bill], provider="wechatpay", channel="native", by=SYSTEM)


def _notify(
    client,
    merchant,
    payment,
    key,
    *,
    serial="PUB_KEY_ID_0114232134912410000000",
    amount_fen=None,
    event_id=None,
    transaction_id="4200000000202602021234567890",
    tamper=False,
    api_v3_key=None,
):
    tx = wechatpay.transaction_success(
        mch_id=merchant.mch_id,
        app_id=merchant.app_id,
        out_trade_no=payment.out_trade_no,
        transaction_id=transaction_id,
        amount_fen=payment.amount_fen if amount_fen is None else amount_fen,
    )
    headers, body = wechatpay.build_notification(
        transaction=tx,
        api_v3_key=api_v3_key or merchant.api_v3_key,
        private_key=key,
        serial=serial,
        event_id=event_id,
    )
    if tamper:
        body = body.replace(b'"summary":"', b'"summary":"x')
    return _post(client, merchant, headers, body), headers, body


def _post(client, merchant, headers, body):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(
        f"/pay/notify/wechatpay/{merchant.code}", data=body, content_type="application/json", **extra
    )


def test_good_notification_in_public_key_mode_is_applied_and_answered_204(
    client, merchant, payment, platform_key
):
    response, _h, _b = _notify(client, merchant, payment, platform_key)
    assert response.status_code == 204
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.provider_transaction_id.startswith("4200")
    assert Bill.objects.get().status == BillStatus.PAID
    assert Receipt.objects.filter(payment=payment).exists()


def test_platform_certificate_serial_is_accepted_too(client, merchant, payment, platform_key):
    response, _h, _b = _notify(
        client, merchant, payment, platform_key, serial="5157F09EFDC096DE15EBE81A47057A7232F6A21A"
    )
    assert response.status_code == 204
    payment.refresh_from_db()
    assert payment.status == "paid"


def test_bad_signature_gets_4xx_and_is_kept_raw(client, merchant, payment):
    impostor = wechatpay.new_private_key()
    response, _h, body = _notify(client, merchant, payment, impostor)
    assert response.status_code == 401
    assert json.loads(response.content)["code"] == "FAIL"
    kept = PaymentNotification.objects.get()
    assert (kept.outcome, kept.event_id, kept.flagged) == ("bad_signature", None, True)
    assert kept.body == body.decode()
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_tampered_body_fails_the_signature(client, merchant, payment, platform_key):
    response, _h, _b = _notify(client, merchant, payment, platform_key, tamper=True)
    assert response.status_code == 401
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_body_that_does_not_decrypt_gets_400_and_is_kept(client, merchant, payment, platform_key):
    response, _h, _b = _notify(client, merchant, payment, platform_key, api_v3_key=secrets.token_hex(16))
    assert response.status_code == 400
    assert PaymentNotification.objects.get().outcome == "undecryptable"


def test_replay_is_stored_once_applied_once_and_acknowledged_again(client, merchant, payment, platform_key):
    response, headers, body = _notify(client, merchant, payment, platform_key)
    assert response.status_code == 204
    again = _post(client, merchant, headers, body)
    assert again.status_code == 204
    notification = PaymentNotification.objects.get()
    assert (notification.deliveries, notification.outcome) == (2, "applied")
    # WeChat re-sends the same event with a fresh signature; also applied once.
    third, _h, _b = _notify(client, merchant, payment, platform_key, event_id=notification.event_id)
    assert third.status_code == 204
    assert PaymentNotification.objects.count() == 1
    assert Receipt.objects.count() == 1
    assert Bill.objects.get().amount_paid == Decimal("223.75")


def test_second_event_for_the_same_transaction_is_a_duplicate(client, merchant, payment, platform_key):
    _notify(client, merchant, payment, platform_key)
    response, _h, _b = _notify(client, merchant, payment, platform_key)
    assert response.status_code == 204
    assert sorted(PaymentNotification.objects.values_list("outcome", flat=True)) == ["applied", "duplicate"]
    assert Bill.objects.get().amount_paid == Decimal("223.75")


def test_late_notification_after_the_payment_was_closed_still_lands(client, merchant, payment, platform_key):
    services.payment_close(payment=payment, by=SYSTEM)
    response, _h, _b = _notify(client, merchant, payment, platform_key)
    assert response.status_code == 204
    payment.refresh_from_db()
    assert payment.status == "paid"


def test_stale_timestamp_is_refused(client, merchant, payment, platform_key):
    tx = wechatpay.transaction_success(
        mch_id=merchant.mch_id,
        app_id=merchant.app_id,
        out_trade_no=payment.out_trade_no,
        transaction_id="42001",
        amount_fen=payment.amount_fen,
    )
    headers, body = wechatpay.build_notification(
        transaction=tx,
        api_v3_key=merchant.api_v3_key,
        private_key=platform_key,
        serial="PUB_KEY_ID_0114232134912410000000",
        timestamp=int(time.time()) - 3600,
    )
    assert _post(client, merchant, headers, body).status_code == 401


def test_amount_that_does_not_match_is_stored_flagged_acknowledged_never_applied(
    client, merchant, payment, platform_key
):
    response, _h, _b = _notify(client, merchant, payment, platform_key, amount_fen=1)
    assert response.status_code == 204
    notification = PaymentNotification.objects.get()
    assert (notification.outcome, notification.flagged) == ("amount_mismatch", True)
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert Bill.objects.get().amount_paid == 0


def test_unknown_merchant_is_404_and_kept(client, merchant, payment, platform_key):
    response = client.post("/pay/notify/wechatpay/nobody", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert PaymentNotification.objects.get().merchant_code == "nobody"


# --- Alipay -----------------------------------------------------------------------------------


@pytest.fixture
def alipay_key():
    return wechatpay.new_private_key()


@pytest.fixture
def alipay_merchant(estate_a, alipay_key):
    class FakeAlipay(gateways.Gateway):
        def prepay(self, *, payment, channel, client=None):
            return {"order_string": "app_id=2021000000000000&biz_content=..."}

    old = gateways.register("alipay", FakeAlipay())
    yield Merchant.objects.create(
        code="sunshine-ali",
        estate=estate_a,
        provider="alipay",
        app_id="2021000000000000",
        mch_id="2088102177846875",
        alipay_public_key=wechatpay.public_pem(alipay_key),
    )
    gateways.register("alipay", old)


def _alipay_params(payment, merchant, **overrides):
    params = {
        "notify_time": "2026-02-02 10:00:00",
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "charset": "utf-8",
        "version": "1.0",
        "app_id": merchant.app_id,
        "seller_id": merchant.mch_id,
        "trade_no": "2026020222001400000000000001",
        "out_trade_no": payment.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": str(payment.amount),
        "subject": "物业费",
    }
    params.update(overrides)
    return params


def _alipay_post(client, merchant, params):
    return client.post(
        f"/pay/notify/alipay/{merchant.code}",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
    )


@pytest.fixture
def alipay_payment(estate_a, household_a, alipay_merchant):
    _user, unit = household_a
    bill = services.charge_post(
        estate=estate_a,
        payer_unit=unit,
        item_type="water",
        amount=Decimal("56.10"),
        description="水费",
        source="test",
        source_ref="water",
        by=SYSTEM,
    )
    return services.payment_create(bills=[bill], provider="alipay", by=SYSTEM)


def test_alipay_good_notification_is_applied_once_and_answered_success(
    client, alipay_merchant, alipay_payment, alipay_key
):
    params = alipay.sign(_alipay_params(alipay_payment, alipay_merchant), alipay_key)
    response = _alipay_post(client, alipay_merchant, params)
    assert (response.status_code, response.content) == (200, b"success")
    assert _alipay_post(client, alipay_merchant, params).content == b"success"
    alipay_payment.refresh_from_db()
    assert alipay_payment.status == "paid"
    assert PaymentNotification.objects.get().deliveries == 2
    assert Bill.objects.get().status == BillStatus.PAID


def test_alipay_bad_signature_and_wrong_seller_or_amount(client, alipay_merchant, alipay_payment, alipay_key):
    forged = alipay.sign(_alipay_params(alipay_payment, alipay_merchant), wechatpay.new_private_key())
    assert _alipay_post(client, alipay_merchant, forged).status_code == 400
    wrong_seller = alipay.sign(
        _alipay_params(alipay_payment, alipay_merchant, seller_id="2088000000000000"), alipay_key
    )
    assert _alipay_post(client, alipay_merchant, wrong_seller).content == b"success"
    wrong_amount = alipay.sign(
        _alipay_params(alipay_payment, alipay_merchant, total_amount="0.01"), alipay_key
    )
    assert _alipay_post(client, alipay_merchant, wrong_amount).content == b"success"
    assert sorted(PaymentNotification.objects.values_list("outcome", flat=True)) == [
        "amount_mismatch",
        "bad_signature",
        "rejected",
    ]
    alipay_payment.refresh_from_db()
    assert alipay_payment.status == "pending"
