"""Our client against the loopback fake, over real HTTP: operations, both verification
modes, answer verification and the WeChat error codes (PAY-1, PAY-2, AS-6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from wechatpay_helpers import Clock

from mallcore.errors import (
    CertificateExpired,
    GatewayUnavailable,
    MerchantMismatch,
    PaymentGatewayError,
    PaymentRejected,
    RefundRejected,
    RequestRejected,
    SignatureInvalid,
    StaleTimestamp,
    TradeNotFound,
    UnknownSerial,
)
from mallcore.payments import PrepayRequest, RefundRequest, RefundState, TradeState
from mallcore_adapters.wechatpay import WeChatPayClient, signing
from mallcore_adapters.wechatpay.fake import FakeWeChatPay
from mallcore_adapters.wechatpay.identity import MerchantIdentity, new_rsa_key

NOTIFY = "https://mall.example.com/wechatpay/notify"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def jsapi(number: str = "O000001", fen: int = 1234) -> PrepayRequest:
    return PrepayRequest(number, "Longjing Tea", fen, NOTIFY, payer_openid=OPENID)


def paid_trade(fake: FakeWeChatPay, client: WeChatPayClient, number: str = "O000001",
               fen: int = 1234) -> str:
    client.prepay_jsapi(jsapi(number, fen))
    return str(fake.pay(number)["transaction_id"])


# ---------------------------------------------------------------------- operations
def test_jsapi_prepay_answers_request_payment_with_a_verifiable_pay_sign(
    fake_any: FakeWeChatPay, client_for: Callable[..., WeChatPayClient],
    merchant: MerchantIdentity, clock: Clock,
) -> None:
    client = client_for(fake_any)
    prepay = client.prepay_jsapi(jsapi())
    trade = fake_any.ledger.trades["O000001"]
    assert prepay.prepay_id == trade["prepay_id"]
    assert trade["payer"] == {"openid": OPENID} and trade["amount"]["total"] == 1234
    params = prepay.request_payment.as_dict()
    assert params["appId"] == merchant.app_id
    assert params["package"] == f"prepay_id={prepay.prepay_id}"
    assert params["timeStamp"] == str(int(clock.epoch())) and params["signType"] == "RSA"
    message = (f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n"
               f"{params['package']}\n").encode()
    assert signing.verify(merchant.private_key.public_key(), message, params["paySign"])


def test_native_prepay_answers_a_code_url(fake: FakeWeChatPay, client: WeChatPayClient) -> None:
    answer = client.prepay_native(PrepayRequest("O000002", "Tea", 500, NOTIFY))
    assert answer.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert fake.ledger.trades["O000002"]["trade_type"] == "NATIVE"


def test_query_follows_the_trade_from_notpay_to_success(fake_any: FakeWeChatPay,
                                                        client_for: Callable[...,
                                                                             WeChatPayClient]
                                                        ) -> None:
    client = client_for(fake_any)
    client.prepay_jsapi(jsapi())
    before = client.query("O000001")
    assert before.state is TradeState.NOTPAY and before.transaction_id is None
    transaction_id = fake_any.pay("O000001")["transaction_id"]
    after = client.query("O000001")
    assert after.state is TradeState.SUCCESS and after.state.paid
    assert after.transaction_id == transaction_id and after.total_fen == 1234
    assert after.success_time is not None and after.success_time.utcoffset() == timedelta(hours=8)
    path = "/v3/pay/transactions/out-trade-no/O000001?mchid=1900000109"
    assert ("GET", path) in fake_any.requests


def test_close_is_a_204_and_closes_the_trade(fake: FakeWeChatPay,
                                             client: WeChatPayClient) -> None:
    client.prepay_jsapi(jsapi())
    assert client.close("O000001") is None
    assert client.query("O000001").state is TradeState.CLOSED
    with pytest.raises(PaymentRejected) as caught:
        client.prepay_jsapi(jsapi())
    assert caught.value.wechat_code == "ORDER_CLOSED" and not caught.value.retryable


def test_refund_and_refund_query(fake_any: FakeWeChatPay,
                                 client_for: Callable[..., WeChatPayClient]) -> None:
    # RULES: PAY-2
    client = client_for(fake_any)
    transaction_id = paid_trade(fake_any, client)
    answer = client.refund(RefundRequest("O000001", "R000001", 400, 1234, reason="broken cup",
                                         notify_url=NOTIFY, transaction_id=transaction_id))
    assert answer.status is RefundState.PROCESSING
    assert (answer.refund_fen, answer.total_fen, answer.order_number) == (400, 1234, "O000001")
    fake_any.settle_refund("R000001")
    settled = client.query_refund("R000001")
    assert settled.status is RefundState.SUCCESS and settled.refund_id == answer.refund_id
    assert settled.success_time is not None
    with pytest.raises(RequestRejected) as caught:  # more than is left to refund
        client.refund(RefundRequest("O000001", "R000002", 900, 1234))
    assert caught.value.wechat_code == "INVALID_REQUEST" and caught.value.rule == "PAY-2"


def test_platform_certificates_are_fetched_decrypted_and_serial_checked(
    merchant: MerchantIdentity, clock: Clock, client_for: Callable[..., WeChatPayClient],
    platform_key: RSAPrivateKey,
) -> None:
    # RULES: PAY-1
    with FakeWeChatPay(merchant, mode="platform_certificates", clock=clock.epoch,
                       platform_key=platform_key) as fake:
        client = client_for(fake)
        assert client.config.mode == "platform_certificates"
        client.prepay_native(PrepayRequest("O000003", "Tea", 100, NOTIFY))
        assert client.verifier.certificate_serials == (fake.serial,)
        assert ("GET", "/v3/certificates") in fake.requests


# ---------------------------------------------------------------------- answers we refuse
def test_an_answer_signed_by_another_key_is_refused(
    merchant: MerchantIdentity, clock: Clock, client_for: Callable[..., WeChatPayClient],
    platform_key: RSAPrivateKey,
) -> None:
    # RULES: PAY-1
    with FakeWeChatPay(merchant, clock=clock.epoch, platform_key=platform_key) as fake:
        impostor = new_rsa_key().public_key()
        client = client_for(fake, public_key=impostor)
        with pytest.raises(SignatureInvalid, match="does not verify"):
            client.prepay_native(PrepayRequest("O000004", "Tea", 100, NOTIFY))


def test_an_answer_with_an_unknown_public_key_id_is_refused(
    fake: FakeWeChatPay, client_for: Callable[..., WeChatPayClient],
) -> None:
    client = client_for(fake, public_key_id="PUB_KEY_ID_0000000000000000000000000001")
    with pytest.raises(UnknownSerial):
        client.query("O000009")


def test_answers_300_seconds_off_our_clock_are_refused(
    merchant: MerchantIdentity, client_for: Callable[..., WeChatPayClient], clock: Clock,
    platform_key: RSAPrivateKey,
) -> None:
    fake_clock = Clock(clock.now - timedelta(seconds=300))
    with FakeWeChatPay(merchant, clock=fake_clock.epoch, platform_key=platform_key) as fake:
        client = client_for(fake)
        with pytest.raises(SignatureInvalid):  # the fake refuses us too: SIGN_ERROR
            client.query("O000001")
        fake_clock.now = clock.now  # our request is fresh again; its answer is not
        fake.sign = _signing_at(fake, int(clock.epoch()) - 300)  # type: ignore[method-assign]
        with pytest.raises(StaleTimestamp):
            client.prepay_native(PrepayRequest("O000005", "Tea", 100, NOTIFY))


def _signing_at(fake: FakeWeChatPay, timestamp: int) -> Callable[..., dict[str, str]]:
    sign = FakeWeChatPay.sign

    def signed(body: bytes, **_: object) -> dict[str, str]:
        return sign(fake, body, timestamp=timestamp)

    return signed


# ---------------------------------------------------------------------- error codes
def test_sign_error_is_reported_as_such(fake: FakeWeChatPay,
                                        client_for: Callable[..., WeChatPayClient]) -> None:
    # RULES: PAY-1
    client = client_for(fake, private_key=new_rsa_key())  # not the certificate's key
    with pytest.raises(SignatureInvalid) as caught:
        client.prepay_jsapi(jsapi())
    error = caught.value
    assert (error.wechat_code, error.http_status, error.rule) == ("SIGN_ERROR", 401, "PAY-1")
    assert "signature" in str(error) and not error.retryable
    assert fake.ledger.trades == {}


def test_appid_mchid_not_match_is_reported_as_such(fake: FakeWeChatPay,
                                                   client_for: Callable[..., WeChatPayClient]
                                                   ) -> None:
    # RULES: PAY-1
    client = client_for(fake, app_id="wx0000000000000000")
    with pytest.raises(MerchantMismatch) as caught:
        client.prepay_jsapi(jsapi())
    assert caught.value.wechat_code == "APPID_MCHID_NOT_MATCH"
    assert "app id is not bound to this merchant id" in str(caught.value)
    assert caught.value.rule == "PAY-1"


def test_not_enough_is_a_retryable_refund_failure_with_the_reason(
    fake: FakeWeChatPay, client: WeChatPayClient,
) -> None:
    # RULES: AS-6, PAY-2
    paid_trade(fake, client)
    fake.fail("refund", "NOT_ENOUGH")
    with pytest.raises(RefundRejected) as caught:
        client.refund(RefundRequest("O000001", "R000001", 1234, 1234))
    error = caught.value
    assert error.wechat_code == "NOT_ENOUGH" and error.retryable and error.rule == "AS-6"
    assert "balance is short" in error.reason and "基本账户余额不足" in error.reason
    assert client.refund(RefundRequest("O000001", "R000001", 1234, 1234)).refund_fen == 1234


@pytest.mark.parametrize(
    ("operation", "code", "kind", "retryable"),
    [("jsapi", "ORDERPAID", PaymentRejected, False),
     ("jsapi", "ORDER_CLOSED", PaymentRejected, False),
     ("jsapi", "USERPAYING", PaymentRejected, True),
     ("query", "ORDERNOTEXIST", TradeNotFound, False),
     ("refund_query", "RESOURCE_NOT_EXISTS", TradeNotFound, False),
     ("jsapi", "PARAM_ERROR", RequestRejected, False),
     ("jsapi", "INVALID_REQUEST", RequestRejected, False),
     ("jsapi", "NO_AUTH", RequestRejected, False),
     ("query", "FREQUENCY_LIMITED", GatewayUnavailable, True),
     ("close", "SYSTEM_ERROR", GatewayUnavailable, True),
     ("query", "SOMETHING_NEW", RequestRejected, False)],
)
def test_wechat_error_codes_map_to_typed_errors(
    fake: FakeWeChatPay, client: WeChatPayClient, operation: str, code: str,
    kind: type[PaymentGatewayError], retryable: bool,
) -> None:
    fake.fail(operation, code)
    calls = {"jsapi": lambda: client.prepay_jsapi(jsapi()),
             "query": lambda: client.query("O000001"),
             "close": lambda: client.close("O000001"),
             "refund_query": lambda: client.query_refund("R000001")}
    with pytest.raises(kind) as caught:
        calls[operation]()
    assert type(caught.value) is kind
    assert caught.value.wechat_code == code and caught.value.retryable is retryable


def test_real_not_found_answers_map_too(client: WeChatPayClient) -> None:
    with pytest.raises(TradeNotFound) as trade:
        client.query("O404404")
    assert trade.value.wechat_code == "ORDERNOTEXIST"
    with pytest.raises(TradeNotFound) as refund:
        client.query_refund("R404404")
    assert refund.value.wechat_code == "RESOURCE_NOT_EXISTS"


def test_no_answer_is_a_retryable_gateway_error(merchant: MerchantIdentity, clock: Clock,
                                                platform_key: RSAPrivateKey) -> None:
    with FakeWeChatPay(merchant, clock=clock.epoch, platform_key=platform_key) as fake:
        config, url = fake.client_config(), fake.base_url
    client = WeChatPayClient(config, base_url=url, clock=clock, timeout=1.0)
    with pytest.raises(GatewayUnavailable) as caught:
        client.query("O000001")
    assert caught.value.retryable
    client.close_connections()


def test_an_expired_certificate_is_refused_before_anything_is_sent(
    fake: FakeWeChatPay, client: WeChatPayClient, clock: Clock, merchant: MerchantIdentity,
) -> None:
    # RULES: PAY-1, AS-6
    clock.now = merchant.expires_at + timedelta(seconds=1)
    with pytest.raises(CertificateExpired, match=merchant.expires_at.date().isoformat()):
        client.query("O000001")
    assert fake.requests == []
    with pytest.raises(CertificateExpired):
        WeChatPayClient(client.config, base_url=fake.base_url, clock=clock)
