"""The three failures seen in peer implementations, and "nothing half-applied".

(a) a discount that reappears on the surviving lines after one line is refunded;
(b) a negative payable amount persisted after a price adjustment;
(c) stock not released when an unpaid order closes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orders_helpers import (
    START_POINTS,
    T0,
    Shop,
    check_order_amounts,
    check_stock,
    snapshot,
    spend_100_save_15,
)

from mallcore.errors import MallcoreError, NotAllowed
from mallcore.orders.aftersales import AfterSaleKind
from mallcore.orders.order import DeliveryMethod
from mallcore.orders.payments import PaymentMethod
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.pricing import Stage
from mallcore.services import orders as svc

LATER = T0 + timedelta(hours=1)


# ====================================================================== (a)
def _discounted_completed(shop: Shop) -> str:
    number = shop.place_discounted()
    shop.pay(number)
    shop.ship(number)
    shop.confirm(number)
    return number


def test_the_discounted_order_really_went_through_every_stage() -> None:
    # RULES: PIPE-1, PIPE-3
    shop = Shop(activities=[spend_100_save_15()])
    number = shop.place_discounted()
    order = shop.order(number)
    for line in order.lines:
        amounts = line.stage_fen
        assert amounts[0] > amounts[1] > amounts[2] > amounts[3] > amounts[4], line
    breakdown = shop.price([("tea", 2), ("cup", 1), ("pot", 1)])
    assert breakdown.applied_in(Stage.ACTIVITIES)


def test_refunding_one_line_leaves_the_other_lines_as_they_were() -> None:
    # RULES: AS-2, PIPE-3
    shop = Shop(activities=[spend_100_save_15()])
    number = _discounted_completed(shop)
    order = shop.order(number)
    due_before = dict(order.due)
    others_before = {line: order.refundable_for({line: qty})
                     for line, qty in (("cup", 1), ("pot", 1))}
    tea_share = order.refundable_for({"tea": 2})["tea"]
    assert tea_share == due_before["tea"]  # the discounted amount, not the list price
    shop.refund_only(number, {"tea": 2})
    order = shop.order(number)
    assert order.due == due_before  # nothing moved from the refunded line to the others
    assert order.refunded_of_line("tea") == due_before["tea"]
    for line, qty in (("cup", 1), ("pot", 1)):
        assert order.refundable_for({line: qty}) == others_before[line]
        assert order.refundable_for({line: qty})[line] == due_before[line]
    check_order_amounts(order)


def test_refunding_every_line_one_by_one_never_exceeds_what_was_paid() -> None:
    # RULES: AS-2, PIPE-3, AS-7
    shop = Shop(activities=[spend_100_save_15()])
    number = _discounted_completed(shop)
    paid = shop.order(number).paid_fen
    goods = sum(shop.order(number).due.values())
    for items in ({"cup": 1}, {"tea": 1}, {"pot": 1}, {"tea": 1}):
        shop.refund_only(number, items)
        order = shop.order(number)
        assert order.refunded_fen <= paid
        check_order_amounts(order)
    order = shop.order(number)
    assert order.refunded_fen == goods  # exactly the discounted goods, shipping kept
    assert order.status is OrderStatus.CLOSED
    assert shop.points() == START_POINTS


def test_returning_a_line_then_cancelling_never_refunds_a_discount_twice() -> None:
    # RULES: AS-2, ORD-8, PIPE-3
    shop = Shop(activities=[spend_100_save_15()])
    number = shop.place_discounted()
    shop.pay(number, [(PaymentMethod.WECHAT, 9000),
                      (PaymentMethod.BALANCE, shop.order(number).payable_fen - 9000)])
    shop.refund_only(number, {"pot": 1})
    made = svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER)
    order = shop.order(number)
    assert order.refunded_fen == order.paid_fen
    rest = order.refund(made)
    assert dict(rest.lines) == {"tea": order.due["tea"], "cup": order.due["cup"]}
    assert rest.shipping_fen == order.shipping_due
    check_order_amounts(order)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["tea", "cup", "pot"]), st.integers(1, 100)),
                min_size=1, max_size=6))
def test_any_refund_sequence_on_a_discounted_order_stays_within_what_was_paid(
    steps: list[tuple[str, int]]
) -> None:
    # RULES: AS-2, PIPE-3
    shop = Shop(activities=[spend_100_save_15()])
    number = _discounted_completed(shop)
    due = dict(shop.order(number).due)
    for line, percent in steps:
        order = shop.order(number)
        try:
            cap = order.refundable_for({line: 1})[line]
        except MallcoreError:
            continue  # every unit of the line already claimed
        fen = max(1, cap * percent // 100)
        before = snapshot(shop.uow)
        try:
            shop.refund_only(number, {line: 1}, fen)
        except MallcoreError:
            assert snapshot(shop.uow) == before
            continue
        order = shop.order(number)
        assert order.due == due
        check_order_amounts(order)


# ====================================================================== (b)
#: name -> (goods delta, shipping delta) from the goods and shipping due
NEGATIVE: dict[str, Callable[[int, int], tuple[int, int]]] = {
    "goods one fen below zero": lambda g, s: (-g - 1, 0),
    "shipping one fen below zero": lambda g, s: (0, -s - 1),
    "both below zero": lambda g, s: (-g - 1, -s - 1),
    "far below zero": lambda g, s: (-(10**9), 0),
    "goods to zero, shipping below": lambda g, s: (-g, -s - 1),
    "total one fen below zero": lambda g, s: (-g - 1, -s),
    # the total stays positive but the lines would go negative: still refused
    "goods below zero, shipping raised": lambda g, s: (-g - 1, 1000),
}


@pytest.mark.parametrize("case", sorted(NEGATIVE))
def test_an_adjustment_that_would_make_an_amount_negative_is_refused(case: str) -> None:
    # RULES: ORD-3, PIPE-3
    shop = Shop(activities=[spend_100_save_15()])
    number = shop.place_discounted()
    order = shop.order(number)
    goods_delta, shipping_delta = NEGATIVE[case](sum(order.due.values()), order.shipping_due)
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed) as caught:
        svc.adjust_price(shop.uow, number, goods_delta=goods_delta,
                         shipping_delta=shipping_delta, now=LATER, by="clerk", reason="oops")
    assert caught.value.rule == "ORD-3"
    assert snapshot(shop.uow) == before
    order = shop.order(number)
    assert order.adjustments == []
    assert order.payable_fen > 0
    check_order_amounts(order)


def test_successive_adjustments_cannot_walk_the_total_below_zero() -> None:
    # RULES: ORD-3
    shop = Shop()
    number = shop.place([("tea", 1), ("pot", 1)], shipping="5.00")
    svc.adjust_price(shop.uow, number, goods_delta=-13000, now=LATER, by="c", reason="a")
    svc.adjust_price(shop.uow, number, goods_delta=-800, shipping_delta=-500, now=LATER,
                     by="c", reason="b")
    assert shop.order(number).payable_fen == 0
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed):
        svc.adjust_price(shop.uow, number, goods_delta=-1, now=LATER, by="c", reason="c")
    assert snapshot(shop.uow) == before
    order = shop.order(number)
    assert all(fen == 0 for fen in order.due.values())
    check_order_amounts(order)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-25_000, 5_000), st.integers(-1_000, 500)),
                min_size=1, max_size=5))
def test_random_adjustments_never_persist_a_negative_amount(
    deltas: list[tuple[int, int]]
) -> None:
    # RULES: ORD-3, PIPE-3
    shop = Shop(activities=[spend_100_save_15()])
    number = shop.place_discounted()
    for goods_delta, shipping_delta in deltas:
        before = snapshot(shop.uow)
        try:
            svc.adjust_price(shop.uow, number, goods_delta=goods_delta,
                             shipping_delta=shipping_delta, now=LATER, by="c", reason="r")
        except NotAllowed:
            assert snapshot(shop.uow) == before
        order = shop.order(number)
        assert order.payable_fen >= 0
        check_order_amounts(order)
    order = shop.order(number)
    if order.payable_fen:
        assert shop.pay(number, now=LATER) is svc.PaymentOutcome.PAID


# ====================================================================== (c)
def _close_by(shop: Shop, number: str, how: str) -> None:
    if how == "timeout":
        assert svc.close_due_orders(shop.uow, T0 + timedelta(minutes=30)) == [number]
    elif how == "buyer":
        svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=LATER)
    else:
        svc.close_unpaid(shop.uow, number, reason=CloseReason.MERCHANT, now=LATER)


@pytest.mark.parametrize("how", ["timeout", "buyer", "merchant"])
def test_closing_an_unpaid_order_releases_its_reservation(how: str) -> None:
    # RULES: ORD-6, ORD-9
    shop = Shop(stock={"pot": 2})
    number = shop.place([("pot", 2), ("tea", 3), ("cup", 1)], points=5)
    assert shop.level("pot").available == 0 and shop.level("pot").reserved == 2
    assert shop.level("tea").reserved == 3
    _close_by(shop, number, how)
    assert shop.order(number).status is OrderStatus.CLOSED
    for sku, stock in (("pot", 2), ("tea", 10), ("cup", 3)):
        level = shop.level(sku)
        assert (level.available, level.reserved, level.sold) == (stock, 0, 0), (sku, level)
    assert shop.uow.inventory.reservation(number) is None
    assert shop.points(now=T0 + timedelta(hours=2)) == START_POINTS
    check_stock(shop.uow)
    # the released pots are really for sale again
    other = shop.place([("pot", 2)], now=T0 + timedelta(hours=2))
    assert shop.pay(other, now=T0 + timedelta(hours=2)) is svc.PaymentOutcome.PAID


@pytest.mark.parametrize("how", ["cancel_refund", "cancel_keep", "agreed"])
def test_cancelling_a_paid_unshipped_order_puts_its_goods_back_on_sale(how: str) -> None:
    # RULES: ORD-8, ORD-9
    shop = Shop(stock={"pot": 1, "cup": 1})
    number = shop.paid_order([("pot", 1), ("cup", 1)])
    if how == "agreed":
        svc.request_cancellation(shop.uow, number, reason="x", now=LATER)
        svc.agree_cancellation(shop.uow, shop.numbers, number, refund=True, now=LATER)
    else:
        svc.merchant_cancel(shop.uow, shop.numbers, number, refund=how == "cancel_refund",
                            now=LATER)
    for sku in ("pot", "cup"):
        assert shop.level(sku).available == 1 and shop.level(sku).sold == 0
    check_stock(shop.uow)


# ====================================================================== nothing half-applied
Refusal = Callable[[Shop, dict[str, str]], Callable[[], object]]


def _points_spent_elsewhere(shop: Shop, o: dict[str, str]) -> Callable[[], object]:
    """Priced while the balance allowed it, placed after another order spent the points:
    refused at the points step, after the stock step, before the coupon step."""
    breakdown = shop.price([("tea", 1), ("pot", 1)], points=START_POINTS)
    assert breakdown.points_used > 100
    shop.place([("pot", 1)], points=100)
    return lambda: svc.place_order(shop.uow, shop.numbers, customer_id="c1",
                                   breakdown=breakdown, catalog=shop.catalog, now=T0,
                                   coupon_id="cp-new")


REFUSALS: dict[str, Refusal] = {
    "coupon already used": lambda sh, o: lambda: sh.place([("tea", 1)], points=3,
                                                          coupon_id="cp-used"),
    "stock short": lambda sh, o: lambda: sh.place([("tea", 1), ("pot", 99)], points=3),
    "points spent elsewhere": _points_spent_elsewhere,
    "wrong amount": lambda sh, o: lambda: sh.pay(o["pending"], [(PaymentMethod.WECHAT, 1)]),
    "adjust paid": lambda sh, o: lambda: svc.adjust_price(
        sh.uow, o["paid"], goods_delta=-1, now=LATER, by="c", reason="r"),
    "negative": lambda sh, o: lambda: svc.adjust_price(
        sh.uow, o["pending"], goods_delta=-(10**7), now=LATER, by="c", reason="r"),
    "ship no tracking": lambda sh, o: lambda: svc.ship_order(
        sh.uow, sh.numbers, o["paid"], now=LATER, carrier="SF"),
    "ship too much": lambda sh, o: lambda: sh.ship(o["paid"], lines={"tea": 9},
                                                   method=DeliveryMethod.PICKUP),
    "close paid": lambda sh, o: lambda: svc.close_unpaid(
        sh.uow, o["paid"], reason=CloseReason.BUYER_CANCEL, now=LATER),
    "cancel shipped": lambda sh, o: lambda: svc.merchant_cancel(
        sh.uow, sh.numbers, o["shipped"], refund=True, now=LATER),
    "confirm paid": lambda sh, o: lambda: sh.confirm(o["paid"], now=LATER),
    "auto confirm early": lambda sh, o: lambda: svc.confirm_receipt(
        sh.uow, o["shipped"], by=svc.ReceiptBy.AUTO, now=LATER),
    "over the cap": lambda sh, o: lambda: sh.apply(o["completed"], AfterSaleKind.REFUND_ONLY,
                                                   {"tea": 1}, 10**6),
    "exchange shipped": lambda sh, o: lambda: sh.apply(o["shipped"], AfterSaleKind.EXCHANGE,
                                                       {"tea": 1}, 0),
    "refund unknown": lambda sh, o: lambda: svc.refund_after_sale(
        sh.uow, sh.numbers, o["completed"], "A404", now=LATER),
    "retry settled": lambda sh, o: lambda: svc.retry_refund(
        sh.uow, o["completed"], o["refund"], now=LATER),
    "unknown order": lambda sh, o: lambda: sh.pay("O404404"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_use_case_leaves_the_unit_of_work_unchanged(case: str) -> None:
    # RULES: ORD-1, ORD-2, ORD-3, ORD-4, ORD-5, ORD-9, AS-2, PTS-4, CPN-4
    shop = Shop()
    orders = {
        "pending": shop.place([("tea", 1), ("cup", 1)], points=4),
        "paid": shop.paid_order([("tea", 2)], points=2),
        "shipped": shop.shipped_order([("tea", 1)]),
        "completed": shop.completed_order([("tea", 1), ("pot", 1)]),
        "used": shop.place([("pot", 1)], coupon_id="cp-used"),
    }
    orders["refund"] = shop.refund_only(orders["completed"], {"pot": 1}, 500)
    run = REFUSALS[case](shop, orders)
    before = snapshot(shop.uow)
    events = len(shop.publisher.events)
    commits = shop.uow.commits
    with pytest.raises(MallcoreError):
        run()
    assert snapshot(shop.uow) == before
    assert len(shop.publisher.events) == events
    assert shop.uow.commits == commits
    for order in shop.uow.orders:
        check_order_amounts(order)
    check_stock(shop.uow)


def test_a_paid_order_refunded_in_full_before_shipping_puts_its_goods_back_on_sale() -> None:
    # RULES: ORD-9, ORD-8, AS-3 (closed with nothing shipped: the goods never left the shop,
    # exactly as when the same order is cancelled)
    shop = Shop(stock={"pot": 1})
    number = shop.paid_order([("pot", 1), ("tea", 2), ("cup", 1)])
    shop.refund_only(number, {"pot": 1, "tea": 2, "cup": 1}, now=LATER)
    order = shop.order(number)
    assert (order.status, order.close_reason) == (OrderStatus.CLOSED,
                                                   CloseReason.FULLY_REFUNDED)
    assert order.shipments == []
    for sku, stock in (("pot", 1), ("tea", 10), ("cup", 3)):
        level = shop.level(sku)
        assert (level.available, level.sold) == (stock, 0), (sku, level)
