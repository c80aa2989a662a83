"""Refunds: back the way the money came (AS-5), failures and retries (AS-6), and what
happens to points (AS-7, PTS-4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from orders_helpers import (
    START_POINTS,
    T0,
    Shop,
    assert_refused_transition,
    check_order_amounts,
    snapshot,
)

from mallcore.customers.points import EntryKind
from mallcore.errors import InvalidInput, InvalidTransition, LimitReached, NotFound
from mallcore.orders import events as ev
from mallcore.orders.aftersales import AfterSaleKind, AfterSaleStatus
from mallcore.orders.payments import PaymentMethod, split_by_method
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.services import orders as svc

LATER = T0 + timedelta(hours=1)
W, B = PaymentMethod.WECHAT, PaymentMethod.BALANCE
AL, M = PaymentMethod.ALIPAY, PaymentMethod.MANUAL


def _mixed(shop: Shop, parts: list[tuple[PaymentMethod, int | None]],
           items: tuple[tuple[str, int], ...] = (("tea", 2), ("pot", 1))) -> str:
    """A completed order paid by several means; a ``None`` part takes the rest."""
    number = shop.place(list(items))
    due = shop.order(number).payable_fen
    given = sum(fen for _, fen in parts if fen is not None)
    shop.pay(number, [(m, due - given if fen is None else fen) for m, fen in parts])
    shop.ship(number)
    shop.confirm(number)
    return number


# ====================================================================== AS-5
def test_a_refund_goes_back_to_each_means_pro_rata() -> None:
    # RULES: AS-5
    shop = Shop()
    number = _mixed(shop, [(W, 10000), (B, None)])  # 100.00 + 88.00 + 5.00 = 193.00
    assert shop.order(number).paid_fen == 19300
    made = shop.refund_only(number, {"tea": 1}, 5000, settle=False)
    refund = shop.order(number).refund(made)
    # 5000 × 10000/19300 = 2590.67 → 2591 ; 5000 × 9300/19300 = 2409.33 → 2409
    assert {leg.method: leg.fen for leg in refund.legs} == {W: 2591, B: 2409}
    assert refund.leg(B).status is RefundStatus.SUCCEEDED  # mall balance: at once
    assert refund.leg(W).status is RefundStatus.PENDING  # waits for WeChat
    assert [(e.method, e.fen) for e in shop.events(ev.RefundRequested)] == [("wechat", 2591)]
    assert refund.status is RefundStatus.PENDING
    check_order_amounts(shop.order(number))


def _refunded_by_method(shop: Shop, number: str) -> dict[PaymentMethod, int]:
    out: dict[PaymentMethod, int] = {}
    for refund in shop.order(number).refunds:
        for leg in refund.legs:
            out[leg.method] = out.get(leg.method, 0) + leg.fen
    return out


def test_refunding_everything_returns_exactly_what_each_means_paid() -> None:
    # RULES: AS-5, AS-2, AS-7
    shop = Shop()
    number = shop.place([("tea", 2), ("pot", 1)], shipping="0")
    paid = {W: 7777, AL: 3333, B: 18800 - 7777 - 3333}
    shop.pay(number, list(paid.items()))
    shop.ship(number)
    shop.confirm(number)
    for items in ({"tea": 1}, {"pot": 1}, {"tea": 1}):
        shop.refund_only(number, items)
        refunded = _refunded_by_method(shop, number)
        assert all(refunded[m] <= paid[m] for m in refunded)
    assert _refunded_by_method(shop, number) == paid
    order = shop.order(number)
    assert order.status is OrderStatus.CLOSED and order.refunded_fen == order.paid_fen
    check_order_amounts(order)


def test_a_cancel_after_a_partial_refund_returns_the_rest_of_each_means() -> None:
    # RULES: AS-5, ORD-8
    shop = Shop()
    number = shop.place([("tea", 2), ("pot", 1)])  # 193.00
    paid = {W: 10001, B: 19300 - 10001}
    shop.pay(number, list(paid.items()))
    shop.refund_only(number, {"pot": 1}, 3333)
    svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER)
    assert _refunded_by_method(shop, number) == paid
    check_order_amounts(shop.order(number))


def test_split_by_method_is_exact_and_pro_rata() -> None:
    # RULES: AS-5, PIPE-3
    thirds = split_by_method(100, {W: 1, B: 1, AL: 1})
    assert sum(thirds.values()) == 100 and sorted(thirds.values()) == [33, 33, 34]
    assert split_by_method(5000, {W: 10000, B: 9300}) == {W: 2591, B: 2409}
    assert split_by_method(9300, {W: 0, B: 9300}) == {B: 9300}


def test_a_manual_payment_is_refunded_offline() -> None:
    # RULES: AS-5
    shop = Shop()
    number = shop.place([("tea", 1)])
    due = shop.order(number).payable_fen
    shop.pay(number, [(M, due)], merchant=True)
    made = svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER,
                               publisher=shop.publisher)
    refund = shop.order(number).refund(made)
    assert [(leg.method, leg.fen, leg.offline, leg.status) for leg in refund.legs] == [
        (M, due, True, RefundStatus.SUCCEEDED)]
    assert shop.events(ev.RefundRequested) == []
    (done,) = shop.events(ev.RefundSucceeded)
    assert (done.method, done.fen, done.offline) == ("manual", due, True)


def test_mixed_manual_and_wechat_refund_each_their_way() -> None:
    # RULES: AS-5
    shop = Shop()
    number = _mixed(shop, [(M, 9300), (W, None)])
    made = shop.refund_only(number, {"pot": 1}, 8800, settle=False)
    refund = shop.order(number).refund(made)
    manual, wechat = refund.leg(M), refund.leg(W)
    assert manual.fen + wechat.fen == 8800
    assert (manual.offline, manual.status) == (True, RefundStatus.SUCCEEDED)
    assert (wechat.offline, wechat.status) == (False, RefundStatus.PENDING)


def test_a_balance_only_refund_settles_the_after_sale_at_once() -> None:
    # RULES: AS-5, AS-3
    shop = Shop()
    number = _mixed(shop, [(B, None)])
    case = shop.apply(number, AfterSaleKind.REFUND_ONLY, {"tea": 1}, 3000)
    made = svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER)
    order = shop.order(number)
    assert order.refund(made).status is RefundStatus.SUCCEEDED
    assert order.after_sale(case).status is AfterSaleStatus.REFUNDED


# ====================================================================== AS-6
def test_a_failed_refund_stays_pending_with_its_reason_and_is_retried() -> None:
    # RULES: AS-6, PAY-2
    shop = Shop()
    number = _mixed(shop, [(W, 10000), (B, None)])
    case = shop.apply(number, AfterSaleKind.REFUND_ONLY, {"tea": 1}, 5000)
    made = svc.refund_after_sale(shop.uow, shop.numbers, number, case, now=LATER,
                                 publisher=shop.publisher)
    status = svc.refund_result(shop.uow, number, made, W, ok=False, reason="NOTENOUGH",
                               now=LATER, publisher=shop.publisher)
    assert status is RefundStatus.FAILED
    order = shop.order(number)
    leg = order.refund(made).leg(W)
    assert (leg.status, leg.reason, leg.attempts) == (RefundStatus.FAILED, "NOTENOUGH", 1)
    assert order.after_sale(case).status is AfterSaleStatus.REFUNDING  # not lost, not done
    (failed,) = shop.events(ev.RefundFailed)
    assert (failed.refund_number, failed.method, failed.reason) == (made, "wechat", "NOTENOUGH")
    queue = svc.pending_refunds(shop.uow)
    assert queue[0][0] == number and queue[0][1].number == made
    assert queue[0][1].status is RefundStatus.FAILED
    # the retry asks the gateway again, for the failed leg only
    requested = len(shop.events(ev.RefundRequested))
    svc.retry_refund(shop.uow, number, made, now=LATER, publisher=shop.publisher)
    leg = shop.order(number).refund(made).leg(W)
    assert (leg.status, leg.attempts) == (RefundStatus.PENDING, 2)
    again = shop.events(ev.RefundRequested)[requested:]
    assert [(e.refund_number, e.method, e.fen) for e in again] == [(made, "wechat", leg.fen)]
    assert shop.order(number).refund(made).leg(B).attempts == 1
    status = svc.refund_result(shop.uow, number, made, W, ok=True, now=LATER)
    assert status is RefundStatus.SUCCEEDED
    order = shop.order(number)
    assert order.refund(made).leg(W).reason is None
    assert order.after_sale(case).status is AfterSaleStatus.REFUNDED
    assert svc.pending_refunds(shop.uow) == []


def test_a_failure_needs_the_gateway_reason() -> None:
    # RULES: AS-6
    shop = Shop()
    number = shop.completed_order()
    made = shop.refund_only(number, {"tea": 1}, 100, settle=False)
    before = snapshot(shop.uow)
    with pytest.raises(InvalidInput):
        svc.refund_result(shop.uow, number, made, W, ok=False, now=LATER)
    assert snapshot(shop.uow) == before


def test_only_a_failed_refund_can_be_retried() -> None:
    # RULES: AS-6
    shop = Shop()
    number = shop.completed_order()
    made = shop.refund_only(number, {"tea": 1}, 100, settle=False)
    with pytest.raises(InvalidTransition) as caught:
        svc.retry_refund(shop.uow, number, made, now=LATER)
    assert caught.value.status == "pending" and made in caught.value.action
    shop.settle(number, made)
    with pytest.raises(InvalidTransition) as caught:
        svc.retry_refund(shop.uow, number, made, now=LATER)
    assert caught.value.status == "succeeded"


def test_repeated_gateway_answers_change_nothing() -> None:
    # RULES: AS-6
    shop = Shop()
    number = shop.completed_order()
    made = shop.refund_only(number, {"tea": 1}, 100, settle=False)
    svc.refund_result(shop.uow, number, made, W, ok=False, reason="CERT_EXPIRED", now=LATER)
    before = snapshot(shop.uow)
    svc.refund_result(shop.uow, number, made, W, ok=False, reason="CERT_EXPIRED", now=LATER)
    assert snapshot(shop.uow) == before
    svc.retry_refund(shop.uow, number, made, now=LATER)
    svc.refund_result(shop.uow, number, made, W, ok=True, now=LATER)
    before = snapshot(shop.uow)
    assert svc.refund_result(shop.uow, number, made, W, ok=True, now=LATER) is (
        RefundStatus.SUCCEEDED)
    assert svc.refund_result(shop.uow, number, made, W, ok=False, reason="LATE", now=LATER) is (
        RefundStatus.SUCCEEDED)  # a stale failure after success changes nothing
    assert snapshot(shop.uow) == before


def test_an_answer_for_a_means_the_refund_does_not_use_is_refused() -> None:
    # RULES: AS-5, AS-6
    shop = Shop()
    number = shop.completed_order()
    made = shop.refund_only(number, {"tea": 1}, 100, settle=False)
    with pytest.raises(NotFound):
        svc.refund_result(shop.uow, number, made, AL, ok=True, now=LATER)
    with pytest.raises(NotFound):
        svc.refund_result(shop.uow, number, "R999999", W, ok=True, now=LATER)


# ====================================================================== AS-7
def test_a_partial_refund_returns_no_points_and_revokes_none() -> None:
    # RULES: AS-7
    shop = Shop()
    number = shop.completed_order([("tea", 2)], points=10, earned={"tea": 40})
    assert shop.points() == START_POINTS - 10 + 40
    shop.refund_only(number, {"tea": 1}, now=LATER)
    assert shop.order(number).status is OrderStatus.COMPLETED
    assert shop.points(now=LATER) == START_POINTS - 10 + 40


def test_a_full_refund_returns_spent_points_and_revokes_earned_ones() -> None:
    # RULES: AS-7, PTS-4
    shop = Shop()
    number = shop.completed_order([("tea", 2)], points=10, earned={"tea": 40})
    shop.refund_only(number, {"tea": 1}, now=LATER)
    shop.refund_only(number, {"tea": 1}, now=LATER)  # the last unit: fully refunded
    order = shop.order(number)
    assert (order.status, order.close_reason) == (OrderStatus.CLOSED,
                                                   CloseReason.FULLY_REFUNDED)
    assert shop.points(now=LATER) == START_POINTS
    kinds = [(e.kind, e.points) for e in shop.uow.points.get("c1").entries]
    assert kinds[-2:] == [(EntryKind.REFUND, 10), (EntryKind.REVOKE, -40)]
    assert all(e.reason for e in shop.uow.points.get("c1").entries)  # PTS-4: with a reason


def test_a_full_refund_before_completion_returns_spent_points_only() -> None:
    # RULES: AS-7
    shop = Shop()
    number = shop.paid_order([("tea", 1), ("pot", 1)], points=12, earned={"tea": 30})
    shop.refund_only(number, {"tea": 1, "pot": 1}, now=LATER)
    order = shop.order(number)
    assert order.status is OrderStatus.CLOSED
    assert shop.points(now=LATER) == START_POINTS  # nothing was earned yet, nothing revoked


def test_a_full_refund_through_a_return_returns_points() -> None:
    # RULES: AS-7, AS-3
    shop = Shop()
    number = shop.completed_order([("tea", 1)], points=5, earned={"tea": 20})
    _, made = shop.return_flow(number, {"tea": 1}, now=LATER)
    assert shop.order(number).status is OrderStatus.CLOSED
    assert shop.points(now=LATER) == START_POINTS
    shop.settle(number, made, now=LATER)
    assert shop.points(now=LATER) == START_POINTS  # settling gives nothing twice


def test_revoking_earned_points_never_goes_below_zero() -> None:
    # RULES: AS-7, PTS-4
    shop = Shop(points=0)
    number = shop.completed_order([("tea", 1)], earned={"tea": 50})
    assert shop.points() == 50
    spender = shop.place([("pot", 1)], points=50)  # the customer spends them elsewhere
    assert shop.order(spender).points_spent == 50
    assert shop.points() == 0
    shop.refund_only(number, {"tea": 1}, now=LATER)
    assert shop.order(number).status is OrderStatus.CLOSED
    assert shop.points(now=LATER) == 0
    assert all(e.balance_after >= 0 for e in shop.uow.points.get("c1").entries)


def test_points_spent_are_returned_once_only() -> None:
    # RULES: AS-7, PTS-4
    shop = Shop()
    number = shop.paid_order([("tea", 1)], points=9)
    svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=LATER)
    assert shop.points(now=LATER) == START_POINTS
    refunds = [e for e in shop.uow.points.get("c1").entries if e.kind is EntryKind.REFUND]
    assert [e.points for e in refunds] == [9]


def test_refused_transition_helper_checks_both_names() -> None:
    # RULES: ORD-1
    error = InvalidTransition("ship order O1", "closed", rule="ORD-4")
    assert_refused_transition(error, "ship", OrderStatus.CLOSED, "O1")
    with pytest.raises(AssertionError):
        assert_refused_transition(error, "pay", OrderStatus.CLOSED)


def test_a_retried_refund_goes_to_the_payment_it_refunds() -> None:
    # RULES: AS-6, AS-5, ORD-6 (a late payment's refund is retried against the late
    # payment, not against the order's first transaction, which was refunded already)
    shop = Shop()
    number = shop.paid_order([("tea", 1)])  # transaction tx-O000001
    svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=T0)
    assert shop.pay(number, tx="wx-late", now=LATER) is svc.PaymentOutcome.REFUNDED_LATE
    (late,) = [r for r in shop.order(number).refunds if r.cause == "surplus_payment"]
    first = [e for e in shop.events(ev.RefundRequested) if e.refund_number == late.number]
    assert [e.transaction_id for e in first] == ["wx-late"]
    svc.refund_result(shop.uow, number, late.number, W, ok=False, reason="NOTENOUGH",
                      now=LATER)
    svc.retry_refund(shop.uow, number, late.number, now=LATER, publisher=shop.publisher)
    retried = [e for e in shop.events(ev.RefundRequested) if e.refund_number == late.number]
    assert [e.transaction_id for e in retried] == ["wx-late", "wx-late"]


def test_a_staff_refund_of_part_of_a_line_is_capped_like_any_refund() -> None:
    # RULES: AS-2, AS-5, VCH-7 — the refund path the write-off vouchers use
    shop = Shop()
    number = shop.place([("tea", 2)])
    shop.pay(number)
    due = shop.order(number).due["tea"]
    with shop.uow:
        order = shop.order(number)
        refund = order.refund_line("tea", due - 1, refund_number="R-staff", cause="voucher",
                                   now=LATER)
        shop.uow.commit()
    assert refund.fen == due - 1
    assert shop.order(number).status is OrderStatus.PAID
    before = snapshot(shop.uow)
    with shop.uow, pytest.raises(LimitReached):
        shop.order(number).refund_line("tea", 2, refund_number="R-more", cause="voucher",
                                       now=LATER)
    assert snapshot(shop.uow) == before
    with shop.uow:
        shop.order(number).refund_line("tea", 1, refund_number="R-last", cause="voucher",
                                       now=LATER)
        shop.uow.commit()
    assert shop.order(number).refunded_of_line("tea") == due
