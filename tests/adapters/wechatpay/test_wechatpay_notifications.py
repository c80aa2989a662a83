"""Notifications POSTed by the fake to our endpoint over loopback, booked into orders
through ``mallcore.services`` (ORD-2, PAY-1, PAY-2, AS-6)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from wechatpay_helpers import Clock, Shop

from mallcore.errors import (
    AmountMismatch,
    SignatureInvalid,
    SignatureProbe,
    StaleTimestamp,
    UnknownSerial,
)
from mallcore.orders.events import OrderPaid, RefundFailed, RefundSucceeded
from mallcore.orders.payments import PaymentMethod
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.status import OrderStatus
from mallcore.payments import PrepayRequest
from mallcore.services import orders as svc
from mallcore.services.payment_notices import NoticeOutcome, send_wechat_refund
from mallcore_adapters.wechatpay import WeChatPayClient
from mallcore_adapters.wechatpay.fake import FakeWeChatPay
from mallcore_adapters.wechatpay.receiver import NotificationReceiver

Endpoint = Callable[[WeChatPayClient], NotificationReceiver]


def buyer_pays(shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient,
               receiver: NotificationReceiver, quantity: int = 1) -> str:
    """An order placed, prepaid through the fake, and paid by the buyer in WeChat."""
    number = shop.place(quantity)
    client.prepay_jsapi(PrepayRequest(number, "Longjing Tea", shop.order(number).payable_fen,
                                      receiver.url, payer_openid="o-buyer"))
    fake.pay(number)
    return number


def test_payment_notice_pays_the_order(shop: Shop, fake_any: FakeWeChatPay,
                                       client_for: Callable[..., WeChatPayClient],
                                       endpoint: Endpoint) -> None:
    # RULES: ORD-2, PAY-1
    client = client_for(fake_any)
    receiver = endpoint(client)
    number = buyer_pays(shop, fake_any, client, receiver)
    status, body = fake_any.notify_payment(number)
    assert (status, body) == (204, b"")
    order = shop.order(number)
    transaction_id = fake_any.ledger.trades[number]["transaction_id"]
    assert order.status is OrderStatus.PAID
    assert [(p.transaction_id, p.fen) for p in order.payments] == [(transaction_id, 1734)]
    assert order.payments[0].by_method() == {PaymentMethod.WECHAT: 1734}
    assert receiver.answers[-1].outcome is NoticeOutcome.PAID
    assert [e.transaction_id for e in shop.publisher.events if isinstance(e, OrderPaid)] == [
        transaction_id]


def test_a_repeated_notice_is_acknowledged_with_no_second_effect(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint,
) -> None:
    receiver = endpoint(client)
    number = buyer_pays(shop, fake, client, receiver)
    headers, body = fake.payment_notice(number)
    assert fake.deliver(receiver.url, headers, body)[0] == 204
    assert fake.deliver(receiver.url, headers, body)[0] == 204
    assert fake.notify_payment(number)[0] == 204  # a fresh delivery of the same payment
    assert len(shop.order(number).payments) == 1
    assert [a.outcome for a in receiver.answers] == [
        NoticeOutcome.PAID, NoticeOutcome.DUPLICATE, NoticeOutcome.DUPLICATE]
    assert len([e for e in shop.publisher.events if isinstance(e, OrderPaid)]) == 1


@pytest.mark.concurrency
def test_ten_concurrent_deliveries_of_one_notice_pay_once(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint,
) -> None:
    receiver = endpoint(client)
    number = buyer_pays(shop, fake, client, receiver)
    headers, body = fake.payment_notice(number)
    statuses: list[int] = []
    gate = threading.Barrier(10)

    def deliver() -> None:
        gate.wait()
        statuses.append(fake.deliver(receiver.url, headers, body)[0])

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [204] * 10
    assert len(shop.order(number).payments) == 1
    outcomes = sorted(a.outcome for a in receiver.answers if a.outcome)
    assert outcomes == sorted([NoticeOutcome.PAID] + [NoticeOutcome.DUPLICATE] * 9)


def test_a_wrong_amount_is_refused_reported_and_never_booked(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint,
) -> None:
    # RULES: ORD-2
    receiver = endpoint(client)
    number = buyer_pays(shop, fake, client, receiver)
    status, _ = fake.notify_payment(number, total=1)
    answer = receiver.answers[-1]
    assert status == 200  # acknowledged: a retry cannot change the amount …
    assert answer.needs_attention  # … so it is flagged for a person instead
    assert isinstance(answer.error, AmountMismatch)
    assert (answer.error.expected_fen, answer.error.got_fen) == (1734, 1)
    assert answer.error.rule == "ORD-2" and number in str(answer.error)
    assert shop.order(number).status is OrderStatus.PENDING_PAYMENT
    assert shop.order(number).payments == []


@pytest.mark.parametrize("change", ["body", "serial", "stale", "unsigned"])
def test_tampered_or_stale_notices_are_refused_with_4xx(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint,
    clock: Clock, change: str,
) -> None:
    # RULES: PAY-1
    receiver = endpoint(client)
    number = buyer_pays(shop, fake, client, receiver)
    headers, body = fake.payment_notice(number)
    if change == "body":
        envelope = json.loads(body)
        envelope["summary"] = "支付成功!"
        body = json.dumps(envelope, ensure_ascii=False).encode()
    elif change == "serial":
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_0000000000000000000000000000"
    elif change == "stale":
        headers, body = fake.payment_notice(number, timestamp=int(clock.epoch()) - 300)
    else:
        del headers["Wechatpay-Signature"]
    status, answer_body = fake.deliver(receiver.url, headers, body)
    assert status == 401
    assert json.loads(answer_body)["code"] == "FAIL"
    error = receiver.answers[-1].error
    expected = {"serial": UnknownSerial, "stale": StaleTimestamp}.get(change, SignatureInvalid)
    assert isinstance(error, expected)
    assert shop.order(number).status is OrderStatus.PENDING_PAYMENT


def test_a_notice_299_seconds_old_is_still_accepted(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint, clock: Clock,
) -> None:
    receiver = endpoint(client)
    number = buyer_pays(shop, fake, client, receiver)
    assert fake.notify_payment(number, timestamp=int(clock.epoch()) - 299)[0] == 204
    assert shop.order(number).status is OrderStatus.PAID


def test_a_signtest_probe_gets_a_4xx_and_changes_nothing(
    shop: Shop, fake_any: FakeWeChatPay, client_for: Callable[..., WeChatPayClient],
    endpoint: Endpoint,
) -> None:
    # RULES: PAY-1
    client = client_for(fake_any)
    receiver = endpoint(client)
    number = buyer_pays(shop, fake_any, client, receiver)
    headers, body = fake_any.probe_notice(number)
    status, _ = fake_any.deliver(receiver.url, headers, body)
    assert 400 <= status < 500
    assert isinstance(receiver.answers[-1].error, SignatureProbe)
    assert shop.order(number).payments == []


def test_a_notice_for_another_merchant_is_refused(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint,
) -> None:
    # RULES: PAY-1
    receiver = endpoint(client)
    number = buyer_pays(shop, fake, client, receiver)
    fake.ledger.trades[number]["mchid"] = "1900000999"
    status, _ = fake.notify_payment(number)
    assert status == 400
    error = receiver.answers[-1].error
    assert error is not None and "APPID_MCHID_NOT_MATCH" in str(error)
    assert receiver.answers[-1].needs_attention
    assert shop.order(number).payments == []


def test_an_unknown_order_asks_wechat_to_retry(
    fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint,
) -> None:
    receiver = endpoint(client)
    client.prepay_native(PrepayRequest("O999999", "Tea", 100, receiver.url))
    fake.pay("O999999")
    status, body = fake.notify_payment("O999999")
    assert status == 500 and json.loads(body)["code"] == "FAIL"


# ---------------------------------------------------------------------- refunds
def paid_and_cancelled(shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient,
                       receiver: NotificationReceiver, clock: Clock) -> tuple[str, str]:
    number = buyer_pays(shop, fake, client, receiver)
    assert fake.notify_payment(number)[0] == 204
    refund_number = svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True,
                                        now=clock())
    assert refund_number is not None
    return number, refund_number


def test_refund_sent_then_notified_succeeds_once(
    shop: Shop, fake_any: FakeWeChatPay, client_for: Callable[..., WeChatPayClient],
    endpoint: Endpoint, clock: Clock,
) -> None:
    # RULES: PAY-2
    client = client_for(fake_any)
    receiver = endpoint(client)
    number, refund_number = paid_and_cancelled(shop, fake_any, client, receiver, clock)
    status = send_wechat_refund(shop.uow, client, number, refund_number, now=clock(),
                                notify_url=receiver.url, publisher=shop.publisher)
    assert status is RefundStatus.PENDING  # WeChat answered PROCESSING
    assert fake_any.ledger.refunds[refund_number]["amount"]["refund"] == 1734
    fake_any.settle_refund(refund_number)
    assert fake_any.notify_refund(refund_number)[0] == 204
    assert fake_any.notify_refund(refund_number)[0] == 204
    assert shop.order(number).refund(refund_number).status is RefundStatus.SUCCEEDED
    assert [a.outcome for a in receiver.answers[-2:]] == [
        NoticeOutcome.REFUND_SUCCEEDED, NoticeOutcome.DUPLICATE]
    assert len([e for e in shop.publisher.events if isinstance(e, RefundSucceeded)]) == 1


def test_not_enough_leaves_the_refund_failed_and_retryable_with_the_reason(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint, clock: Clock,
) -> None:
    # RULES: AS-6, PAY-2
    receiver = endpoint(client)
    number, refund_number = paid_and_cancelled(shop, fake, client, receiver, clock)
    fake.fail("refund", "NOT_ENOUGH")
    status = send_wechat_refund(shop.uow, client, number, refund_number, now=clock(),
                                publisher=shop.publisher)
    assert status is RefundStatus.FAILED
    leg = shop.order(number).refund(refund_number).leg(PaymentMethod.WECHAT)
    assert leg.reason is not None and "NOT_ENOUGH" in leg.reason and "balance" in leg.reason
    assert [e.reason for e in shop.publisher.events if isinstance(e, RefundFailed)] == [
        leg.reason]
    assert fake.ledger.refunds == {}
    svc.retry_refund(shop.uow, number, refund_number, now=clock())  # topped up: again
    fake.ledger.refund_status = "SUCCESS"
    assert send_wechat_refund(shop.uow, client, number, refund_number,
                              now=clock()) is RefundStatus.SUCCEEDED
    assert shop.order(number).refund(refund_number).leg(PaymentMethod.WECHAT).attempts == 2


def test_an_abnormal_refund_notice_fails_the_leg_with_its_reason(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint, clock: Clock,
) -> None:
    # RULES: AS-6
    receiver = endpoint(client)
    number, refund_number = paid_and_cancelled(shop, fake, client, receiver, clock)
    send_wechat_refund(shop.uow, client, number, refund_number, now=clock(),
                       notify_url=receiver.url)
    fake.settle_refund(refund_number, "ABNORMAL")
    assert fake.notify_refund(refund_number)[0] == 204
    assert fake.notify_refund(refund_number)[0] == 204
    refund = shop.order(number).refund(refund_number)
    assert refund.status is RefundStatus.FAILED
    assert "ABNORMAL" in (refund.leg(PaymentMethod.WECHAT).reason or "")
    assert [a.outcome for a in receiver.answers[-2:]] == [
        NoticeOutcome.REFUND_FAILED, NoticeOutcome.DUPLICATE]


def test_a_certificate_expired_refund_is_failed_naming_the_date(
    shop: Shop, fake: FakeWeChatPay, client: WeChatPayClient, endpoint: Endpoint, clock: Clock,
) -> None:
    # RULES: AS-6, PAY-1
    receiver = endpoint(client)
    number, refund_number = paid_and_cancelled(shop, fake, client, receiver, clock)
    clock.now = client.config.cert_expires_at
    send_wechat_refund(shop.uow, client, number, refund_number, now=clock())
    reason = shop.order(number).refund(refund_number).leg(PaymentMethod.WECHAT).reason or ""
    assert "expired on " + client.config.cert_expires_at.date().isoformat() in reason

