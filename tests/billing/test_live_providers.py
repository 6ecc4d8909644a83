"""Live WeChat Pay v3 and Alipay calls (start, query, refund, daily statement) in their wire
formats, against local fake servers that check our signatures and sign their answers; and the
reconciliation of a statement with the ledger."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from community.billing import services
from community.billing.models import (
    Bill,
    BillStatus,
    Merchant,
    MismatchKind,
    Payment,
    RefundState,
)
from community.billing.providers import alipay_api, wechatpay, wechatpay_api
from community.billing.providers.wechatpay_api import StatementRow
from community.errors import ServiceError

from .fakes import FakeAlipay, FakeWeChatPay

SYSTEM = "system:test"
pytestmark = pytest.mark.usefixtures("in_english")
SERIAL = "PUB_KEY_ID_0114232024112500000001"


def _key_file(tmp_path, key, name):
    path = tmp_path / name
    path.write_bytes(wechatpay.private_pem(key))
    return str(path)


@pytest.fixture
def wx(estate_a, tmp_path, settings):
    settings.BILLING_NOTIFY_BASE_URL = "https://estate.example.com"
    merchant_key, platform_key = wechatpay.new_private_key(), wechatpay.new_private_key()
    fake = FakeWeChatPay(
        merchant_public_pem=wechatpay.public_pem(merchant_key),
        platform_key=platform_key,
        platform_serial=SERIAL,
        mch_id="1230000109",
    ).start()
    merchant = Merchant.objects.create(
        code="sunshine-wx",
        estate=estate_a,
        provider="wechatpay",
        app_id="wx8888888888888888",
        mch_id="1230000109",
        api_v3_key="a" * 32,
        platform_keys={SERIAL: wechatpay.public_pem(platform_key)},
        api_base=fake.url,
        merchant_serial="3775B6A45ACD588826D15E583A95F5DD",
        private_key_path=_key_file(tmp_path, merchant_key, "wx.pem"),
    )
    fake.merchant, fake.merchant_key = merchant, merchant_key
    yield fake
    fake.stop()


@pytest.fixture
def ali(estate_a, tmp_path, settings):
    settings.BILLING_NOTIFY_BASE_URL = "https://estate.example.com"
    app_key, alipay_key = wechatpay.new_private_key(), wechatpay.new_private_key()
    fake = FakeAlipay(
        app_public_pem=wechatpay.public_pem(app_key), alipay_key=alipay_key, app_id="2021000000000001"
    ).start()
    fake.merchant = Merchant.objects.create(
        code="sunshine-ali",
        estate=estate_a,
        provider="alipay",
        app_id="2021000000000001",
        mch_id="2088000000000001",
        alipay_public_key=wechatpay.public_pem(alipay_key),
        api_base=fake.url + "/gateway.do",
        private_key_path=_key_file(tmp_path, app_key, "ali.pem"),
    )
    yield fake
    fake.stop()


def _bill(estate, unit, amount="88.50", ref="nov"):
    return services.charge_post(
        estate=estate,
        payer_unit=unit,
        item_type="property_fee",
        amount=Decimal(amount),
        description="物业费 2026-11",
        source="test",
        source_ref=ref,
        by=SYSTEM,
    )


def test_wechat_native_payment_is_started_with_a_signed_request(wx, estate_a, household_a):
    user, unit = household_a
    payment = services.payment_create(
        bills=[_bill(estate_a, unit)], provider="wechatpay", channel="native", by=user
    )
    assert payment.status == "pending"
    assert payment.provider_params["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    sent = wx.requests[-1]
    assert sent["path"] == "/v3/pay/transactions/native"
    assert sent["body"]["amount"] == {"total": 8850, "currency": "CNY"}
    assert sent["body"]["out_trade_no"] == payment.out_trade_no
    assert sent["body"]["notify_url"] == "https://estate.example.com/pay/notify/wechatpay/sunshine-wx"


def test_wechat_jsapi_parameters_are_signed_with_the_merchant_key(wx, estate_a, household_a):
    user, unit = household_a
    bill = _bill(estate_a, unit)
    with pytest.raises(ServiceError, match="openid"):
        services.payment_create(bills=[bill], provider="wechatpay", channel="jsapi", by=user)
    assert Payment.objects.get().status == "closed"  # never handed to the payer
    payment = services.payment_create(
        bills=[bill],
        provider="wechatpay",
        channel="jsapi",
        client={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        by=user,
    )
    params = payment.provider_params
    message = (
        f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    )
    wechatpay.load_public_key(wechatpay.public_pem(wx.merchant_key)).verify(
        __import__("base64").b64decode(params["paySign"]),
        message,
        __import__("cryptography.hazmat.primitives.asymmetric.padding", fromlist=["PKCS1v15"]).PKCS1v15(),
        __import__("cryptography.hazmat.primitives.hashes", fromlist=["SHA256"]).SHA256(),
    )
    assert wx.requests[-1]["body"]["payer"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}


def test_an_answer_not_signed_by_the_platform_is_not_believed(wx, estate_a, household_a):
    user, unit = household_a
    wx.forge_answers = True
    with pytest.raises(ServiceError) as refused:
        services.payment_create(
            bills=[_bill(estate_a, unit)], provider="wechatpay", channel="native", by=user
        )
    assert refused.value.code == "unsigned_answer"
    assert Payment.objects.get().status == "closed"


def test_a_wrong_merchant_key_is_refused_by_the_platform(wx, estate_a, household_a, tmp_path):
    user, unit = household_a
    Merchant.objects.filter(pk=wx.merchant.pk).update(
        private_key_path=_key_file(tmp_path, wechatpay.new_private_key(), "other.pem")
    )
    with pytest.raises(ServiceError, match="签名错误"):
        services.payment_create(
            bills=[_bill(estate_a, unit)], provider="wechatpay", channel="native", by=user
        )


def test_reconciliation_settles_a_payment_whose_notification_never_came(wx, estate_a, household_a):
    user, unit = household_a
    bill = _bill(estate_a, unit)
    payment = services.payment_create(
        bills=[bill], provider="wechatpay", channel="h5", client={"ip": "10.0.0.8"}, by=user
    )
    assert wx.requests[-1]["body"]["scene_info"]["payer_client_ip"] == "10.0.0.8"
    assert services.payments_reconcile(older_than=dt.timedelta(0), by=SYSTEM) == 0  # not paid yet
    transaction_id = wx.pay(payment.out_trade_no)
    assert services.payments_reconcile(older_than=dt.timedelta(0), by=SYSTEM) == 1
    assert services.payments_reconcile(older_than=dt.timedelta(0), by=SYSTEM) == 0
    payment.refresh_from_db()
    bill.refresh_from_db()
    assert (payment.status, payment.provider_transaction_id) == ("paid", transaction_id)
    assert bill.status == BillStatus.PAID


def test_reconciliation_never_settles_a_different_amount(wx, estate_a, household_a):
    user, unit = household_a
    payment = services.payment_create(
        bills=[_bill(estate_a, unit)], provider="wechatpay", channel="native", by=user
    )
    wx.pay(payment.out_trade_no, amount_fen=1)
    assert services.payments_reconcile(older_than=dt.timedelta(0), by=SYSTEM) == 0
    assert Payment.objects.get().status == "pending"


def _paid_wechat(wx, estate, unit, user, ref, amount="88.50"):
    payment = services.payment_create(
        bills=[_bill(estate, unit, amount, ref)], provider="wechatpay", channel="native", by=user
    )
    wx.pay(payment.out_trade_no)
    services.payments_reconcile(older_than=dt.timedelta(0), by=SYSTEM)
    payment.refresh_from_db()
    return payment


def test_a_refund_is_sent_after_the_commit_and_its_outcome_kept(
    wx, estate_a, household_a, manager_a, django_capture_on_commit_callbacks
):
    user, unit = household_a
    payment = _paid_wechat(wx, estate_a, unit, user, "r1")
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.payment_refund(
            payment=payment, amount=Decimal("20.00"), reason="多收", by=manager_a
        )
    refund.refresh_from_db()
    assert refund.provider_state == RefundState.SUCCEEDED and refund.provider_refund_id
    sent = wx.refunds[refund.out_refund_no]
    assert sent["amount"] == {"refund": 2000, "total": 8850, "currency": "CNY"}
    assert sent["out_trade_no"] == payment.out_trade_no
    wx.refuse_refunds = True
    with django_capture_on_commit_callbacks(execute=True):
        refused = services.payment_refund(
            payment=payment, amount=Decimal("1.00"), reason="再退", by=manager_a
        )
    refused.refresh_from_db()
    assert refused.provider_state == RefundState.FAILED and "余额不足" in refused.provider_detail


def test_statement_reports_each_kind_of_mismatch(wx, estate_a, household_a):
    user, unit = household_a
    matched = _paid_wechat(wx, estate_a, unit, user, "a")
    differs = _paid_wechat(wx, estate_a, unit, user, "b")
    here_only = _paid_wechat(wx, estate_a, unit, user, "c")
    pending = services.payment_create(
        bills=[_bill(estate_a, unit, "10.00", "d")], provider="wechatpay", channel="native", by=user
    )
    day = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    wx.statements[day.isoformat()] = wechatpay_api.build_trade_bill(
        app_id="wx8888888888888888",
        mch_id="1230000109",
        day=day.isoformat(),
        rows=[
            StatementRow(matched.out_trade_no, matched.provider_transaction_id, Decimal("88.50")),
            StatementRow(differs.out_trade_no, differs.provider_transaction_id, Decimal("80.00")),
            StatementRow(pending.out_trade_no, "4200000000000000000000000001", Decimal("10.00")),
            StatementRow("P-nobody-knows", "4200000000000000000000000002", Decimal("5.00")),
        ],
    )
    statement = services.statement_fetch(merchant=wx.merchant, bill_date=day, by=SYSTEM)
    found = {
        (m.kind, m.out_trade_no): (m.provider_amount, m.ledger_amount) for m in statement.mismatches.all()
    }
    assert found == {
        (MismatchKind.AMOUNT_DIFFERS, differs.out_trade_no): (Decimal("80.00"), Decimal("88.50")),
        (MismatchKind.PAID_AT_PROVIDER_ONLY, pending.out_trade_no): (Decimal("10.00"), Decimal("10.00")),
        (MismatchKind.PAID_AT_PROVIDER_ONLY, "P-nobody-knows"): (Decimal("5.00"), None),
        (MismatchKind.PAID_HERE_ONLY, here_only.out_trade_no): (None, Decimal("88.50")),
    }
    assert statement.rows == 4 and statement.mismatch_count == 4
    assert bytes(statement.raw).startswith("交易时间".encode())
    # The daily job skips a merchant whose statement for the day is already in.
    assert services.statements_fetch_all(bill_date=day, by=SYSTEM) == 0


def test_a_statement_that_does_not_match_its_checksum_is_refused(wx, monkeypatch):
    day = dt.date(2026, 11, 30)
    wx.statements[day.isoformat()] = wechatpay_api.build_trade_bill(
        app_id="x", mch_id="y", day="2026-11-30", rows=[]
    )
    original = wx.handle

    def tampered(method, path, headers, body):
        status, head, answer = original(method, path, headers, body)
        return (status, head, answer + b"`1,extra") if "billdownload" in path else (status, head, answer)

    monkeypatch.setattr(wx, "handle", tampered)
    with pytest.raises(ServiceError, match="checksum"):
        services.statement_fetch(merchant=wx.merchant, bill_date=day, by=SYSTEM)


def test_an_unreadable_statement_says_why(wx):
    with pytest.raises(ServiceError, match="cannot be read"):
        services.statement_import(
            merchant=wx.merchant, bill_date=dt.date(2026, 11, 30), content=b"hello,world\n", by=SYSTEM
        )


def test_alipay_payment_query_refund_and_statement(
    ali, estate_a, household_a, manager_a, django_capture_on_commit_callbacks
):
    user, unit = household_a
    bill = _bill(estate_a, unit, "120.00", "ali")
    payment = services.payment_create(bills=[bill], provider="alipay", by=user)
    assert payment.provider_params == {"code_url": "https://qr.alipay.com/bax0"}
    sent = ali.requests[-1]
    assert sent["method"] == "alipay.trade.precreate"
    assert sent["biz"]["total_amount"] == "120.00"
    assert sent["params"]["notify_url"] == "https://estate.example.com/pay/notify/alipay/sunshine-ali"
    h5 = services.payment_create(
        bills=[_bill(estate_a, unit, "1.00", "h5")], provider="alipay", channel="h5", by=user
    )
    assert h5.provider_params["pay_url"].startswith(ali.url + "/gateway.do?")
    assert "alipay.trade.wap.pay" in h5.provider_params["pay_url"]

    trade_no = ali.pay(payment.out_trade_no)
    assert services.payments_reconcile(older_than=dt.timedelta(0), by=SYSTEM) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.provider_transaction_id) == ("paid", trade_no)

    with django_capture_on_commit_callbacks(execute=True):
        refund = services.payment_refund(
            payment=payment, amount=Decimal("20.00"), reason="多收", by=manager_a
        )
    refund.refresh_from_db()
    assert refund.provider_state == RefundState.SUCCEEDED
    assert ali.refunds[refund.out_refund_no]["refund_amount"] == "20.00"

    day = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    ali.statements[day.isoformat()] = alipay_api.build_statement(
        account="2088000000000001",
        day=day.isoformat(),
        rows=[
            StatementRow(payment.out_trade_no, trade_no, Decimal("120.00")),
            StatementRow(payment.out_trade_no, trade_no, Decimal("25.00"), refund_no=refund.out_refund_no),
            StatementRow("P-stranger", "2026000", Decimal("3.00"), refund_no="R-stranger"),
        ],
    )
    statement = services.statement_fetch(merchant=ali.merchant, bill_date=day, by=SYSTEM)
    found = {(m.kind, m.reference): (m.provider_amount, m.ledger_amount) for m in statement.mismatches.all()}
    assert found == {
        (MismatchKind.REFUND_AMOUNT_DIFFERS, refund.out_refund_no): (Decimal("25.00"), Decimal("20.00")),
        (MismatchKind.REFUND_AT_PROVIDER_ONLY, "R-stranger"): (Decimal("3.00"), None),
    }


def test_alipay_answers_signed_by_someone_else_are_refused(ali, estate_a, household_a):
    user, unit = household_a
    ali.alipay_key = wechatpay.new_private_key()
    with pytest.raises(ServiceError) as refused:
        services.payment_create(bills=[_bill(estate_a, unit)], provider="alipay", by=user)
    assert refused.value.code == "unsigned_answer"
    assert Bill.objects.get().status == BillStatus.ISSUED


def test_a_payment_the_provider_listed_the_day_before_is_no_mismatch(wx, estate_a, household_a):
    user, unit = household_a
    late = _paid_wechat(wx, estate_a, unit, user, "midnight")  # paid here today
    today = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    yesterday = today - dt.timedelta(days=1)

    def bill(day, rows):
        return wechatpay_api.build_trade_bill(
            app_id="wx", mch_id="1230000109", day=day.isoformat(), rows=rows
        )

    row = StatementRow(late.out_trade_no, late.provider_transaction_id, Decimal("88.50"))
    alone = services.statement_import(
        merchant=wx.merchant, bill_date=today, content=bill(today, []), by=SYSTEM
    )
    assert [m.kind for m in alone.mismatches.all()] == [MismatchKind.PAID_HERE_ONLY]
    services.statement_import(
        merchant=wx.merchant, bill_date=yesterday, content=bill(yesterday, [row]), by=SYSTEM
    )
    again = services.statement_import(
        merchant=wx.merchant, bill_date=today, content=bill(today, []), by=SYSTEM
    )
    assert again.mismatch_count == 0
