"""Random sequences of order use cases on a small shop, with the invariants checked after
every step (ORD-1..9, AS-1..7, PTS-4, PIPE-3).

The shop: tea and pot reduce stock at order time, cup at payment (ORD-9); stock is
short, so both strategies run out; a store-wide "spend 100 save 15", an optional 9折
member discount and some points price the orders through the pipeline.  Refusals are
expected (wrong amounts, caps, statuses): every refusal must leave the state as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from orders_helpers import (
    T0,
    Shop,
    check_order_amounts,
    check_stock,
    expected_reserved,
    snapshot,
    spend_100_save_15,
)

from mallcore.errors import MallcoreError
from mallcore.orders.aftersales import AfterSaleKind
from mallcore.orders.order import DeliveryMethod, ReceiptBy
from mallcore.orders.payments import PaymentMethod
from mallcore.orders.status import ALLOWED, CloseReason, OrderStatus
from mallcore.services import orders as svc

T = TypeVar("T")
STOCK = {"tea": 8, "cup": 3, "pot": 3}
POINTS = 300
W, B = PaymentMethod.WECHAT, PaymentMethod.BALANCE
AL, M = PaymentMethod.ALIPAY, PaymentMethod.MANUAL

index = st.integers(0, 10_000)
cart_items = st.lists(
    st.tuples(st.sampled_from(sorted(STOCK)), st.integers(1, 3)),
    min_size=1, max_size=3, unique_by=lambda item: item[0],
)


class OrdersMachine(RuleBasedStateMachine):
    @initialize()
    def open_shop(self) -> None:
        self.shop = Shop(stock=STOCK, activities=[spend_100_save_15()], points=POINTS)
        self.now = T0
        self.numbers: list[str] = []
        self.seen: dict[str, OrderStatus] = {}
        self.cases: list[tuple[str, str]] = []
        self.tx = 0

    # ------------------------------------------------------------------ helpers
    def tick(self, seconds: int = 1) -> None:
        self.now += timedelta(seconds=seconds)

    def pick(self, i: int, *preferred: OrderStatus) -> str:
        """Mostly an order in a status where the action makes sense, sometimes any order
        (whose refusal is then checked too)."""
        fitting = [n for n in self.numbers if self.shop.order(n).status in preferred]
        if fitting and i % 5:
            return fitting[(i // 5) % len(fitting)]
        return self.numbers[i % len(self.numbers)]

    def attempt(self, run: Callable[[], T]) -> T | None:
        """Run a use case; a refusal must leave every aggregate as it was."""
        before = snapshot(self.shop.uow)
        events = len(self.shop.publisher.events)
        try:
            return run()
        except MallcoreError:
            assert snapshot(self.shop.uow) == before
            assert len(self.shop.publisher.events) == events
            return None

    def refunds(self) -> list[tuple[str, str]]:
        """Refunds with money to answer for (cancelling a 0.00 order records an empty one)."""
        return [(o.number, r.number) for o in self.shop.uow.orders for r in o.refunds
                if r.legs]

    # ------------------------------------------------------------------ placing, paying
    @rule(items=cart_items, points=st.sampled_from([0, 0, 5, 30]),
          member=st.sampled_from([None, "9"]), shipping=st.sampled_from(["0", "5.00", "12.00"]),
          earn=st.booleans())
    def place(self, items: list[tuple[str, int]], points: int, member: str | None,
              shipping: str, earn: bool) -> None:
        self.tick()
        earned = {sku: 5 * qty for sku, qty in items} if earn else None
        number = self.attempt(lambda: self.shop.place(
            items, points=points, member=member, shipping=shipping, earned=earned, now=self.now))
        if number is not None:
            self.numbers.append(number)

    @precondition(lambda self: self.numbers)
    @rule(i=index, mode=st.sampled_from(["exact", "mixed", "manual", "duplicate", "wrong"]))
    def pay(self, i: int, mode: str) -> None:
        self.tick()
        number = self.pick(i, OrderStatus.PENDING_PAYMENT, OrderStatus.CLOSED)
        order = self.shop.order(number)
        if mode == "duplicate":
            if not order.payments:
                return
            first = order.payments[0]
            before = snapshot(self.shop.uow)
            outcome = self.shop.pay(number, [(p.method, p.fen) for p in first.parts],
                                    tx=first.transaction_id, now=self.now)
            assert outcome is svc.PaymentOutcome.DUPLICATE
            assert snapshot(self.shop.uow) == before
            return
        due = order.payable_fen
        self.tx += 1
        tx = f"tx{self.tx}"
        merchant = False
        if mode == "wrong":
            parts = [(W, due + 1)]
        elif mode == "mixed" and due >= 3:
            parts = [(W, due // 3), (AL, due // 3), (B, due - 2 * (due // 3))]
        elif mode == "manual" or due == 0:
            parts = [(M, due)] if due else []
            merchant = True
        else:
            parts = [(W, due)]
        status = order.status
        outcome = self.attempt(lambda: self.shop.pay(number, parts, tx=tx, now=self.now,
                                                     merchant=merchant))
        if mode == "wrong" and status is OrderStatus.PENDING_PAYMENT:
            assert outcome is None  # the amount due, and only it, pays an order (ORD-2/3)
        if status is OrderStatus.CLOSED:
            assert outcome in (svc.PaymentOutcome.REFUNDED_LATE, None)
            assert self.shop.order(number).status is OrderStatus.CLOSED  # not reopened

    @precondition(lambda self: self.numbers)
    @rule(i=index, goods=st.integers(-25_000, 3_000), shipping=st.integers(-1_500, 500))
    def adjust(self, i: int, goods: int, shipping: int) -> None:
        self.tick()
        number = self.pick(i, OrderStatus.PENDING_PAYMENT)
        self.attempt(lambda: svc.adjust_price(self.shop.uow, number, goods_delta=goods,
                                              shipping_delta=shipping, now=self.now,
                                              by="clerk", reason="adjust"))

    # ------------------------------------------------------------------ shipping, receipt
    @precondition(lambda self: self.numbers)
    @rule(i=index, partial=st.booleans(),
          method=st.sampled_from([DeliveryMethod.EXPRESS, DeliveryMethod.EXPRESS,
                                  DeliveryMethod.PICKUP]))
    def ship(self, i: int, partial: bool, method: DeliveryMethod) -> None:
        self.tick()
        number = self.pick(i, OrderStatus.PAID)
        order = self.shop.order(number)
        lines = None
        if partial:
            shipped = order.shipped_quantities()
            left = [ln.line_id for ln in order.lines if ln.quantity > shipped[ln.line_id]]
            lines = {left[0]: 1} if left else {order.lines[0].line_id: 1}
        self.attempt(lambda: self.shop.ship(number, now=self.now, lines=lines, method=method))

    @precondition(lambda self: self.numbers)
    @rule(i=index, by=st.sampled_from([ReceiptBy.BUYER, ReceiptBy.MERCHANT, ReceiptBy.AUTO]))
    def confirm(self, i: int, by: ReceiptBy) -> None:
        self.tick()
        number = self.pick(i, OrderStatus.SHIPPED)
        self.attempt(lambda: self.shop.confirm(number, now=self.now, by=by))

    @rule(minutes=st.sampled_from([1, 20, 31, 60 * 24, 60 * 24 * 8]))
    def time_passes(self, minutes: int) -> None:
        self.tick(60 * minutes)
        closed = svc.close_due_orders(self.shop.uow, self.now)
        for number in closed:
            assert self.shop.order(number).close_reason is CloseReason.PAYMENT_TIMEOUT
        svc.auto_confirm_due(self.shop.uow, self.now)
        assert not any(o.due_for_closing(self.now) for o in self.shop.uow.orders)

    # ------------------------------------------------------------------ cancelling
    @precondition(lambda self: self.numbers)
    @rule(i=index, how=st.sampled_from([
        "buyer_close", "merchant_close", "cancel_refund", "cancel_keep", "request", "reject",
        "agree", "agree_refund"]))
    def cancel(self, i: int, how: str) -> None:
        """Closing unpaid orders (ORD-6) and cancelling paid ones (ORD-8)."""
        self.tick()
        unpaid = how in ("buyer_close", "merchant_close")
        number = self.pick(i, OrderStatus.PENDING_PAYMENT if unpaid else OrderStatus.PAID)
        uow, numbers, now = self.shop.uow, self.shop.numbers, self.now
        runs: dict[str, Callable[[], Any]] = {
            "buyer_close": lambda: svc.close_unpaid(uow, number,
                                                    reason=CloseReason.BUYER_CANCEL, now=now),
            "merchant_close": lambda: svc.close_unpaid(uow, number, reason=CloseReason.MERCHANT,
                                                       now=now),
            "cancel_refund": lambda: svc.merchant_cancel(uow, numbers, number, refund=True,
                                                         now=now),
            "cancel_keep": lambda: svc.merchant_cancel(uow, numbers, number, refund=False,
                                                       now=now),
            "request": lambda: svc.request_cancellation(uow, number, reason="changed mind",
                                                        now=now),
            "reject": lambda: svc.reject_cancellation(uow, number, reason="packed", now=now),
            "agree": lambda: svc.agree_cancellation(uow, numbers, number, refund=False,
                                                    now=now),
            "agree_refund": lambda: svc.agree_cancellation(uow, numbers, number, refund=True,
                                                           now=now),
        }
        self.attempt(runs[how])

    # ------------------------------------------------------------------ after-sales
    @precondition(lambda self: self.numbers)
    @rule(i=index, kind=st.sampled_from(list(AfterSaleKind)),
          mask=st.lists(st.booleans(), min_size=3, max_size=3),
          qty=st.integers(1, 3), percent=st.integers(1, 115))
    def apply_after_sale(self, i: int, kind: AfterSaleKind, mask: list[bool], qty: int,
                         percent: int) -> None:
        self.tick()
        number = self.pick(i, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
        order = self.shop.order(number)
        items = {ln.line_id: min(qty, ln.quantity)
                 for ln, chosen in zip(order.lines, mask, strict=False) if chosen}
        if not items:
            items = {order.lines[0].line_id: 1}
        cap = 0
        if kind is not AfterSaleKind.EXCHANGE:
            try:
                cap = sum(order.refundable_for(items).values())
            except MallcoreError:
                cap = 1
        fen = 0 if kind is AfterSaleKind.EXCHANGE else max(1, cap * percent // 100)
        case = self.attempt(lambda: self.shop.apply(number, kind, items, fen, now=self.now))
        if case is not None:
            assert fen <= cap or kind is AfterSaleKind.EXCHANGE  # AS-2: never above the cap
            self.cases.append((number, case))

    @precondition(lambda self: self.cases)
    @rule(j=index, step=st.sampled_from(["reject", "approve", "ship_back", "receive", "refund",
                                         "refund_offline", "reship", "exchanged"]))
    def decide_after_sale(self, j: int, step: str) -> None:
        self.tick()
        number, case = self.cases[j % len(self.cases)]
        uow, numbers, now = self.shop.uow, self.shop.numbers, self.now

        def on_order(action: Callable[[Any], None]) -> Callable[[], None]:
            def run() -> None:
                with uow:
                    action(uow.orders.get(number))
                    uow.commit()
            return run

        runs: dict[str, Callable[[], Any]] = {
            "reject": lambda: svc.reject_after_sale(uow, number, case, reason="no proof",
                                                    now=now),
            "approve": lambda: svc.approve_return(uow, number, case, now=now),
            "ship_back": lambda: svc.record_return_shipment(
                uow, number, case, carrier="SF", tracking_number=f"SFB{case}", now=now),
            "receive": lambda: svc.receive_return(uow, number, case, now=now),
            "refund": lambda: svc.refund_after_sale(uow, numbers, number, case, now=now),
            "refund_offline": lambda: svc.refund_after_sale(uow, numbers, number, case,
                                                            now=now, offline=True),
            "reship": on_order(lambda o: o.reship_exchange(
                case, carrier="ZTO", tracking_number=f"ZT{case}", now=now)),
            "exchanged": on_order(lambda o: o.confirm_exchange_received(case, now)),
        }
        self.attempt(runs[step])

    # ------------------------------------------------------------------ refunds
    @precondition(lambda self: self.refunds())
    @rule(k=index, leg=st.integers(0, 2), answer=st.sampled_from(["ok", "failed", "retry"]),
          reason=st.sampled_from(["NOTENOUGH", "CERT_EXPIRED"]))
    def gateway(self, k: int, leg: int, answer: str, reason: str) -> None:
        """The payment gateway answers a refund leg, or the merchant retries (AS-6)."""
        self.tick()
        refunds = self.refunds()
        number, made = refunds[k % len(refunds)]
        uow = self.shop.uow
        if answer == "retry":
            self.attempt(lambda: svc.retry_refund(uow, number, made, now=self.now))
            return
        legs = self.shop.order(number).refund(made).legs
        method = legs[leg % len(legs)].method
        ok = answer == "ok"
        self.attempt(lambda: svc.refund_result(uow, number, made, method, ok=ok,
                                               reason=None if ok else reason, now=self.now))

    # ------------------------------------------------------------------ going forward
    @precondition(lambda self: self.numbers)
    @rule(i=index, variant=st.integers(0, 3))
    def progress(self, i: int, variant: int) -> None:
        """The natural next step of a live order, so that random runs get deep."""
        live = [n for n in self.numbers if self.shop.order(n).status is not OrderStatus.CLOSED]
        if not live:
            return
        number = live[i % len(live)]
        status = self.shop.order(number).status
        if status is OrderStatus.PENDING_PAYMENT:
            self.pay(i, ["exact", "mixed", "manual", "exact"][variant])
        elif status is OrderStatus.PAID:
            self.tick()
            partial = variant == 0
            order = self.shop.order(number)
            shipped = order.shipped_quantities()
            left = [ln.line_id for ln in order.lines if ln.quantity > shipped[ln.line_id]]
            lines = {left[0]: 1} if partial and left else None
            self.attempt(lambda: self.shop.ship(number, now=self.now, lines=lines))
        elif status is OrderStatus.SHIPPED:
            self.tick()
            self.attempt(lambda: self.shop.confirm(number, now=self.now))
        else:
            self.tick()
            order = self.shop.order(number)
            line = order.lines[variant % len(order.lines)]
            kind = list(AfterSaleKind)[variant % 3]
            fen = 0
            if kind is not AfterSaleKind.EXCHANGE:
                try:
                    fen = order.refundable_for({line.line_id: 1})[line.line_id]
                except MallcoreError:
                    return
                if fen == 0:
                    return
            case = self.attempt(lambda: self.shop.apply(number, kind, {line.line_id: 1}, fen,
                                                        now=self.now))
            if case is not None:
                self.cases.append((number, case))

    @precondition(lambda self: self.numbers)
    @rule(i=index, variant=st.integers(0, 3))
    def progress_again(self, i: int, variant: int) -> None:
        """The same as ``progress``: listed twice so that runs reach after-sales often."""
        self.progress(i, variant)

    @precondition(lambda self: self.cases)
    @rule(j=index, ok=st.booleans())
    def after_sale_progress(self, j: int, ok: bool) -> None:
        """The natural next step of an open after-sale application."""
        open_cases = [(n, c) for n, c in self.cases
                      if self.shop.order(n).after_sale(c).open]
        if not open_cases:
            return
        number, case = open_cases[j % len(open_cases)]
        status = self.shop.order(number).after_sale(case).status.value
        kind = self.shop.order(number).after_sale(case).kind
        step = {
            "requested": "refund" if kind is AfterSaleKind.REFUND_ONLY else "approve",
            "awaiting_return": "ship_back",
            "return_shipped": "receive",
            "return_received": "reship" if kind is AfterSaleKind.EXCHANGE else "refund",
            "reshipped": "exchanged",
        }.get(status)
        if step is not None:
            self.decide_after_sale(self.cases.index((number, case)), step)
            return
        refund = self.shop.order(number).after_sale(case).refund_number
        assert refund is not None
        legs = self.shop.order(number).refund(refund).legs
        waiting = [leg for leg in legs if leg.status.value != "succeeded"]
        if waiting:
            leg = waiting[0]
            if leg.status.value == "failed":
                self.attempt(lambda: svc.retry_refund(self.shop.uow, number, refund,
                                                      now=self.now))
            else:
                self.attempt(lambda: svc.refund_result(
                    self.shop.uow, number, refund, leg.method, ok=ok,
                    reason=None if ok else "NOTENOUGH", now=self.now))

    # ------------------------------------------------------------------ invariants
    @invariant()
    def statuses_move_only_along_allowed_edges(self) -> None:
        # RULES: ORD-1
        for order in self.shop.uow.orders:
            previous = self.seen.get(order.number)
            if previous is None:
                assert order.status in (OrderStatus.PENDING_PAYMENT,), order.status
            else:
                assert order.status is previous or order.status in ALLOWED[previous], (
                    order.number, previous, order.status)
            self.seen[order.number] = order.status

    @invariant()
    def money_adds_up(self) -> None:
        # RULES: ORD-3, PIPE-3, AS-2, AS-5
        for order in self.shop.uow.orders:
            check_order_amounts(order)
            if order.status is not OrderStatus.PENDING_PAYMENT and order.paid_at is not None:
                assert order.paid_fen == order.payable_fen

    @invariant()
    def stock_is_conserved(self) -> None:
        # RULES: ORD-9, ORD-6, FS-5
        uow = self.shop.uow
        check_stock(uow)
        reserved = expected_reserved(uow)
        for sku in uow.inventory.skus():
            assert uow.inventory.level(sku).reserved == reserved.get(sku, 0), sku
        for order in uow.orders:
            if order.status is not OrderStatus.PENDING_PAYMENT:
                assert uow.inventory.reservation(order.number) is None, order.number

    @invariant()
    def points_never_go_negative(self) -> None:
        # RULES: PTS-4, AS-7
        account = self.shop.uow.points.get("c1")
        assert account.balance(self.now) >= 0
        assert all(entry.balance_after >= 0 for entry in account.entries)


OrdersMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_orders_state_machine = OrdersMachine.TestCase
