"""Cancellation by the merchant and by the buyer, and what closing gives back.

ORD-8 (merchant cancel, buyer request / reject / agree), ORD-6 (closing unpaid orders),
AS-7 (points spent come back on cancel), CPN-4 / CPN-5 (coupons).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from orders_helpers import START_POINTS, T0, Shop, check_order_amounts, check_stock, snapshot

from mallcore.errors import InvalidInput, NotAllowed
from mallcore.orders import events as ev
from mallcore.orders.order import OrderPolicy
from mallcore.orders.payments import PaymentMethod
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.services import orders as svc

LATER = T0 + timedelta(hours=1)


# ====================================================================== ORD-8 merchant
def test_merchant_cancels_and_refunds_in_full() -> None:
    # RULES: ORD-8, AS-5, AS-7
    shop = Shop()
    number = shop.paid_order([("tea", 2), ("cup", 1)], points=6)
    paid = shop.order(number).paid_fen
    made = svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER,
                               publisher=shop.publisher)
    order = shop.order(number)
    assert (order.status, order.close_reason) == (OrderStatus.CLOSED,
                                                   CloseReason.MERCHANT_CANCEL)
    refund = order.refund(made)
    assert refund.fen == paid == order.refunded_fen  # goods and shipping
    assert refund.shipping_fen == order.shipping_due
    assert refund.cause == "merchant_cancel"
    assert [(e.method, e.fen) for e in shop.events(ev.RefundRequested)] == [("wechat", paid)]
    # the goods go back on sale, the points come back
    assert shop.level("tea").available == 10 and shop.level("tea").sold == 0
    assert shop.level("cup").available == 3 and shop.level("cup").sold == 0
    assert shop.points(now=LATER) == START_POINTS
    check_order_amounts(order)
    check_stock(shop.uow)


def test_merchant_cancels_without_refund() -> None:
    # RULES: ORD-8, AS-7
    shop = Shop()
    number = shop.paid_order([("tea", 1)], points=3)
    assert svc.merchant_cancel(shop.uow, shop.numbers, number, refund=False, now=LATER) is None
    order = shop.order(number)
    assert order.status is OrderStatus.CLOSED
    assert order.refunds == []
    assert shop.level("tea").available == 10
    assert shop.points(now=LATER) == START_POINTS  # "cancelled": spent points return


def test_merchant_cannot_cancel_once_part_has_shipped() -> None:
    # RULES: ORD-8
    shop = Shop()
    number = shop.paid_order([("tea", 2)])
    shop.ship(number, lines={"tea": 1})
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed):
        svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER)
    assert snapshot(shop.uow) == before


def test_merchant_cancel_after_a_partial_refund_refunds_only_the_rest() -> None:
    # RULES: ORD-8, AS-2
    shop = Shop()
    number = shop.paid_order([("tea", 2), ("pot", 1)])
    paid = shop.order(number).paid_fen
    first = shop.refund_only(number, {"tea": 1}, 1000)
    made = svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER)
    order = shop.order(number)
    assert order.refund(first).fen + order.refund(made).fen == paid
    assert order.refunded_fen == paid
    check_order_amounts(order)


# ====================================================================== ORD-8 buyer
def test_a_cancellation_request_needs_a_reason() -> None:
    # RULES: ORD-8
    shop = Shop()
    number = shop.paid_order()
    with pytest.raises(InvalidInput):
        svc.request_cancellation(shop.uow, number, reason=" ", now=T0)
    assert shop.order(number).cancellation_request is None


def test_merchant_rejects_a_cancellation_with_a_reason_and_the_buyer_is_told() -> None:
    # RULES: ORD-8
    shop = Shop()
    number = shop.paid_order()
    svc.request_cancellation(shop.uow, number, reason="ordered twice", now=T0,
                             publisher=shop.publisher)
    assert shop.order(number).cancellation_request == "ordered twice"
    assert [e.reason for e in shop.events(ev.CancellationRequested)] == ["ordered twice"]
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput):
        svc.reject_cancellation(shop.uow, number, reason="", now=LATER)
    assert snapshot(shop.uow) == before
    svc.reject_cancellation(shop.uow, number, reason="already packed", now=LATER,
                            publisher=shop.publisher)
    order = shop.order(number)
    assert order.status is OrderStatus.PAID and order.cancellation_request is None
    (notice,) = shop.events(ev.CancellationRejected)
    assert (notice.order_number, notice.reason) == (number, "already packed")
    shop.ship(number)  # and the order goes on
    assert shop.order(number).status is OrderStatus.SHIPPED


def test_no_shipping_while_a_cancellation_request_waits() -> None:
    # RULES: ORD-8
    shop = Shop()
    number = shop.paid_order()
    svc.request_cancellation(shop.uow, number, reason="wrong size", now=T0)
    with pytest.raises(NotAllowed):
        shop.ship(number)
    with pytest.raises(NotAllowed):  # one request at a time
        svc.request_cancellation(shop.uow, number, reason="again", now=T0)


def test_deciding_without_a_request_is_refused() -> None:
    # RULES: ORD-8
    shop = Shop()
    number = shop.paid_order()
    with pytest.raises(NotAllowed):
        svc.agree_cancellation(shop.uow, shop.numbers, number, refund=True, now=T0)
    with pytest.raises(NotAllowed):
        svc.reject_cancellation(shop.uow, number, reason="no", now=T0)


def test_a_buyer_cannot_ask_to_cancel_once_part_has_shipped() -> None:
    # RULES: ORD-8
    shop = Shop()
    number = shop.paid_order([("tea", 2)])
    shop.ship(number, lines={"tea": 1})
    with pytest.raises(NotAllowed):
        svc.request_cancellation(shop.uow, number, reason="too slow", now=T0)


def test_merchant_agrees_and_refunds_in_full() -> None:
    # RULES: ORD-8, AS-5, AS-7
    shop = Shop()
    number = shop.place([("tea", 1), ("cup", 2)], points=8)
    due = shop.order(number).payable_fen
    shop.pay(number, [(PaymentMethod.ALIPAY, 2000), (PaymentMethod.BALANCE, due - 2000)])
    svc.request_cancellation(shop.uow, number, reason="changed my mind", now=T0)
    made = svc.agree_cancellation(shop.uow, shop.numbers, number, refund=True, now=LATER)
    order = shop.order(number)
    assert (order.status, order.close_reason) == (OrderStatus.CLOSED,
                                                   CloseReason.BUYER_CANCEL_AGREED)
    refund = order.refund(made)
    assert refund.fen == due
    assert {leg.method: leg.fen for leg in refund.legs} == {
        PaymentMethod.ALIPAY: 2000, PaymentMethod.BALANCE: due - 2000}
    assert refund.leg(PaymentMethod.BALANCE).status is RefundStatus.SUCCEEDED
    assert refund.leg(PaymentMethod.ALIPAY).status is RefundStatus.PENDING
    assert shop.level("tea").available == 10 and shop.level("cup").available == 3
    assert shop.points(now=LATER) == START_POINTS


def test_merchant_agrees_without_refund() -> None:
    # RULES: ORD-8
    shop = Shop()
    number = shop.paid_order([("tea", 1)])
    svc.request_cancellation(shop.uow, number, reason="settled by phone", now=T0)
    assert svc.agree_cancellation(shop.uow, shop.numbers, number, refund=False,
                                  now=LATER) is None
    order = shop.order(number)
    assert order.status is OrderStatus.CLOSED and order.refunds == []
    assert shop.level("tea").available == 10


# ====================================================================== ORD-6, AS-7 unpaid
@pytest.mark.parametrize("reason", [CloseReason.BUYER_CANCEL, CloseReason.MERCHANT])
def test_closing_an_unpaid_order_returns_points_and_stock(reason: CloseReason) -> None:
    # RULES: ORD-6, ORD-1, AS-7
    shop = Shop()
    number = shop.place([("tea", 2), ("cup", 1)], points=7)
    assert shop.points() == START_POINTS - 7
    svc.close_unpaid(shop.uow, number, reason=reason, now=LATER, publisher=shop.publisher)
    order = shop.order(number)
    assert (order.status, order.close_reason) == (OrderStatus.CLOSED, reason)
    assert shop.points(now=LATER) == START_POINTS
    assert shop.level("tea").available == 10 and shop.level("tea").reserved == 0
    assert [e.reason for e in shop.events(ev.OrderClosed)] == [reason.value]


def test_an_order_of_payment_time_stock_only_closes_cleanly() -> None:
    # RULES: ORD-6, ORD-9
    shop = Shop()
    number = shop.place([("cup", 2)])
    svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=T0)
    assert shop.order(number).status is OrderStatus.CLOSED
    assert shop.level("cup").available == 3


# ====================================================================== CPN-4, CPN-5
def test_a_coupon_is_consumed_once() -> None:
    # RULES: CPN-4
    shop = Shop()
    first = shop.place([("tea", 1)], coupon_id="cp-1", points=2)
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed):
        shop.place([("tea", 1), ("pot", 1)], coupon_id="cp-1", points=5)
    assert snapshot(shop.uow) == before  # no stock reserved, no points spent
    assert shop.uow.coupons.used == {"cp-1": first}


@pytest.mark.parametrize("close", ["buyer", "timeout", "merchant_cancel", "agreed", "refunded"])
def test_a_coupon_is_not_returned_on_close_by_default(close: str) -> None:
    # RULES: CPN-5
    shop = Shop()
    number = _closed_with_coupon(shop, close, OrderPolicy())
    assert shop.order(number).status is OrderStatus.CLOSED
    assert shop.uow.coupons.used == {"cp-1": number}


@pytest.mark.parametrize("close", ["buyer", "timeout", "merchant_cancel", "agreed"])
def test_a_coupon_is_returned_on_close_when_the_shop_says_so(close: str) -> None:
    # RULES: CPN-5
    shop = Shop()
    number = _closed_with_coupon(shop, close, OrderPolicy(return_coupon_on_close=True))
    assert shop.order(number).status is OrderStatus.CLOSED
    assert shop.uow.coupons.used == {}
    shop.place([("tea", 1)], coupon_id="cp-1", now=T0 + timedelta(hours=2))  # usable again


def _closed_with_coupon(shop: Shop, close: str, policy: OrderPolicy) -> str:
    number = shop.place([("tea", 1)], shipping="0", coupon_id="cp-1", policy=policy)
    if close == "buyer":
        svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=LATER)
    elif close == "timeout":
        svc.close_due_orders(shop.uow, LATER)
    else:
        shop.pay(number)
        if close == "merchant_cancel":
            svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER)
        elif close == "agreed":
            svc.request_cancellation(shop.uow, number, reason="x", now=LATER)
            svc.agree_cancellation(shop.uow, shop.numbers, number, refund=True, now=LATER)
        else:
            shop.refund_only(number, {"tea": 1}, now=LATER)
    return number
