"""The ``wechatpayv3`` package, pointed at the fake, as an independent client: if the fake
drifted from the real wire format (signatures, headers, certificates, notices), this
third-party SDK would refuse it.  The SDK hard-codes its gateway in ``Core._gate_way``;
the tests pin that attribute to the fake's URL."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import wechatpayv3.core
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from wechatpay_helpers import Clock
from wechatpayv3 import WeChatPay, WeChatPayType

from mallcore_adapters.wechatpay import WeChatPayClient
from mallcore_adapters.wechatpay.fake import CERTIFICATES, PUBLIC_KEY, FakeWeChatPay
from mallcore_adapters.wechatpay.identity import MerchantIdentity, private_pem

NOTIFY = "https://mall.example.com/wechatpay/notify"


def sdk_for(fake: FakeWeChatPay, merchant: MerchantIdentity,
            monkeypatch: pytest.MonkeyPatch) -> WeChatPay:
    """A wechatpayv3 client whose gateway is the fake from its first call on: in
    certificate mode its constructor already fetches /v3/certificates."""
    url = fake.base_url

    class FakeGatewayCore(wechatpayv3.core.Core):  # type: ignore[misc]
        @property
        def _gate_way(self) -> str:
            return url

        @_gate_way.setter
        def _gate_way(self, value: str) -> None:  # the SDK sets production: ignored
            pass

    monkeypatch.setattr(wechatpayv3.core, "Core", FakeGatewayCore)
    keys: dict[str, str] = {}
    if fake.mode == PUBLIC_KEY:
        keys = {"public_key": fake.platform_public_key_pem, "public_key_id": fake.public_key_id}
    return WeChatPay(wechatpay_type=WeChatPayType.MINIPROG, mchid=merchant.mch_id,
                     private_key=private_pem(merchant.private_key),
                     cert_serial_no=merchant.serial_no, appid=merchant.app_id,
                     apiv3_key=merchant.apiv3_key, notify_url=NOTIFY, timeout=(5, 5), **keys)


@pytest.mark.parametrize("mode", [PUBLIC_KEY, CERTIFICATES])
def test_wechatpayv3_runs_every_operation_against_the_fake(
    merchant: MerchantIdentity, clock: Clock, platform_key: RSAPrivateKey, mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # RULES: PAY-1, PAY-2
    with FakeWeChatPay(merchant, mode=mode, clock=clock.epoch, platform_key=platform_key) as fake:
        sdk = sdk_for(fake, merchant, monkeypatch)
        fetched = ("GET", "/v3/certificates") in fake.requests
        assert fetched is (mode == CERTIFICATES)  # and decrypted them, or it would fail now
        code, message = sdk.pay(description="Longjing Tea", out_trade_no="O000001",
                                amount={"total": 1734, "currency": "CNY"},
                                payer={"openid": "o-buyer"})
        assert code == 200 and json.loads(message)["prepay_id"].startswith("wx")
        code, message = sdk.pay(description="Tea", out_trade_no="O000002",
                                amount={"total": 500}, pay_type=WeChatPayType.NATIVE)
        assert code == 200 and json.loads(message)["code_url"].startswith("weixin://")
        code, message = sdk.query(out_trade_no="O000001")
        assert code == 200 and json.loads(message)["trade_state"] == "NOTPAY"
        code, _ = sdk.close(out_trade_no="O000002")
        assert code == 204
        fake.pay("O000001")
        code, message = sdk.refund(out_refund_no="R000001", out_trade_no="O000001",
                                   amount={"refund": 1000, "total": 1734, "currency": "CNY"})
        assert code == 200 and json.loads(message)["status"] == "PROCESSING"
        code, message = sdk.query_refund(out_refund_no="R000001")
        assert code == 200 and json.loads(message)["amount"]["refund"] == 1000
        code, message = sdk.query(out_trade_no="O404404")
        assert code == 404 and json.loads(message)["code"] == "ORDERNOTEXIST"


@pytest.mark.parametrize("mode", [PUBLIC_KEY, CERTIFICATES])
def test_wechatpayv3_verifies_and_decrypts_the_fakes_notices(
    merchant: MerchantIdentity, clock: Clock, platform_key: RSAPrivateKey, mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # RULES: PAY-1
    with FakeWeChatPay(merchant, mode=mode, clock=clock.epoch, platform_key=platform_key) as fake:
        sdk = sdk_for(fake, merchant, monkeypatch)
        sdk.pay(description="Tea", out_trade_no="O000001", amount={"total": 1734},
                payer={"openid": "o-buyer"})
        transaction_id = fake.pay("O000001")["transaction_id"]
        headers, body = fake.payment_notice("O000001")
        result = sdk.callback(headers, body)
        assert result is not None and result["event_type"] == "TRANSACTION.SUCCESS"
        resource = result["resource"]
        assert resource["transaction_id"] == transaction_id
        assert resource["amount"]["total"] == 1734 and resource["mchid"] == merchant.mch_id
        tampered = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESs")
        assert sdk.callback(headers, tampered) is None
        fake.ledger.refund({"out_refund_no": "R000001", "out_trade_no": "O000001",
                            "amount": {"refund": 1734, "total": 1734}})
        fake.settle_refund("R000001")
        refund = sdk.callback(*fake.refund_notice("R000001"))
        assert refund is not None and refund["resource"]["refund_status"] == "SUCCESS"


def test_wechatpayv3_computes_the_same_pay_sign_as_our_client(
    fake: FakeWeChatPay, client_for: Callable[..., WeChatPayClient], merchant: MerchantIdentity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = client_for(fake).request_payment("wx201410272009395522657a690389285100")
    sdk = sdk_for(fake, merchant, monkeypatch)
    assert sdk.sign([params.app_id, params.time_stamp, params.nonce_str,
                     params.package]) == params.pay_sign
