"""Random sequences of deposit pre-sale orders (PRE-6) through the order services, with
the money and state invariants checked after every step: deposit + balance is the
payable amount, refunds never pass payments, a forfeited deposit is exactly what the
shop keeps, statuses move only along ``status.ALLOWED`` and deposits along
``presale_deposit.ALLOWED``, and every refusal leaves everything as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from orders_helpers import (
    BALANCE_ENDS,
    BALANCE_OPENS,
    T0,
    Shop,
    check_order_amounts,
    check_stock,
    snapshot,
)

from mallcore.errors import MallcoreError
from mallcore.orders.payments import PaymentMethod
from mallcore.orders.presale import DepositState
from mallcore.orders.status import ALLOWED, CloseReason, OrderStatus
from mallcore.promotions.presale_deposit import ALLOWED as DEPOSIT_ALLOWED
from mallcore.services import orders as svc

T = TypeVar("T")
S = OrderStatus
index = st.integers(0, 10_000)


class DepositMachine(RuleBasedStateMachine):
    @initialize(forfeit=st.booleans())
    def open_shop(self, forfeit: bool) -> None:
        self.shop = Shop(forfeit=forfeit)
        self.now = T0
        self.numbers: list[str] = []
        self.seen: dict[str, tuple[OrderStatus, DepositState]] = {}
        self.tx = 0

    def attempt(self, run: Callable[[], T]) -> T | None:
        before = snapshot(self.shop.uow)
        events = len(self.shop.publisher.events)
        try:
            return run()
        except MallcoreError:
            assert snapshot(self.shop.uow) == before
            assert len(self.shop.publisher.events) == events
            return None

    def pick(self, i: int, *preferred: OrderStatus) -> str:
        """Mostly an order where the action makes sense, sometimes any (refusals too)."""
        fitting = [n for n in self.numbers if self.shop.order(n).status in preferred]
        if fitting and i % 4:
            return fitting[(i // 4) % len(fitting)]
        return self.numbers[i % len(self.numbers)]

    # ------------------------------------------------------------------ rules
    @precondition(lambda self: self.now < BALANCE_OPENS)  # the pre-sale is on
    @rule(boxes=st.integers(1, 3), tea=st.integers(0, 2), points=st.sampled_from([0, 7]))
    def place(self, boxes: int, tea: int, points: int) -> None:
        items = [("cake", boxes)] + ([("tea", tea)] if tea else [])
        number = self.attempt(lambda: self.shop.place(items, points=points, now=self.now))
        if number is not None:
            self.numbers.append(number)

    @rule(minutes=st.sampled_from([1, 10, 60 * 20, 60 * 50]))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(to=st.sampled_from([BALANCE_OPENS, BALANCE_ENDS]))
    def jump_to(self, to: datetime) -> None:
        """Into the balance window, or to its end (never backwards)."""
        self.now = max(self.now, to)

    @precondition(lambda self: self.numbers)
    @rule(i=index, delta=st.sampled_from([0, 0, 0, -1, 1]), method=st.sampled_from(
        [PaymentMethod.WECHAT, PaymentMethod.BALANCE]))
    def pay_next(self, i: int, delta: int, method: PaymentMethod) -> None:
        """Pay what the order asks next (the deposit, then the balance), sometimes a fen
        off; late, early and surplus payments are part of the mix."""
        number = self.pick(i, S.PENDING_PAYMENT, S.DEPOSIT_PAID)
        order = self.shop.order(number)
        deposit = order.deposit
        assert deposit is not None
        due = (deposit.deposit_fen if order.status is S.PENDING_PAYMENT
               else order.payable_fen - order.paid_fen)
        fen = due + delta
        self.tx += 1
        if fen <= 0:
            return
        self.attempt(lambda: self.shop.pay(number, [(method, fen)], now=self.now,
                                           tx=f"tx{self.tx}"))

    @precondition(lambda self: self.numbers)
    @rule()
    def close_due(self) -> None:
        self.attempt(lambda: svc.close_due_orders(self.shop.uow, self.now,
                                                  numbers=self.shop.numbers,
                                                  publisher=self.shop.publisher))

    @precondition(lambda self: self.numbers)
    @rule(i=index)
    def refund_deposit(self, i: int) -> None:
        self.attempt(lambda: svc.refund_deposit(self.shop.uow, self.shop.numbers,
                                                self.pick(i, S.DEPOSIT_PAID),
                                                reason="cancelled", now=self.now))

    @precondition(lambda self: self.numbers)
    @rule(i=index)
    def cancel(self, i: int) -> None:
        self.attempt(lambda: svc.close_unpaid(self.shop.uow, self.pick(i),
                                              reason=CloseReason.BUYER_CANCEL, now=self.now))

    @precondition(lambda self: self.numbers)
    @rule(i=index)
    def ship(self, i: int) -> None:
        self.attempt(lambda: self.shop.ship(self.pick(i, S.PAID), now=self.now))

    # ------------------------------------------------------------------ invariants
    @invariant()
    def money_never_leaks(self) -> None:
        for number in self.numbers:
            order = self.shop.order(number)
            deposit = order.deposit
            assert deposit is not None
            check_order_amounts(order)
            assert deposit.deposit_fen + order.balance_fen == order.payable_fen
            assert 0 <= deposit.deposit_fen <= sum(order.due.values())
            assert order.refunded_fen <= order.paid_fen <= order.payable_fen
            kept = order.paid_fen - order.refunded_fen
            if order.status is S.PENDING_PAYMENT or deposit.state is DepositState.CANCELLED:
                assert order.paid_fen == 0
            if order.status is S.DEPOSIT_PAID:
                assert order.paid_fen == deposit.deposit_fen and order.refunds == []
            if deposit.state is DepositState.FORFEITED:  # a late balance is sent back whole
                assert kept == deposit.deposit_fen
                assert all(r.cause == "surplus_payment" for r in order.refunds)
            if deposit.state is DepositState.REFUNDED:
                assert kept == 0
            if deposit.state is DepositState.COMPLETED:
                assert order.paid_fen == order.payable_fen and order.paid_at is not None
                cake = next(ln for ln in order.lines if ln.sku_id == "cake")
                assert cake.ship_from == order.paid_at.date() + timedelta(days=3)
            if order.status in (S.SHIPPED, S.COMPLETED):
                assert deposit.state is DepositState.COMPLETED

    @invariant()
    def states_move_along_their_edges(self) -> None:
        for number in self.numbers:
            order = self.shop.order(number)
            assert order.deposit is not None
            now = (order.status, order.deposit.state)
            before = self.seen.get(number, (S.PENDING_PAYMENT, DepositState.AWAITING_DEPOSIT))
            assert now[0] is before[0] or now[0] in ALLOWED[before[0]], (before, now)
            assert now[1] is before[1] or now[1] in DEPOSIT_ALLOWED[before[1]], (before, now)
            for old, new, _ in order.deposit.transitions:
                assert new in DEPOSIT_ALLOWED[old]
            if order.deposit.state is DepositState.AWAITING_BALANCE:
                assert order.status is S.DEPOSIT_PAID
                assert self.now < BALANCE_ENDS or not order.deposit.missed(T0)
            self.seen[number] = now

    @invariant()
    def stock_is_conserved(self) -> None:
        check_stock(self.shop.uow)


DepositMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestDepositMachine = DepositMachine.TestCase
