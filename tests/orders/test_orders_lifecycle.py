"""Order lifecycle: status edges, payment, price adjustment, closing, stock strategy, search.

ORD-1, ORD-2, ORD-3, ORD-6, ORD-9, ORD-10 (search through the in-memory repository only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orders_helpers import (
    START_POINTS,
    T0,
    Shop,
    assert_refused_transition,
    check_order_amounts,
    check_stock,
    snapshot,
)

from mallcore.errors import InvalidInput, InvalidTransition, LimitReached, NotAllowed
from mallcore.orders import events as ev
from mallcore.orders.aftersales import AfterSaleKind
from mallcore.orders.order import Order, OrderLine, OrderPolicy
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.search import OrderQuery, QuickFilter
from mallcore.orders.status import ALLOWED, CloseReason, OrderStatus
from mallcore.services import orders as svc

LATER = T0 + timedelta(hours=1)
S = OrderStatus


# ====================================================================== ORD-1
def test_allowed_edges_are_the_documented_lifecycle() -> None:
    # RULES: ORD-1, PRE-6 (deposit paid: a deposit pre-sale awaiting its balance)
    edges = {status: set(targets) for status, targets in ALLOWED.items()}
    assert edges == {
        S.PENDING_PAYMENT: {S.DEPOSIT_PAID, S.PAID, S.CLOSED},
        S.DEPOSIT_PAID: {S.PAID, S.CLOSED},
        S.PAID: {S.SHIPPED, S.CLOSED},
        S.SHIPPED: {S.COMPLETED, S.CLOSED},
        S.COMPLETED: {S.CLOSED},
        S.CLOSED: set(),
    }


def order_in(shop: Shop, status: OrderStatus) -> str:
    """An order of tea ×2 and pot ×1 brought to ``status`` through the services."""
    if status is S.PENDING_PAYMENT:
        return shop.place([("tea", 2), ("pot", 1)])
    if status is S.PAID:
        return shop.paid_order()
    if status is S.SHIPPED:
        return shop.shipped_order()
    if status is S.COMPLETED:
        return shop.completed_order()
    if status is S.DEPOSIT_PAID:
        return shop.deposit_order()
    number = shop.place([("tea", 2), ("pot", 1)])
    svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=T0)
    return number


def _review(shop: Shop, number: str, now: datetime) -> None:
    with shop.uow:
        shop.order(number).add_review(5, "good", now)
        shop.uow.commit()


Action = Callable[[Shop, str, datetime], object]

#: action -> (what the error must name, the action, statuses where it is allowed)
ACTIONS: dict[str, tuple[str, Action, frozenset[OrderStatus]]] = {
    "adjust_price": ("adjust the price of", lambda sh, n, now: svc.adjust_price(
        sh.uow, n, goods_delta=-100, now=now, by="merchant", reason="discount"),
        frozenset({S.PENDING_PAYMENT})),
    "close_unpaid": ("close", lambda sh, n, now: svc.close_unpaid(
        sh.uow, n, reason=CloseReason.BUYER_CANCEL, now=now), frozenset({S.PENDING_PAYMENT})),
    "merchant_cancel": ("cancel", lambda sh, n, now: svc.merchant_cancel(
        sh.uow, sh.numbers, n, refund=True, now=now), frozenset({S.PAID})),
    "request_cancellation": ("ask to cancel", lambda sh, n, now: svc.request_cancellation(
        sh.uow, n, reason="changed my mind", now=now), frozenset({S.PAID})),
    "reject_cancellation": ("reject the cancellation of",
                            lambda sh, n, now: svc.reject_cancellation(
                                sh.uow, n, reason="already packed", now=now),
                            frozenset({S.PAID})),
    "agree_cancellation": ("agree to cancel", lambda sh, n, now: svc.agree_cancellation(
        sh.uow, sh.numbers, n, refund=True, now=now), frozenset({S.PAID})),
    "ship": ("ship", lambda sh, n, now: sh.ship(n, now=now), frozenset({S.PAID})),
    "mark_signed": ("mark as signed", lambda sh, n, now: svc.mark_signed(sh.uow, n, now=now),
                    frozenset({S.SHIPPED, S.COMPLETED})),
    "confirm_receipt": ("confirm receipt of", lambda sh, n, now: sh.confirm(n, now=now),
                        frozenset({S.SHIPPED})),
    "review": ("review", _review, frozenset({S.COMPLETED})),
    "refund_only": ("apply for a refund on", lambda sh, n, now: sh.apply(
        n, AfterSaleKind.REFUND_ONLY, {"tea": 1}, 100, now=now),
        frozenset({S.PAID, S.SHIPPED, S.COMPLETED})),
    "return_and_refund": ("apply for return_and_refund on", lambda sh, n, now: sh.apply(
        n, AfterSaleKind.RETURN_AND_REFUND, {"tea": 1}, 100, now=now),
        frozenset({S.COMPLETED})),
    "exchange": ("apply for exchange on", lambda sh, n, now: sh.apply(
        n, AfterSaleKind.EXCHANGE, {"tea": 1}, 0, now=now), frozenset({S.COMPLETED})),
}

REFUSED = [
    pytest.param(action, status, id=f"{action}-{status.value}")
    for action, (_, _, allowed) in ACTIONS.items()
    for status in OrderStatus
    if status not in allowed
]


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_every_refused_transition_names_the_action_and_the_status(
    action: str, status: OrderStatus
) -> None:
    # RULES: ORD-1, ORD-2, ORD-3, ORD-4, ORD-5, ORD-8, AS-1
    shop = Shop()
    number = order_in(shop, status)
    before = snapshot(shop.uow)
    events = len(shop.publisher.events)
    words, run, _ = ACTIONS[action]
    with pytest.raises(InvalidTransition) as caught:
        run(shop, number, LATER)
    assert_refused_transition(caught.value, words, status, number)
    assert shop.order(number).status is status
    assert snapshot(shop.uow) == before
    assert len(shop.publisher.events) == events


@pytest.mark.parametrize("status", [S.PAID, S.SHIPPED, S.COMPLETED])
def test_a_second_payment_of_a_paid_order_is_recorded_and_refunded(status: OrderStatus) -> None:
    # RULES: ORD-2, AS-5 — money that arrives is never lost: a payment the order does
    # not need is recorded and refunded in full, and the order does not change status
    shop = Shop()
    number = order_in(shop, status)
    paid_before = shop.order(number).paid_fen
    outcome = svc.pay_order(
        shop.uow, shop.numbers, number, [PaymentPart(PaymentMethod.WECHAT, 1234)],
        transaction_id="tx-again", now=LATER, publisher=shop.publisher)
    assert outcome is svc.PaymentOutcome.REFUNDED_SURPLUS
    order = shop.order(number)
    assert order.status is status
    assert order.paid_fen == paid_before
    (surplus,) = [r for r in order.refunds if r.cause == "surplus_payment"]
    assert surplus.fen == 1234
    assert surplus.transaction_id == "tx-again"
    (notice,) = shop.events(ev.SurplusPaymentReceived)
    assert notice.order_status == status.value


@pytest.mark.parametrize("status", [s for s in OrderStatus
                                    if s not in (S.PENDING_PAYMENT, S.DEPOSIT_PAID)])
def test_the_aggregate_refuses_payment_unless_pending(status: OrderStatus) -> None:
    # RULES: ORD-1, ORD-2
    shop = Shop()
    order = shop.order(order_in(shop, status))
    with pytest.raises(InvalidTransition) as caught:
        order.pay([PaymentPart(PaymentMethod.WECHAT, 100)], transaction_id="x", now=LATER)
    assert_refused_transition(caught.value, "pay", status, order.number)


def test_allowed_path_walks_every_forward_edge_and_records_events() -> None:
    # RULES: ORD-1, ORD-2, ORD-4, ORD-5
    shop = Shop()
    number = shop.place([("tea", 1)])
    assert shop.order(number).status is S.PENDING_PAYMENT
    shop.pay(number)
    assert shop.order(number).status is S.PAID
    shop.ship(number)
    assert shop.order(number).status is S.SHIPPED
    shop.confirm(number, now=LATER)
    order = shop.order(number)
    assert order.status is S.COMPLETED
    assert order.completed_at == LATER
    kinds = [type(e) for e in shop.events()]
    assert kinds == [ev.OrderPlaced, ev.OrderPaid, ev.OrderShipped, ev.OrderCompleted]


# ====================================================================== ORD-2
def test_buyer_payment_is_recorded_with_its_transaction() -> None:
    # RULES: ORD-2
    shop = Shop()
    number = shop.place([("tea", 1)])
    due = shop.order(number).payable_fen
    assert shop.pay(number, tx="wx-1", now=LATER) is svc.PaymentOutcome.PAID
    order = shop.order(number)
    assert [p.transaction_id for p in order.payments] == ["wx-1"]
    assert order.paid_fen == due and order.paid_at == LATER
    assert not order.payments[0].confirmed_by_merchant
    paid = shop.events(ev.OrderPaid)
    assert [(e.transaction_id, e.fen, e.confirmed_by_merchant) for e in paid] == [
        ("wx-1", due, False)]


def test_merchant_confirmation_in_the_back_office_records_the_payment() -> None:
    # RULES: ORD-2
    shop = Shop()
    number = shop.place([("tea", 1)])
    due = shop.order(number).payable_fen
    outcome = shop.pay(number, [(PaymentMethod.MANUAL, due)], tx="bank-77", merchant=True)
    assert outcome is svc.PaymentOutcome.PAID
    order = shop.order(number)
    assert order.status is S.PAID
    assert order.payments[0].confirmed_by_merchant
    assert shop.events(ev.OrderPaid)[0].confirmed_by_merchant


@pytest.mark.parametrize("delta", [-1, 1, -500])
def test_a_payment_of_another_amount_is_refused_and_changes_nothing(delta: int) -> None:
    # RULES: ORD-2
    shop = Shop()
    number = shop.place([("tea", 1)])
    due = shop.order(number).payable_fen
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed) as caught:
        shop.pay(number, [(PaymentMethod.WECHAT, due + delta)])
    assert caught.value.rule == "ORD-2"
    assert snapshot(shop.uow) == before


def test_a_payment_needs_a_transaction_id() -> None:
    # RULES: ORD-2
    shop = Shop()
    number = shop.place([("tea", 1)])
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput):
        svc.pay_order(shop.uow, shop.numbers, number,
                      [PaymentPart(PaymentMethod.WECHAT, shop.order(number).payable_fen)],
                      transaction_id="", now=T0)
    assert snapshot(shop.uow) == before


@pytest.mark.parametrize("fen", [0, -5])
def test_payment_parts_must_be_positive(fen: int) -> None:
    # RULES: ORD-2
    with pytest.raises(InvalidInput):
        PaymentPart(PaymentMethod.WECHAT, fen)


def test_a_duplicate_payment_notification_is_acknowledged_with_no_second_effect() -> None:
    # RULES: ORD-2, ORD-9
    shop = Shop()
    number = shop.place([("tea", 1), ("cup", 1)])
    assert shop.pay(number, tx="wx-1") is svc.PaymentOutcome.PAID
    before = snapshot(shop.uow)
    events = len(shop.publisher.events)
    assert shop.pay(number, tx="wx-1", now=LATER) is svc.PaymentOutcome.DUPLICATE
    assert snapshot(shop.uow) == before
    assert len(shop.publisher.events) == events
    assert shop.level("cup").sold == 1 and shop.level("tea").sold == 1


# ====================================================================== ORD-3
def test_price_adjustment_is_spread_over_lines_and_recorded() -> None:
    # RULES: ORD-3, PIPE-3
    shop = Shop()
    number = shop.place([("tea", 3), ("pot", 1)], shipping="8.00")  # 150.00 + 88.00 + 8.00
    new_due = svc.adjust_price(shop.uow, number, goods_delta=-1001, shipping_delta=-300,
                               now=LATER, by="clerk-1", reason="loyal buyer",
                               publisher=shop.publisher)
    order = shop.order(number)
    assert new_due == 24600 - 1301 == order.payable_fen
    assert sum(order.due.values()) == 23800 - 1001
    assert order.shipping_due == 500
    # 1001 over 15000 : 8800 -> 630.67 : 370.33, largest remainder gives 631 / 370
    assert order.due == {"tea": 15000 - 631, "pot": 8800 - 370}
    (adjustment,) = order.adjustments
    assert (adjustment.goods_delta, adjustment.shipping_delta) == (-1001, -300)
    assert (adjustment.before_fen, adjustment.after_fen) == (24600, 23299)
    assert (adjustment.by, adjustment.reason, adjustment.at) == ("clerk-1", "loyal buyer", LATER)
    (event,) = shop.events(ev.OrderPriceAdjusted)
    assert (event.before_fen, event.after_fen) == (24600, 23299)
    check_order_amounts(order)


def test_price_can_be_raised_too() -> None:
    # RULES: ORD-3
    shop = Shop()
    number = shop.place([("tea", 1), ("pot", 1)], shipping="0")
    svc.adjust_price(shop.uow, number, goods_delta=300, shipping_delta=1000, now=LATER,
                     by="clerk", reason="remote area")
    order = shop.order(number)
    assert order.payable_fen == 5000 + 8800 + 1300
    assert order.shipping_due == 1000
    check_order_amounts(order)


def test_payment_of_the_old_amount_after_an_adjustment_is_refused() -> None:
    # RULES: ORD-3, ORD-2
    shop = Shop()
    number = shop.place([("tea", 1)])
    old = shop.order(number).payable_fen
    svc.adjust_price(shop.uow, number, goods_delta=-250, now=LATER, by="clerk", reason="x")
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed) as caught:
        shop.pay(number, [(PaymentMethod.WECHAT, old)], now=LATER)
    assert caught.value.rule == "ORD-3"
    assert snapshot(shop.uow) == before
    assert shop.pay(number, [(PaymentMethod.WECHAT, old - 250)], now=LATER) is (
        svc.PaymentOutcome.PAID)


def test_an_adjustment_needs_a_reason() -> None:
    # RULES: ORD-3
    shop = Shop()
    number = shop.place([("tea", 1)])
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput):
        svc.adjust_price(shop.uow, number, goods_delta=-1, now=LATER, by="clerk", reason="  ")
    assert snapshot(shop.uow) == before


def test_adjusting_to_zero_is_allowed_and_the_merchant_can_confirm_it() -> None:
    # RULES: ORD-3, ORD-2 (the total stays >= 0: zero is a valid total)
    shop = Shop()
    number = shop.place([("tea", 1)], shipping="5.00")
    svc.adjust_price(shop.uow, number, goods_delta=-5000, shipping_delta=-500, now=LATER,
                     by="clerk", reason="gift")
    assert shop.order(number).payable_fen == 0
    outcome = shop.pay(number, [], tx="free-1", merchant=True, now=LATER)
    assert outcome is svc.PaymentOutcome.PAID
    assert shop.order(number).status is S.PAID
    assert shop.level("tea").sold == 1


def _order_with(dues: list[int], shipping: int) -> Order:
    lines = [OrderLine(f"l{i}", f"s{i}", f"p{i}", 1 + i % 3, (due + 7, due), "regular")
             for i, due in enumerate(dues)]
    return Order("O1", "c1", lines, shipping_fen=shipping, placed_at=T0)


@settings(max_examples=150, deadline=None)
@given(dues=st.lists(st.integers(0, 50_000), min_size=1, max_size=5),
       shipping=st.integers(0, 2_000), data=st.data())
def test_any_adjustment_is_allocated_to_the_fen_and_never_negative(
    dues: list[int], shipping: int, data: st.DataObject
) -> None:
    # RULES: ORD-3, PIPE-3
    order = _order_with(dues, shipping)
    goods = sum(dues)
    goods_delta = data.draw(st.integers(-goods - 500, 20_000), label="goods_delta")
    shipping_delta = data.draw(st.integers(-shipping - 500, 2_000), label="shipping_delta")
    before = dict(order.due)
    try:
        order.adjust_price(goods_delta=goods_delta, shipping_delta=shipping_delta, now=T0,
                           by="m", reason="r")
    except NotAllowed as refused:
        assert refused.rule == "ORD-3"
        assert goods + goods_delta < 0 or shipping + shipping_delta < 0
        assert order.due == before and order.shipping_due == shipping
        assert not order.adjustments
        return
    assert goods + goods_delta >= 0 and shipping + shipping_delta >= 0
    assert all(fen >= 0 for fen in order.due.values())
    assert sum(order.due.values()) == goods + goods_delta
    assert order.shipping_due == shipping + shipping_delta
    assert order.payable_fen == goods + goods_delta + shipping + shipping_delta >= 0
    if goods and goods_delta:
        for line_id, was in before.items():  # each line's share is its proportion, to a fen
            exact = abs(goods_delta) * was / goods
            assert abs(abs(order.due[line_id] - was) - exact) < 1


# ====================================================================== ORD-6
def test_unpaid_orders_close_after_the_timeout_only() -> None:
    # RULES: ORD-6
    shop = Shop()
    number = shop.place([("tea", 2), ("cup", 1)], points=5)
    assert shop.points() == START_POINTS - 5
    assert svc.close_due_orders(shop.uow, T0 + timedelta(minutes=29, seconds=59)) == []
    assert shop.order(number).status is S.PENDING_PAYMENT
    assert shop.level("tea").reserved == 2
    closed = svc.close_due_orders(shop.uow, T0 + timedelta(minutes=30), shop.publisher)
    assert closed == [number]
    order = shop.order(number)
    assert (order.status, order.close_reason) == (S.CLOSED, CloseReason.PAYMENT_TIMEOUT)
    assert shop.level("tea").reserved == 0 and shop.level("tea").available == 10
    assert shop.points(now=T0 + timedelta(minutes=30)) == START_POINTS
    assert [e.reason for e in shop.events(ev.OrderClosed)] == ["payment_timeout"]


def test_the_payment_timeout_is_a_policy() -> None:
    # RULES: ORD-6, FS-3
    shop = Shop()
    slow = shop.place([("tea", 1)], policy=OrderPolicy(payment_timeout=timedelta(hours=24)))
    fast = shop.place([("tea", 1)])
    assert svc.close_due_orders(shop.uow, T0 + timedelta(hours=2)) == [fast]
    assert shop.order(slow).status is S.PENDING_PAYMENT
    assert svc.close_due_orders(shop.uow, T0 + timedelta(hours=24)) == [slow]


def test_closing_for_timeout_before_it_runs_out_is_refused() -> None:
    # RULES: ORD-6
    shop = Shop()
    number = shop.place([("tea", 1)])
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed):
        svc.close_unpaid(shop.uow, number, reason=CloseReason.PAYMENT_TIMEOUT,
                         now=T0 + timedelta(minutes=5))
    assert snapshot(shop.uow) == before


def test_a_paid_reason_cannot_close_an_unpaid_order() -> None:
    # RULES: ORD-1
    shop = Shop()
    number = shop.place([("tea", 1)])
    with pytest.raises(InvalidInput):
        svc.close_unpaid(shop.uow, number, reason=CloseReason.MERCHANT_CANCEL, now=T0)


def test_a_late_payment_is_recorded_and_refunded_in_full_and_the_order_stays_closed() -> None:
    # RULES: ORD-6, ORD-2, AS-5
    shop = Shop()
    number = shop.place([("tea", 2), ("cup", 1)], points=5)
    due = shop.order(number).payable_fen
    svc.close_due_orders(shop.uow, T0 + timedelta(minutes=31))
    late = T0 + timedelta(minutes=40)
    outcome = shop.pay(number, [(PaymentMethod.WECHAT, 5000), (PaymentMethod.BALANCE, due - 5000)],
                       tx="wx-late", now=late)
    assert outcome is svc.PaymentOutcome.REFUNDED_LATE
    order = shop.order(number)
    assert order.status is S.CLOSED and order.close_reason is CloseReason.PAYMENT_TIMEOUT
    assert [p.transaction_id for p in order.payments] == ["wx-late"]  # on the books
    (refund,) = order.refunds
    assert refund.fen == due
    assert {leg.method: leg.fen for leg in refund.legs} == {
        PaymentMethod.WECHAT: 5000, PaymentMethod.BALANCE: due - 5000}
    assert refund.leg(PaymentMethod.BALANCE).status is RefundStatus.SUCCEEDED
    assert refund.leg(PaymentMethod.WECHAT).status is RefundStatus.PENDING
    (notice,) = shop.events(ev.SurplusPaymentReceived)
    assert (notice.transaction_id, notice.fen, notice.refund_number) == (
        "wx-late", due, refund.number)
    requested = shop.events(ev.RefundRequested)
    assert [(e.method, e.fen) for e in requested] == [("wechat", 5000)]
    # not reopened: nothing reserved, taken or spent again
    assert shop.level("tea") .reserved == 0 and shop.level("tea").sold == 0
    assert shop.level("cup").sold == 0
    assert shop.points(now=late) == START_POINTS
    # and the same notification again is a duplicate
    before = snapshot(shop.uow)
    assert shop.pay(number, [(PaymentMethod.WECHAT, 5000), (PaymentMethod.BALANCE, due - 5000)],
                    tx="wx-late", now=late) is svc.PaymentOutcome.DUPLICATE
    assert snapshot(shop.uow) == before


def test_a_late_payment_after_a_buyer_cancel_is_refunded_too() -> None:
    # RULES: ORD-6, ORD-1
    shop = Shop()
    number = shop.place([("tea", 1)])
    svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=T0)
    assert shop.pay(number, now=LATER) is svc.PaymentOutcome.REFUNDED_LATE
    assert shop.order(number).status is S.CLOSED
    assert shop.order(number).refunds[0].cause == "surplus_payment"


def test_a_second_late_payment_is_also_recorded_and_refunded() -> None:
    # RULES: ORD-6, ORD-2 (a payment is recorded when the buyer pays; money is never kept)
    shop = Shop()
    number = shop.place([("tea", 1)])
    due = shop.order(number).payable_fen
    svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=T0)
    assert shop.pay(number, tx="wx-1", now=LATER) is svc.PaymentOutcome.REFUNDED_LATE
    outcome = shop.pay(number, [(PaymentMethod.ALIPAY, due)], tx="ali-2", now=LATER)
    assert outcome is svc.PaymentOutcome.REFUNDED_LATE
    order = shop.order(number)
    assert {p.transaction_id for p in order.payments} == {"wx-1", "ali-2"}
    assert sorted(r.fen for r in order.refunds) == [due, due]


# ====================================================================== ORD-9
def test_order_time_stock_is_reserved_at_placing_and_sold_at_payment() -> None:
    # RULES: ORD-9
    shop = Shop()
    number = shop.place([("tea", 3)])
    assert shop.level("tea") .available == 7 and shop.level("tea").reserved == 3
    assert shop.uow.inventory.reservation(number) == (("tea", 3),)
    shop.pay(number)
    level = shop.level("tea")
    assert (level.available, level.reserved, level.sold) == (7, 0, 3)
    check_stock(shop.uow)


def test_payment_time_stock_is_untouched_until_payment() -> None:
    # RULES: ORD-9
    shop = Shop()
    number = shop.place([("cup", 2)])
    assert shop.level("cup").available == 3 and shop.level("cup").reserved == 0
    assert shop.uow.inventory.reservation(number) is None
    shop.pay(number)
    level = shop.level("cup")
    assert (level.available, level.reserved, level.sold) == (1, 0, 2)


def test_placing_without_order_time_stock_is_refused_and_nothing_is_half_done() -> None:
    # RULES: ORD-9, PTS-4, CPN-4
    shop = Shop()
    before = snapshot(shop.uow)
    with pytest.raises(LimitReached):
        shop.place([("cup", 1), ("pot", 6)], points=5, coupon_id="cp-1")
    assert snapshot(shop.uow) == before
    assert len(shop.uow.orders) == 0
    assert shop.points() == START_POINTS
    assert shop.uow.coupons.used == {}


def test_paying_for_stock_that_is_gone_is_caught_refunded_and_not_oversold() -> None:
    # RULES: ORD-9, AS-5, AS-7
    shop = Shop(stock={"cup": 1})
    first = shop.place([("cup", 1)])
    second = shop.place([("tea", 1), ("cup", 1)], points=4, coupon_id="cp-9")
    assert shop.level("tea").reserved == 1
    due = shop.order(second).payable_fen
    assert shop.pay(first) is svc.PaymentOutcome.PAID
    outcome = shop.pay(second, [(PaymentMethod.WECHAT, 3000), (PaymentMethod.BALANCE,
                                                                due - 3000)], tx="wx-2")
    assert outcome is svc.PaymentOutcome.REFUNDED_OUT_OF_STOCK
    order = shop.order(second)
    assert [p.transaction_id for p in order.payments] == ["wx-2"]  # the payment is recorded
    assert order.paid_fen == due
    assert (order.status, order.close_reason) == (S.CLOSED, CloseReason.OUT_OF_STOCK)
    (refund,) = order.refunds
    assert refund.fen == due == order.refunded_fen  # in full, shipping included
    assert refund.shipping_fen == order.shipping_due
    assert dict(refund.lines) == order.due
    assert {leg.method: leg.fen for leg in refund.legs} == {
        PaymentMethod.WECHAT: 3000, PaymentMethod.BALANCE: due - 3000}
    cup = shop.level("cup")
    assert (cup.available, cup.sold) == (0, 1)  # not oversold
    tea = shop.level("tea")
    assert (tea.available, tea.reserved, tea.sold) == (10, 0, 0)  # its reservation released
    assert shop.points() == START_POINTS  # spent points returned (AS-7)
    assert shop.uow.coupons.used == {"cp-9": second}  # the coupon is not (CPN-5)
    check_order_amounts(order)
    check_stock(shop.uow)


def test_oversell_is_caught_even_for_a_merchant_confirmed_payment() -> None:
    # RULES: ORD-9, ORD-2
    shop = Shop(stock={"cup": 0})
    number = shop.place([("cup", 1)])
    due = shop.order(number).payable_fen
    outcome = shop.pay(number, [(PaymentMethod.MANUAL, due)], merchant=True)
    assert outcome is svc.PaymentOutcome.REFUNDED_OUT_OF_STOCK
    (refund,) = shop.order(number).refunds
    assert [(leg.method, leg.offline, leg.status) for leg in refund.legs] == [
        (PaymentMethod.MANUAL, True, RefundStatus.SUCCEEDED)]
    assert shop.level("cup").sold == 0


# ====================================================================== ORD-10
def test_the_in_memory_repository_searches_by_status_and_number() -> None:
    # RULES: ORD-10
    shop = Shop()
    pending = shop.place([("tea", 1)])
    paid = shop.paid_order([("tea", 1)])
    shipped = shop.shipped_order([("pot", 1)])
    now = T0 + timedelta(hours=2)

    def found(query: OrderQuery) -> list[str]:
        return sorted(s.number for s in shop.uow.orders.search(query, now))

    assert found(OrderQuery()) == sorted([pending, paid, shipped])
    assert found(OrderQuery(statuses=frozenset({"paid"}))) == [paid]
    assert found(OrderQuery(statuses=frozenset({"paid", "shipped"}))) == sorted([paid, shipped])
    assert found(OrderQuery(quick=QuickFilter.UNPAID)) == [pending]
    assert found(OrderQuery(number=shipped)) == [shipped]
    assert found(OrderQuery(number=paid, statuses=frozenset({"shipped"}))) == []
    svc.close_unpaid(shop.uow, pending, reason=CloseReason.MERCHANT, now=T0)
    assert found(OrderQuery(quick=QuickFilter.CLOSED)) == [pending]


# ====================================================================== ACT-5
def test_first_order_is_recorded_until_the_customer_has_a_paid_order() -> None:
    # RULES: ACT-5
    shop = Shop(customers=("c1", "c2"))
    abandoned = shop.place([("tea", 1)])
    svc.close_unpaid(shop.uow, abandoned, reason=CloseReason.BUYER_CANCEL, now=T0)
    first = shop.place([("tea", 1)])
    assert shop.order(abandoned).first_order and shop.order(first).first_order
    assert svc.is_first_order(shop.uow, "c1")
    shop.pay(first)
    assert not svc.is_first_order(shop.uow, "c1")
    second = shop.place([("tea", 1)], now=LATER)
    assert not shop.order(second).first_order
    other = shop.place([("tea", 1)], customer="c2", now=LATER)
    assert shop.order(other).first_order


@pytest.mark.parametrize(("goods", "shipping"), [(0, 0.5), (-100.5, 0), (True, 0), (0, "1")])
def test_an_adjustment_is_whole_fen_or_refused(goods: object, shipping: object) -> None:
    # RULES: ORD-3, PIPE-3 (amounts are exact to the fen: a fraction of a fen, a bool or
    # text is not an amount)
    shop = Shop()
    number = shop.place([("tea", 1), ("pot", 1)])
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput):
        svc.adjust_price(shop.uow, number, goods_delta=goods,  # type: ignore[arg-type]
                         shipping_delta=shipping,  # type: ignore[arg-type]
                         now=LATER, by="clerk", reason="typo")
    assert snapshot(shop.uow) == before
    check_order_amounts(shop.order(number))
