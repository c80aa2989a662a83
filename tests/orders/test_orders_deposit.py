"""Deposit pre-sales through the Order (PRE-6) and pre-sale ship dates on its lines (PRE-3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from orders_helpers import BALANCE_ENDS, BALANCE_OPENS, START_POINTS, T0, Shop, snapshot

from mallcore.errors import InvalidTransition, MallcoreError, NotAllowed
from mallcore.orders import events as ev
from mallcore.orders.presale import DepositState, ShipTerms
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.orders.views import summarize
from mallcore.promotions.presale_shipping import ShipAfterPayment, ShipOnDate
from mallcore.services import orders as svc

S = OrderStatus


def refused(shop: Shop, run: object, error: type[MallcoreError], rule: str) -> None:
    """The use case is refused with ``error`` naming ``rule``, and nothing changed."""
    before, events = snapshot(shop.uow), len(shop.publisher.events)
    with pytest.raises(error) as exc:
        run()  # type: ignore[operator]
    assert exc.value.rule == rule, exc.value
    assert snapshot(shop.uow) == before and len(shop.publisher.events) == events


def test_deposit_then_balance_then_shipped_on_the_ship_date() -> None:
    # RULES: PRE-6, PRE-3, ORD-2
    shop = Shop()
    number = shop.place([("cake", 2), ("tea", 1)], shipping="6.00")
    order = shop.order(number)
    assert order.deposit is not None and order.deposit.deposit_fen == 2000  # 10.00 × 2
    assert order.payable_fen == 2 * 8000 + 5000 + 600
    assert order.deposit.deposit_fen + order.balance_fen == order.payable_fen
    assert [ln.ship_terms for ln in order.lines] == [
        ShipTerms("pre-cake", days_after_payment=3), None]
    assert shop.pay_deposit(number) is svc.PaymentOutcome.DEPOSIT_PAID
    order = shop.order(number)
    assert (order.status, order.paid_fen, order.paid_at) == (S.DEPOSIT_PAID, 2000, None)
    assert shop.level("cake").sold == 2 and shop.level("tea").sold == 1  # secured
    (paid,) = shop.events(ev.DepositPaid)
    assert (paid.fen, paid.balance_fen, paid.balance_ends_at) == (2000, 21600 - 2000,
                                                                  BALANCE_ENDS)
    at = BALANCE_OPENS + timedelta(hours=3)
    assert shop.pay_balance(number, now=at) is svc.PaymentOutcome.PAID
    order = shop.order(number)
    assert (order.status, order.paid_fen, order.paid_at) == (S.PAID, 21600, at)
    assert order.deposit is not None and order.deposit.state is DepositState.COMPLETED
    assert order.lines[0].ship_from == at.date() + timedelta(days=3)
    assert order.lines[1].ship_from is None
    assert order.ship_from == summarize(order).ship_from == at.date() + timedelta(days=3)
    assert [e.fen for e in shop.events(ev.OrderPaid)] == [21600 - 2000]
    shop.ship(number, now=at)
    assert shop.order(number).status is S.SHIPPED


def test_a_deposit_paid_order_is_not_shippable_and_takes_no_after_sale() -> None:
    # RULES: PRE-6, ORD-4, AS-1
    shop = Shop()
    number = shop.deposit_order()
    refused(shop, lambda: shop.ship(number), InvalidTransition, "PRE-6")
    refused(shop, lambda: svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True,
                                              now=T0), InvalidTransition, "ORD-8")


@pytest.mark.parametrize(("when", "fen", "why"), [
    (BALANCE_OPENS - timedelta(seconds=1), 14500, "opens at"),
    (BALANCE_ENDS, 14500, "ended at"),
    (BALANCE_OPENS, 14499, "balance due is exactly 145.00"),
])
def test_the_balance_is_payable_only_inside_its_window_and_exactly(when: datetime, fen: int,
                                                                   why: str) -> None:
    # RULES: PRE-6
    shop = Shop()
    number = shop.deposit_order()  # 2 boxes: 160.00 + 5.00 shipping, 20.00 paid
    assert shop.order(number).balance_fen == 14500
    from mallcore.orders.payments import PaymentMethod
    before = snapshot(shop.uow)
    with pytest.raises(NotAllowed, match=why.replace(".", r"\.")) as exc:
        shop.pay(number, [(PaymentMethod.WECHAT, fen)], now=when, tx="bal")
    assert exc.value.rule == "PRE-6" and snapshot(shop.uow) == before


def test_the_deposit_must_be_exact_and_paid_before_the_balance_window_ends() -> None:
    # RULES: PRE-6
    from mallcore.orders.payments import PaymentMethod
    shop = Shop()
    number = shop.place([("cake", 1)])
    refused(shop, lambda: shop.pay(number), NotAllowed, "PRE-6")  # the whole amount
    refused(shop, lambda: shop.pay(number, [(PaymentMethod.WECHAT, 1000)], now=BALANCE_ENDS),
            NotAllowed, "PRE-6")


@pytest.mark.parametrize("forfeit", [True, False])
def test_a_missed_balance_forfeits_or_refunds_the_deposit_and_closes(forfeit: bool) -> None:
    # RULES: PRE-6, AS-5, AS-7 — per the pre-sale's configuration
    shop = Shop(forfeit=forfeit)
    number = shop.deposit_order(points=5)
    spent = START_POINTS - shop.points()
    assert spent == 5
    assert svc.close_due_orders(shop.uow, BALANCE_ENDS - timedelta(seconds=1),
                                numbers=shop.numbers) == []
    assert svc.close_due_orders(shop.uow, BALANCE_ENDS) == []  # no numbers: left alone
    assert svc.close_due_orders(shop.uow, BALANCE_ENDS, numbers=shop.numbers,
                                publisher=shop.publisher) == [number]
    order = shop.order(number)
    assert (order.status, order.close_reason) == (S.CLOSED, CloseReason.BALANCE_MISSED)
    assert order.deposit is not None
    (settled,) = shop.events(ev.DepositSettled)
    if forfeit:
        assert order.deposit.state is DepositState.FORFEITED and order.refunds == []
        assert (settled.outcome, settled.refunded_fen, settled.forfeited_fen) == (
            "forfeited", 0, 2000)
    else:
        (refund,) = order.refunds
        assert (refund.fen, refund.cause, refund.status) == (2000, "balance_missed",
                                                             RefundStatus.PENDING)
        assert sum(fen for _, fen in refund.lines) == 2000
        assert order.deposit.state is DepositState.REFUNDED
        assert (settled.outcome, settled.refunded_fen, settled.forfeited_fen) == (
            "refunded", 2000, 0)
        assert [e.fen for e in shop.events(ev.RefundRequested)] == [2000]
    assert shop.level("cake").sold == 0 and shop.level("cake").available == 10
    assert shop.points(now=BALANCE_ENDS) == START_POINTS  # spent points come back
    assert order.refunded_fen <= order.paid_fen


def test_the_merchant_may_refund_the_deposit_before_the_balance() -> None:
    # RULES: PRE-6, AS-5
    shop = Shop()
    number = shop.deposit_order()
    refused(shop, lambda: svc.refund_deposit(shop.uow, shop.numbers, number, reason=" ",
                                             now=T0), MallcoreError, "PRE-6")
    made = svc.refund_deposit(shop.uow, shop.numbers, number, reason="pre-sale cancelled",
                              now=T0 + timedelta(hours=1))
    order = shop.order(number)
    assert made is not None and order.refund(made).fen == 2000
    assert (order.status, order.close_reason) == (S.CLOSED, CloseReason.DEPOSIT_REFUNDED)
    assert order.deposit is not None and order.deposit.state is DepositState.REFUNDED
    refused(shop, lambda: svc.refund_deposit(shop.uow, shop.numbers, number, reason="again",
                                             now=T0), InvalidTransition, "PRE-6")


def test_closing_an_unpaid_deposit_order_cancels_its_deposit() -> None:
    # RULES: PRE-6, ORD-6
    shop = Shop()
    number = shop.place([("cake", 1)])
    svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=T0)
    deposit = shop.order(number).deposit
    assert deposit is not None and deposit.state is DepositState.CANCELLED
    assert shop.level("cake").reserved == 0


def test_a_price_adjustment_may_not_take_the_goods_below_the_deposit() -> None:
    # RULES: PRE-6, ORD-3
    shop = Shop()
    number = shop.place([("cake", 1)], shipping="0.00")
    adjust = lambda fen: svc.adjust_price(shop.uow, number, goods_delta=fen,  # noqa: E731
                                          now=T0, by="m", reason="r")
    refused(shop, lambda: adjust(-7001), NotAllowed, "PRE-6")
    assert adjust(-7000) == 1000  # down to the deposit is fine: the balance is then 0
    assert shop.order(number).balance_fen == 0


def test_a_surplus_payment_after_the_balance_is_refunded_not_kept() -> None:
    # RULES: PRE-6, ORD-2
    shop = Shop()
    number = shop.deposit_order()
    shop.pay_balance(number)
    from mallcore.orders.payments import PaymentMethod
    outcome = shop.pay(number, [(PaymentMethod.WECHAT, 500)], tx="again")
    assert outcome is svc.PaymentOutcome.REFUNDED_SURPLUS
    order = shop.order(number)
    assert order.paid_fen == order.payable_fen


def test_ship_terms_keep_the_pre3_rule_as_plain_data() -> None:
    # RULES: PRE-3 — X days after payment (in the rule's zone) or a fixed date
    from zoneinfo import ZoneInfo
    paid = T0.replace(hour=23, minute=30)  # 23:30 in UTC+8 is 15:30 UTC
    for rule in (ShipAfterPayment(2), ShipAfterPayment(2, ZoneInfo("Asia/Shanghai")),
                 ShipAfterPayment(2, UTC), ShipOnDate(date(2026, 12, 1)),
                 ShipOnDate(date(2026, 1, 1))):
        terms = ShipTerms.from_rule("p", rule)
        assert terms.ship_date(paid) == rule.ship_date(paid), rule
        assert ShipTerms(**{f: getattr(terms, f) for f in (
            "presale_id", "days_after_payment", "on", "zone", "utc_offset")}) == terms


def test_a_wechat_notice_pays_the_deposit_then_the_balance() -> None:
    # RULES: PRE-6, ORD-2
    from mallcore.errors import AmountMismatch
    from mallcore.payments import PaymentNotice, TradeState
    from mallcore.services.payment_notices import NoticeOutcome, PaymentNotices

    shop = Shop()
    number = shop.place([("cake", 1)])
    notices = PaymentNotices(shop.uow, shop.numbers)

    def notice(tx: str, fen: int) -> PaymentNotice:
        return PaymentNotice(tx, number, tx, TradeState.SUCCESS, fen, fen, "CNY", "wx1", "m1")

    order = shop.order(number)
    assert order.deposit is not None and order.next_payment_fen == order.deposit.deposit_fen
    with pytest.raises(AmountMismatch):  # the whole payable is not what is due first
        notices.payment(notice("tx-all", order.payable_fen), now=T0)
    assert notices.payment(notice("tx-dep", order.deposit.deposit_fen),
                           now=T0) is NoticeOutcome.DEPOSIT_PAID
    order = shop.order(number)
    assert order.status is S.DEPOSIT_PAID
    assert order.next_payment_fen == order.balance_fen
    assert notices.payment(notice("tx-bal", order.balance_fen),
                           now=BALANCE_OPENS + timedelta(hours=1)) is NoticeOutcome.PAID
    assert shop.order(number).status is S.PAID and shop.order(number).next_payment_fen == \
        shop.order(number).payable_fen


def test_every_payment_outcome_has_a_notice_outcome() -> None:
    from mallcore.services.payment_notices import _FROM_PAYMENT

    assert set(_FROM_PAYMENT) == set(svc.PaymentOutcome)
