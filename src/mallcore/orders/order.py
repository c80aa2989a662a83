"""The Order aggregate: status machine, payment, price adjustment, shipping, receipt,
cancellation, after-sales and refunds (ORD-1..9, AS-1..7).

The order guards every invariant that spans its parts: it moves only along the
edges of ``status.ALLOWED``; what is due per line always sums to the payable
amount; refunds never exceed what was paid, per line and in total.  Every
refusal happens before any change.  Effects on other aggregates (stock, points,
coupons) are the services' job, in the same unit of work; effects outside
(SMS, payment gateways) go through the events recorded in ``events``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

import attrs

from mallcore.catalog.model import StockStrategy
from mallcore.errors import InvalidInput, InvalidTransition, LimitReached, NotAllowed, NotFound
from mallcore.guards import aware, whole
from mallcore.money import allocate, format_yuan
from mallcore.orders import events as ev
from mallcore.orders.aftersales import EDGES, AfterSale, AfterSaleKind, AfterSaleStatus
from mallcore.orders.deposits import DepositSteps
from mallcore.orders.payments import Payment, PaymentMethod, PaymentPart, split_by_method
from mallcore.orders.presale import DepositState, OrderDeposit, ShipTerms
from mallcore.orders.refunds import Refund, RefundLeg, RefundStatus
from mallcore.orders.status import ALLOWED, CloseReason, LogisticsStatus, OrderStatus
from mallcore.pricing.breakdown import PriceBreakdown, Stage

SURPLUS = "surplus_payment"  # the cause of a refund that returns a payment not needed


class DeliveryMethod(enum.StrEnum):
    EXPRESS = "express"  # needs carrier + tracking number (ORD-4)
    SELF_DELIVERY = "self_delivery"  # the merchant delivers
    PICKUP = "pickup"  # 自提: the buyer collects


class ReceiptBy(enum.StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    AUTO = "auto"


@attrs.frozen
class OrderLine:
    """A line as priced when the order was placed: each stage's amount is kept (PIPE-3)."""

    line_id: str
    sku_id: str
    product_id: str
    quantity: int
    stage_fen: tuple[int, ...]  # list, activities, coupons, membership, points
    family: str = "regular"
    needs_shipping: bool = True
    stock_strategy: StockStrategy = StockStrategy.AT_ORDER
    earned_points: int = 0  # PTS-1, granted on completion
    campaign: str = ""  # the flash sale / limited-time discount / pre-sale that priced it
    ship_terms: ShipTerms | None = None  # PRE-3, a pre-sale line's ship-date rule
    ship_from: date | None = None  # PRE-3, set when the order is paid in full

    @property
    def priced_fen(self) -> int:
        return self.stage_fen[-1]


@attrs.frozen
class Address:
    consignee: str
    phone: str
    region: str = ""
    detail: str = ""


@attrs.frozen
class Adjustment:
    goods_delta: int
    shipping_delta: int
    before_fen: int
    after_fen: int
    at: datetime
    by: str
    reason: str


@attrs.frozen
class Shipment:
    id: str
    lines: tuple[tuple[str, int], ...]
    method: DeliveryMethod
    carrier: str | None
    tracking_number: str | None
    at: datetime


@attrs.frozen
class Review:
    rating: int
    text: str
    at: datetime


@attrs.frozen
class OrderPolicy:
    """Per-shop switches that the rules leave to the merchant."""

    return_coupon_on_close: bool = False  # CPN-5: off by default
    auto_confirm_days: int = 7  # ORD-5
    payment_timeout: timedelta = timedelta(minutes=30)  # ORD-6 / FS-3 default


def lines_from_breakdown(
    breakdown: PriceBreakdown,
    *,
    strategies: Mapping[str, StockStrategy] | None = None,
    needs_shipping: Mapping[str, bool] | None = None,
    earned_points: Mapping[str, int] | None = None,
    ship_terms: Mapping[str, ShipTerms] | None = None,
) -> tuple[OrderLine, ...]:
    """Freeze a priced cart's lines onto an order, each stage's amount kept (PIPE-3);
    ``ship_terms`` by line id for pre-sale lines (PRE-3)."""
    strategies = strategies or {}
    needs_shipping = needs_shipping or {}
    earned_points = earned_points or {}
    ship_terms = ship_terms or {}
    return tuple(
        OrderLine(
            line.line_id, line.sku_id, line.product_id, line.quantity, line.fen,
            line.family, needs_shipping.get(line.sku_id, True),
            strategies.get(line.sku_id, StockStrategy.AT_ORDER),
            earned_points.get(line.line_id, 0), line.priced_by,
            ship_terms.get(line.line_id),
        )
        for line in breakdown.lines
    )


class Order(DepositSteps):
    """One order; see the module docstring for what it guards.  Deposit pre-sale
    steps (PRE-6) come from ``orders.deposits.DepositSteps``."""

    def __init__(
        self,
        number: str,
        customer_id: str,
        lines: Sequence[OrderLine],
        *,
        shipping_fen: int,
        placed_at: datetime,
        currency: str = "CNY",
        points_spent: int = 0,
        coupon_id: str | None = None,
        first_order: bool = False,
        policy: OrderPolicy | None = None,
        address: Address | None = None,
        activity_types: frozenset[str] = frozenset(),
        deposit: OrderDeposit | None = None,
    ) -> None:
        aware(placed_at, "placed_at")
        if not number or not customer_id:
            raise InvalidInput("order", "needs a number and a customer", rule="ORD-1")
        if not lines:
            raise InvalidInput(f"order {number}", "has no lines", rule="ORD-1")
        ids = [line.line_id for line in lines]
        if len(set(ids)) != len(ids):
            raise InvalidInput(f"order {number}", "two lines share an id", rule="ORD-1")
        if shipping_fen < 0 or any(line.priced_fen < 0 for line in lines):
            raise InvalidInput(f"order {number}", "an amount is negative", rule="PIPE-3")
        self.number = number
        self.customer_id = customer_id
        self.lines = tuple(lines)
        self.currency = currency
        self.placed_at = placed_at
        self.points_spent = points_spent
        self.coupon_id = coupon_id
        self.first_order = first_order
        self.policy = policy or OrderPolicy()
        self.address = address
        self.activity_types = activity_types
        self.status = OrderStatus.PENDING_PAYMENT
        self.close_reason: CloseReason | None = None
        self.closed_at: datetime | None = None
        self.due: dict[str, int] = {line.line_id: line.priced_fen for line in lines}
        self.shipping_due = shipping_fen
        self.adjustments: list[Adjustment] = []
        self.payments: list[Payment] = []
        self.paid_at: datetime | None = None
        self.shipments: list[Shipment] = []
        self.signed_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.review: Review | None = None
        self.cancellation_request: str | None = None
        self.after_sales: list[AfterSale] = []
        self.refunds: list[Refund] = []
        self.star: str | None = None
        self._surplus: list[Payment] = []
        self.withdrawn: dict[str, int] = {line.line_id: 0 for line in lines}
        self.version = 0
        self.deposit = deposit  # PRE-6, a deposit pre-sale order (orders.presale)
        if deposit is not None and deposit.deposit_fen > sum(self.due.values()):
            raise NotAllowed(f"deposit of order {number}",
                             f"{format_yuan(deposit.deposit_fen)} is more than the goods "
                             f"{format_yuan(sum(self.due.values()))}", rule="PRE-6")
        self.events: list[ev.Event] = [
            ev.OrderPlaced(number, placed_at, customer_id, self.payable_fen)
        ]

    @classmethod
    def place(
        cls,
        number: str,
        customer_id: str,
        breakdown: PriceBreakdown,
        *,
        now: datetime,
        strategies: Mapping[str, StockStrategy] | None = None,
        needs_shipping: Mapping[str, bool] | None = None,
        earned_points: Mapping[str, int] | None = None,
        coupon_id: str | None = None,
        first_order: bool = False,
        policy: OrderPolicy | None = None,
        address: Address | None = None,
        ship_terms: Mapping[str, ShipTerms] | None = None,
        deposit: OrderDeposit | None = None,
    ) -> Order:
        """An order from a priced cart: the breakdown is frozen onto its lines."""
        lines = lines_from_breakdown(breakdown, strategies=strategies,
                                     needs_shipping=needs_shipping, earned_points=earned_points,
                                     ship_terms=ship_terms)
        return cls(number, customer_id, lines, shipping_fen=breakdown.shipping_fen[-1],
                   placed_at=now, currency=breakdown.currency,
                   points_spent=breakdown.points_used, coupon_id=coupon_id,
                   first_order=first_order, policy=policy, address=address, deposit=deposit,
                   activity_types=frozenset(
                       {p.kind for p in breakdown.applied_in(Stage.ACTIVITIES)}
                       | {f for f in breakdown.families if f != "regular"}
                   ))

    # ------------------------------------------------------------------ reading
    @property
    def payable_fen(self) -> int:
        return sum(self.due.values()) + self.shipping_due

    @property
    def paid_fen(self) -> int:
        return sum(p.fen for p in self.payments if p not in self._surplus)

    @property
    def refunded_fen(self) -> int:
        """Refunds decided (any status) out of what this order was paid."""
        return sum(r.fen for r in self.refunds if r.cause != SURPLUS)

    def refunded_of_line(self, line_id: str) -> int:
        return sum(fen for r in self.refunds for key, fen in r.lines if key == line_id)

    @property
    def refunded_shipping(self) -> int:
        return sum(r.shipping_fen for r in self.refunds if r.cause != SURPLUS)

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise NotFound(f"line {line_id!r}", f"not in order {self.number}", rule="AS-2")

    @property
    def logistics(self) -> LogisticsStatus:
        if self.signed_at is not None:
            return LogisticsStatus.SIGNED
        shipped = self.shipped_quantities()
        if not any(shipped.values()):
            return LogisticsStatus.NOT_SHIPPED
        if not any(self.left_to_ship().values()):
            return LogisticsStatus.SHIPPED
        return LogisticsStatus.PARTIALLY_SHIPPED

    def left_to_ship(self) -> dict[str, int]:
        """Units of physical lines neither shipped nor withdrawn by a refund (ORD-4)."""
        shipped = self.shipped_quantities()
        return {ln.line_id: ln.quantity - shipped[ln.line_id] - self.withdrawn[ln.line_id]
                for ln in self.lines if ln.needs_shipping}

    def shipped_quantities(self) -> dict[str, int]:
        out = {line.line_id: 0 for line in self.lines}
        for shipment in self.shipments:
            for line_id, qty in shipment.lines:
                out[line_id] += qty
        return out

    def after_sale(self, after_sale_id: str) -> AfterSale:
        for case in self.after_sales:
            if case.id == after_sale_id:
                return case
        raise NotFound(f"after-sale {after_sale_id!r}", f"not in order {self.number}",
                       rule="AS-3")

    def refund(self, refund_number: str) -> Refund:
        for refund in self.refunds:
            if refund.number == refund_number:
                return refund
        raise NotFound(f"refund {refund_number!r}", f"not in order {self.number}", rule="AS-6")

    def due_for_closing(self, now: datetime) -> bool:
        """ORD-6: unpaid past the payment timeout."""
        return (self.status is OrderStatus.PENDING_PAYMENT
                and now >= self.placed_at + self.policy.payment_timeout)

    def due_for_auto_receipt(self, now: datetime) -> bool:
        """ORD-5: shipped, and the last shipment is older than the auto-confirm period."""
        if self.status is not OrderStatus.SHIPPED or not self.shipments:
            return False
        last = max(s.at for s in self.shipments)
        return now >= last + timedelta(days=self.policy.auto_confirm_days)

    # ------------------------------------------------------------------ guards
    def _require(self, action: str, *allowed: OrderStatus, rule: str = "ORD-1") -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"{action} order {self.number}", self.status.value, rule=rule)

    def _move(self, to: OrderStatus, action: str) -> None:
        if to not in ALLOWED[self.status]:  # pragma: no cover - guarded by _require first
            raise InvalidTransition(f"{action} order {self.number}", self.status.value,
                                    rule="ORD-1")
        self.status = to
        self.version += 1

    def _close(self, reason: CloseReason, now: datetime) -> None:
        self._move(OrderStatus.CLOSED, "close")
        self.close_reason = reason
        self.closed_at = now
        self.events.append(ev.OrderClosed(self.number, now, reason.value))

    # ------------------------------------------------------------------ ORD-3
    def adjust_price(
        self, *, goods_delta: int = 0, shipping_delta: int = 0, now: datetime, by: str,
        reason: str,
    ) -> Adjustment:
        """Add to or take from the goods and/or shipping of an unpaid order (ORD-3).

        A goods change is spread over the lines by what each is due (largest
        remainder), so every line stays ≥ 0 and the lines still sum exactly.
        """
        aware(now)
        self._require("adjust the price of", OrderStatus.PENDING_PAYMENT, rule="ORD-3")
        whole(goods_delta, "goods adjustment (fen)", "ORD-3", minimum=None)
        whole(shipping_delta, "shipping adjustment (fen)", "ORD-3", minimum=None)
        if not reason.strip():
            raise InvalidInput("price adjustment", "needs a reason", rule="ORD-3")
        goods = sum(self.due.values())
        if goods + goods_delta < 0 or self.shipping_due + shipping_delta < 0:
            raise NotAllowed(
                f"price adjustment of order {self.number}",
                f"would make the {'goods' if goods + goods_delta < 0 else 'shipping'} "
                "negative; the total stays ≥ 0", rule="ORD-3",
            )
        if self.deposit is not None and goods + goods_delta < self.deposit.deposit_fen:
            raise NotAllowed(
                f"price adjustment of order {self.number}",
                f"would take the goods below the deposit {format_yuan(self.deposit.deposit_fen)}",
                rule="PRE-6")
        before = self.payable_fen
        if goods_delta:
            weights = dict(self.due)
            if not any(weights.values()):  # everything free so far: spread by list price
                weights = {ln.line_id: ln.stage_fen[0] or ln.quantity for ln in self.lines}
            shares = allocate(abs(goods_delta), weights)
            sign = 1 if goods_delta > 0 else -1
            for line_id, share in shares.items():
                self.due[line_id] += sign * share
        self.shipping_due += shipping_delta
        adjustment = Adjustment(goods_delta, shipping_delta, before, self.payable_fen, now, by,
                                reason)
        self.adjustments.append(adjustment)
        self.version += 1
        self.events.append(ev.OrderPriceAdjusted(self.number, now, before, self.payable_fen))
        return adjustment

    # ------------------------------------------------------------------ ORD-2
    def pay(
        self, parts: Iterable[PaymentPart], *, transaction_id: str, now: datetime,
        confirmed_by_merchant: bool = False,
    ) -> Payment:
        """Record the payment of the amount due (ORD-2).

        A payment of any other amount is refused: after a price adjustment, the old
        amount no longer pays the order (ORD-3).
        """
        aware(now)
        self._require("pay", OrderStatus.PENDING_PAYMENT, OrderStatus.DEPOSIT_PAID, rule="ORD-2")
        payment = Payment(transaction_id, tuple(parts), now, confirmed_by_merchant)
        if not transaction_id:
            raise InvalidInput("payment", "needs a transaction id", rule="ORD-2")
        if not payment.parts and self.payable_fen:
            raise InvalidInput("payment", "needs at least one part", rule="ORD-2")
        if self.deposit is not None:
            return self._pay_deposit_order(payment, now)
        if payment.fen != self.payable_fen:
            rule = "ORD-3" if self.adjustments else "ORD-2"
            raise NotAllowed(
                f"payment of {format_yuan(payment.fen)} for order {self.number}",
                f"the amount due is {format_yuan(self.payable_fen)}", rule=rule,
            )
        self._paid_in_full(payment, now)
        return payment

    def _paid_in_full(self, payment: Payment, now: datetime) -> None:
        self.payments.append(payment)
        self.paid_at = now
        self.lines = tuple(  # PRE-3: pre-sale lines learn their ship date
            attrs.evolve(line, ship_from=line.ship_terms.ship_date(now))
            if line.ship_terms is not None else line for line in self.lines)
        self._move(OrderStatus.PAID, "pay")
        self.events.append(ev.OrderPaid(self.number, now, payment.transaction_id, payment.fen,
                                        payment.confirmed_by_merchant))

    def refuse_paid_without_stock(self, refund_number: str, now: datetime) -> Refund | None:
        """ORD-9: paid under the pay-time strategy for stock that is gone.

        The payment stands recorded; the order closes and the whole amount goes
        back. Caught, not silently oversold.
        """
        self._require("refuse for lack of stock", OrderStatus.PAID, OrderStatus.DEPOSIT_PAID,
                      rule="ORD-9")
        refund = self._full_refund(refund_number, "out_of_stock", now)
        if self.status is OrderStatus.DEPOSIT_PAID:
            assert self.deposit is not None
            self.deposit.move(DepositState.REFUNDED, now)
        self._close(CloseReason.OUT_OF_STOCK, now)
        return refund

    def accept_surplus_payment(
        self, parts: Iterable[PaymentPart], *, transaction_id: str, refund_number: str,
        now: datetime,
    ) -> Refund:
        """A payment the order does not need is recorded and refunded in full.

        Late (the order closed, ORD-6) or a second payment of a paid order: either
        way the money is never lost.  We do not reopen a closed order: its stock and
        points were released and may have gone to someone else.  The same
        transaction again returns the refund already made (idempotent).
        """
        aware(now)
        if self.status is OrderStatus.PENDING_PAYMENT:
            raise InvalidTransition(f"treat a payment of order {self.number} as surplus",
                                    self.status.value, rule="ORD-2")
        for payment in self._surplus:
            if payment.transaction_id == transaction_id:
                return next(r for r in self.refunds if r.transaction_id == transaction_id)
        payment = Payment(transaction_id, tuple(parts), now)
        if not payment.parts or not transaction_id:
            raise InvalidInput("payment", "needs a transaction id and at least one part",
                               rule="ORD-2")
        self._surplus.append(payment)
        self.payments.append(payment)
        legs = [RefundLeg(method, fen) for method, fen in payment.by_method().items()]
        refund = Refund(refund_number, SURPLUS, (), 0, legs, now,
                        transaction_id=transaction_id)
        self._start_refund(refund, now)
        self.events.append(ev.SurplusPaymentReceived(self.number, now, transaction_id,
                                                     payment.fen, refund_number,
                                                     self.status.value))
        return refund

    # ------------------------------------------------------------------ ORD-4
    def ship(
        self, shipment_id: str, *, now: datetime,
        lines: Mapping[str, int] | None = None,
        method: DeliveryMethod = DeliveryMethod.EXPRESS,
        carrier: str | None = None, tracking_number: str | None = None,
    ) -> Shipment:
        """Ship some or all of the remaining units (ORD-4); the last one moves to shipped."""
        aware(now)
        self._require("ship", OrderStatus.PAID,
                      rule="PRE-6" if self.status is OrderStatus.DEPOSIT_PAID else "ORD-4")
        if self.cancellation_request is not None:
            raise NotAllowed(f"order {self.number}", "the buyer asked to cancel; decide first",
                             rule="ORD-8")
        if method is DeliveryMethod.EXPRESS and not (carrier and tracking_number):
            raise InvalidInput(f"shipment of order {self.number}",
                               "express delivery needs a carrier and a tracking number",
                               rule="ORD-4")
        remaining = self.left_to_ship()
        wanted = dict(lines) if lines is not None else {
            k: v for k, v in remaining.items() if v > 0
        }
        if not wanted:
            raise NotAllowed(f"order {self.number}", "has nothing left to ship", rule="ORD-4")
        for line_id, qty in wanted.items():
            whole(qty, f"quantity of line {line_id} to ship", "ORD-4")
            if line_id not in remaining:
                raise NotFound(f"line {line_id!r}", f"is not a line to ship in {self.number}",
                               rule="ORD-4")
            if not 0 < qty <= remaining[line_id]:
                raise NotAllowed(f"shipping {qty} of line {line_id}",
                                 f"{remaining[line_id]} left to ship", rule="ORD-4")
        shipment = Shipment(shipment_id, tuple(sorted(wanted.items())), method, carrier,
                            tracking_number, now)
        self.shipments.append(shipment)
        self.version += 1
        full = self.logistics is LogisticsStatus.SHIPPED
        if full:
            self._move(OrderStatus.SHIPPED, "ship")
        self.events.append(ev.OrderShipped(self.number, now, shipment_id, carrier,
                                           tracking_number, full))
        return shipment

    def mark_signed(self, now: datetime) -> None:
        """The carrier reports the parcel signed for (logistics status, ORD-4)."""
        self._require("mark as signed", OrderStatus.SHIPPED, OrderStatus.COMPLETED, rule="ORD-4")
        self.signed_at = now
        self.version += 1

    # ------------------------------------------------------------------ ORD-5
    def confirm_receipt(self, *, by: ReceiptBy, now: datetime) -> None:
        aware(now)
        self._require("confirm receipt of", OrderStatus.SHIPPED, rule="ORD-5")
        if by is ReceiptBy.AUTO and not self.due_for_auto_receipt(now):
            raise NotAllowed(f"auto-confirming order {self.number}",
                             f"the {self.policy.auto_confirm_days} days have not passed",
                             rule="ORD-5")
        self.completed_at = now
        self._move(OrderStatus.COMPLETED, "confirm receipt of")
        self.events.append(ev.OrderCompleted(self.number, now, by.value))

    def add_review(self, rating: int, text: str, now: datetime) -> Review:
        self._require("review", OrderStatus.COMPLETED, rule="ORD-5")
        if self.review is not None:
            raise NotAllowed(f"order {self.number}", "is already reviewed", rule="ORD-5")
        if not 1 <= rating <= 5:
            raise InvalidInput("rating", f"{rating} is not 1 to 5", rule="ORD-5")
        self.review = Review(rating, text, now)
        self.version += 1
        return self.review

    # ------------------------------------------------------------------ ORD-6, ORD-8
    def close_unpaid(self, reason: CloseReason, now: datetime) -> None:
        """Buyer cancel, payment timeout or merchant close of an unpaid order (ORD-1, ORD-6)."""
        aware(now)
        if reason not in (CloseReason.BUYER_CANCEL, CloseReason.PAYMENT_TIMEOUT,
                          CloseReason.MERCHANT):
            raise InvalidInput("close reason", f"{reason.value} is not for unpaid orders",
                               rule="ORD-1")
        self._require("close", OrderStatus.PENDING_PAYMENT, rule="ORD-6")
        if reason is CloseReason.PAYMENT_TIMEOUT and not self.due_for_closing(now):
            raise NotAllowed(f"closing order {self.number} for timeout",
                             "the payment time has not run out", rule="ORD-6")
        if self.deposit is not None:
            self.deposit.check_cancel(self.number)
            self.deposit.move(DepositState.CANCELLED, now)
        self._close(reason, now)

    def merchant_cancel(self, *, refund_number: str | None, now: datetime) -> Refund | None:
        """ORD-8: cancel an unshipped paid order, with a full refund or without one."""
        aware(now)
        self._require("cancel", OrderStatus.PAID, rule="ORD-8")
        if self.shipments:
            raise NotAllowed(f"cancelling order {self.number}", "part of it has shipped",
                             rule="ORD-8")
        refund = None
        if refund_number is not None:
            refund = self._full_refund(refund_number, "merchant_cancel", now)
        self.cancellation_request = None
        self._close(CloseReason.MERCHANT_CANCEL, now)
        return refund

    def request_cancellation(self, reason: str, now: datetime) -> None:
        """ORD-8: the buyer asks to cancel an unshipped paid order."""
        self._require("ask to cancel", OrderStatus.PAID, rule="ORD-8")
        if self.shipments:
            raise NotAllowed(f"order {self.number}", "part of it has shipped", rule="ORD-8")
        if self.cancellation_request is not None:
            raise NotAllowed(f"order {self.number}", "already has a cancellation request",
                             rule="ORD-8")
        if not reason.strip():
            raise InvalidInput("cancellation", "needs a reason", rule="ORD-8")
        self.cancellation_request = reason
        self.version += 1
        self.events.append(ev.CancellationRequested(self.number, now, reason))

    def reject_cancellation(self, reason: str, now: datetime) -> None:
        self._require("reject the cancellation of", OrderStatus.PAID, rule="ORD-8")
        if self.cancellation_request is None:
            raise NotAllowed(f"order {self.number}", "has no cancellation request", rule="ORD-8")
        if not reason.strip():
            raise InvalidInput("rejection", "needs a reason for the buyer", rule="ORD-8")
        self.cancellation_request = None
        self.version += 1
        self.events.append(ev.CancellationRejected(self.number, now, reason))

    def agree_cancellation(self, *, refund_number: str | None, now: datetime) -> Refund | None:
        """The merchant agrees, and refunds in full (or not, when settled otherwise)."""
        self._require("agree to cancel", OrderStatus.PAID, rule="ORD-8")
        if self.cancellation_request is None:
            raise NotAllowed(f"order {self.number}", "has no cancellation request", rule="ORD-8")
        refund = None
        if refund_number is not None:
            refund = self._full_refund(refund_number, "buyer_cancel", now)
        self.cancellation_request = None
        self._close(CloseReason.BUYER_CANCEL_AGREED, now)
        return refund

    # ------------------------------------------------------------------ AS-1, AS-2
    def refundable_for(self, items: Mapping[str, int]) -> dict[str, int]:
        """Per line, what may still be refunded for ``items`` units (AS-2).

        The first u units of a line are worth ``due × u // quantity`` (all of it when
        u is the whole quantity), counted over every refund of the line so far, so
        partial refunds add up to exactly what was paid, never more.
        """
        out = {}
        for line_id, qty in items.items():
            line = self.line(line_id)
            if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
                raise InvalidInput(f"quantity of line {line_id}", "must be a whole number ≥ 1",
                                   rule="AS-2")
            units_before = self._units_claimed(line_id)
            if units_before + qty > line.quantity:
                raise LimitReached(f"{qty} of line {line_id}",
                                   f"only {line.quantity - units_before} not yet claimed",
                                   rule="AS-2")
            due = self.due[line_id]
            worth = due * (units_before + qty) // line.quantity
            out[line_id] = max(0, worth - self.refunded_of_line(line_id))
        return out

    def _units_claimed(self, line_id: str) -> int:
        return sum(qty for case in self.after_sales
                   if case.status not in (AfterSaleStatus.REJECTED,)
                   and case.kind is not AfterSaleKind.EXCHANGE
                   for key, qty in case.items if key == line_id)

    def apply_after_sale(
        self, after_sale_id: str, *, kind: AfterSaleKind, reason: str,
        items: Mapping[str, int], fen: int, now: datetime,
    ) -> AfterSale:
        """A buyer's application (AS-1, AS-2), validated before anything is recorded."""
        aware(now)
        if not reason.strip():
            raise InvalidInput("after-sale", "needs a reason", rule="AS-2")
        if not items:
            raise InvalidInput("after-sale", "needs at least one item", rule="AS-2")
        if any(case.id == after_sale_id for case in self.after_sales):
            raise NotAllowed(f"after-sale {after_sale_id!r}", "exists already", rule="AS-2")
        if kind is AfterSaleKind.REFUND_ONLY:
            self._require("apply for a refund on", OrderStatus.PAID, OrderStatus.SHIPPED,
                          OrderStatus.COMPLETED, rule="AS-1")
        else:
            self._require(f"apply for {kind.value} on", OrderStatus.COMPLETED, rule="AS-1")
        for case in self.after_sales:
            if case.open and any(k in items for k, _ in case.items):
                raise NotAllowed(f"after-sale for order {self.number}",
                                 f"{case.id} is still open for the same items", rule="AS-2")
        if kind is AfterSaleKind.EXCHANGE:
            for line_id, qty in items.items():
                line = self.line(line_id)
                whole(qty, f"quantity of line {line_id}", "AS-2")
                if not 0 < qty <= line.quantity:
                    raise InvalidInput(f"quantity of line {line_id}",
                                       f"must be 1 to {line.quantity}", rule="AS-2")
            if fen:
                raise InvalidInput("exchange", "asks for no money", rule="AS-4")
        else:
            if isinstance(fen, bool) or not isinstance(fen, int) or fen <= 0:
                raise InvalidInput("after-sale amount", f"{fen!r} is not a positive amount",
                                   rule="AS-2")
            cap = sum(self.refundable_for(items).values())
            if fen > cap:
                raise LimitReached(
                    f"refund of {format_yuan(fen)}",
                    f"at most {format_yuan(cap)} was paid for those items and not refunded",
                    rule="AS-2",
                )
        case = AfterSale(after_sale_id, kind, reason, tuple(sorted(items.items())), fen, now)
        self.after_sales.append(case)
        self.version += 1
        self.events.append(ev.AfterSaleRequested(self.number, now, after_sale_id, kind.value, fen))
        return case

    # ------------------------------------------------------------------ AS-3, AS-4
    def _advance(self, case: AfterSale, to: AfterSaleStatus, action: str) -> None:
        if to not in EDGES[case.status]:
            raise InvalidTransition(f"{action} after-sale {case.id}", case.status.value,
                                    rule="AS-3")
        case.status = to
        self.version += 1

    def reject_after_sale(self, after_sale_id: str, *, reason: str, now: datetime) -> None:
        case = self.after_sale(after_sale_id)
        if not reason.strip():
            raise InvalidInput("rejection", "needs a reason", rule="AS-3")
        self._advance(case, AfterSaleStatus.REJECTED, "reject")
        case.reject_reason = reason
        self.events.append(ev.AfterSaleDecided(self.number, now, case.id, "rejected", reason))

    def approve_return(self, after_sale_id: str, now: datetime) -> None:
        """Return-and-refund or exchange: the buyer ships the goods back (AS-3, AS-4)."""
        case = self.after_sale(after_sale_id)
        if case.kind is AfterSaleKind.REFUND_ONLY:
            raise NotAllowed(f"after-sale {case.id}", "is refund-only: nothing to return",
                             rule="AS-3")
        self._advance(case, AfterSaleStatus.AWAITING_RETURN, "approve the return of")
        self.events.append(ev.AfterSaleDecided(self.number, now, case.id, "return_approved"))

    def record_return_shipment(
        self, after_sale_id: str, *, carrier: str, tracking_number: str, now: datetime,
    ) -> None:
        case = self.after_sale(after_sale_id)
        if not (carrier and tracking_number):
            raise InvalidInput("return shipment", "needs a carrier and a tracking number",
                               rule="AS-3")
        self._advance(case, AfterSaleStatus.RETURN_SHIPPED, "ship back")
        case.return_carrier, case.return_tracking = carrier, tracking_number

    def receive_return(self, after_sale_id: str, now: datetime) -> None:
        case = self.after_sale(after_sale_id)
        self._advance(case, AfterSaleStatus.RETURN_RECEIVED, "receive the return of")

    def refund_after_sale(
        self, after_sale_id: str, *, refund_number: str, now: datetime, offline: bool = False,
    ) -> Refund:
        """Refund an application: without a return (refund only), or once the return
        arrived; ``offline`` records a manual refund made outside the system (AS-3)."""
        aware(now)
        case = self.after_sale(after_sale_id)
        if case.kind is AfterSaleKind.EXCHANGE:
            raise NotAllowed(f"after-sale {case.id}", "is an exchange: nothing to refund",
                             rule="AS-4")
        if case.kind is AfterSaleKind.RETURN_AND_REFUND and (
            case.status is not AfterSaleStatus.RETURN_RECEIVED
        ):
            raise InvalidTransition(f"refund after-sale {case.id}", case.status.value,
                                    rule="AS-3")
        if self.status is OrderStatus.CLOSED:
            raise InvalidTransition(f"refund after-sale {case.id} of order {self.number}",
                                    self.status.value, rule="AS-3")
        caps = self._caps_for(case)
        if case.fen > sum(caps.values()):
            raise LimitReached(f"refund of {format_yuan(case.fen)}",
                               f"only {format_yuan(sum(caps.values()))} left to refund",
                               rule="AS-2")
        by_line = {k: v for k, v in allocate(case.fen, caps).items() if v}
        refund = self._new_refund(refund_number, "after_sale", by_line, 0, now,
                                  after_sale_id=case.id, offline=offline)
        self._advance(case, AfterSaleStatus.REFUNDING, "refund")
        case.refund_number = refund_number
        if case.kind is AfterSaleKind.REFUND_ONLY and self.status is OrderStatus.PAID:
            self._withdraw(case)
        self._settle_after_sale(refund)
        self._close_if_fully_refunded(now)
        if self.status is OrderStatus.PAID and not any(self.left_to_ship().values()):
            # nothing left to send: what shipped is on its way, or nothing ever will be
            if self.shipments:
                self._move(OrderStatus.SHIPPED, "ship")
            else:
                self._close(CloseReason.ITEMS_WITHDRAWN, now)
        return refund

    def _withdraw(self, case: AfterSale) -> None:
        """Refund-only before shipping: the refunded units will not be sent (ORD-4)."""
        left = self.left_to_ship()
        for line_id, qty in case.items:
            self.withdrawn[line_id] += min(qty, left.get(line_id, 0))

    def _caps_for(self, case: AfterSale) -> dict[str, int]:
        """What this application's items may take, counting it as already claimed."""
        out = {}
        for line_id, qty in case.items:
            line = self.line(line_id)
            before = self._units_claimed(line_id) - qty
            worth = self.due[line_id] * (before + qty) // line.quantity
            out[line_id] = max(0, worth - self.refunded_of_line(line_id))
        return out

    def refund_line(
        self, line_id: str, fen: int, *, refund_number: str, cause: str, now: datetime,
        offline: bool = False,
    ) -> Refund:
        """A staff refund of part of one line, outside an after-sale (VCH-7: unused
        write-off uses).  Capped like every refund: never more than the line was paid
        minus what it already got back (AS-2), nor more than the order was paid."""
        aware(now)
        self._require("refund part of", OrderStatus.PAID, OrderStatus.SHIPPED,
                      OrderStatus.COMPLETED, rule="AS-5")
        self.line(line_id)
        whole(fen, "refund amount (fen)", "AS-2", minimum=1)
        if not cause.strip():
            raise InvalidInput("refund", "needs a cause", rule="AS-5")
        refund = self._new_refund(refund_number, cause, {line_id: fen}, 0, now,
                                  offline=offline)
        self._close_if_fully_refunded(now)
        return refund

    def reship_exchange(
        self, after_sale_id: str, *, carrier: str, tracking_number: str, now: datetime,
    ) -> None:
        case = self.after_sale(after_sale_id)
        if case.kind is not AfterSaleKind.EXCHANGE:
            raise NotAllowed(f"after-sale {case.id}", "is not an exchange", rule="AS-4")
        if not (carrier and tracking_number):
            raise InvalidInput("reshipment", "needs a carrier and a tracking number",
                               rule="AS-4")
        self._advance(case, AfterSaleStatus.RESHIPPED, "reship")
        case.reship_carrier, case.reship_tracking = carrier, tracking_number
        self.events.append(ev.AfterSaleDecided(self.number, now, case.id, "reshipped"))

    def confirm_exchange_received(self, after_sale_id: str, now: datetime) -> None:
        case = self.after_sale(after_sale_id)
        self._advance(case, AfterSaleStatus.EXCHANGED, "receive the exchange of")

    # ------------------------------------------------------------------ AS-5, AS-6
    def _remaining_by_method(self) -> dict[PaymentMethod, int]:
        paid: dict[PaymentMethod, int] = {}
        for payment in self.payments:
            if payment in self._surplus:
                continue
            for method, fen in payment.by_method().items():
                paid[method] = paid.get(method, 0) + fen
        for refund in self.refunds:
            if refund.cause == SURPLUS:
                continue
            for leg in refund.legs:
                paid[leg.method] -= leg.fen
        return paid

    def _new_refund(
        self, number: str, cause: str, by_line: Mapping[str, int], shipping: int,
        now: datetime, *, after_sale_id: str | None = None, offline: bool = False,
    ) -> Refund:
        if any(r.number == number for r in self.refunds):
            raise NotAllowed(f"refund {number!r}", "exists already", rule="AS-6")
        total = sum(by_line.values()) + shipping
        if total > self.paid_fen - self.refunded_fen:
            raise LimitReached(f"refund of {format_yuan(total)}",
                               f"only {format_yuan(self.paid_fen - self.refunded_fen)} "
                               "paid and not refunded", rule="AS-2")
        for line_id, fen in by_line.items():
            if self.refunded_of_line(line_id) + fen > self.due[line_id]:
                raise LimitReached(f"refund of line {line_id}", "more than it was paid",
                                   rule="AS-2")
        legs = [RefundLeg(method, fen, offline=offline)
                for method, fen in split_by_method(total, self._remaining_by_method()).items()]
        paid = [p for p in self.payments if p not in self._surplus]
        refund = Refund(number, cause, tuple(sorted(by_line.items())), shipping, legs, now,
                        after_sale_id, paid[0].transaction_id if paid else None)
        self._start_refund(refund, now)
        return refund

    def _start_refund(self, refund: Refund, now: datetime) -> None:
        """Record the refund; settle what needs no gateway, ask the gateway for the rest."""
        self.refunds.append(refund)
        self.version += 1
        for leg in refund.legs:
            if leg.offline or leg.method is PaymentMethod.MANUAL:
                leg.offline = True
                leg.status = RefundStatus.SUCCEEDED
                self.events.append(ev.RefundSucceeded(self.number, now, refund.number,
                                                      leg.method.value, leg.fen, offline=True))
            elif leg.method is PaymentMethod.BALANCE:
                leg.status = RefundStatus.SUCCEEDED
                self.events.append(ev.RefundSucceeded(self.number, now, refund.number,
                                                      leg.method.value, leg.fen))
            else:
                self.events.append(ev.RefundRequested(self.number, now, refund.number,
                                                      leg.method.value, leg.fen,
                                                      refund.transaction_id))

    def _full_refund(self, number: str, cause: str, now: datetime) -> Refund | None:
        """Everything paid and not yet refunded goes back; nothing to give back, no refund.

        Only a deposit paid (PRE-6): the deposit, spread over the lines by what each is
        due (it is never more than the goods, ``Order.__init__``)."""
        if self.status is OrderStatus.DEPOSIT_PAID:
            weights = {k: v - self.refunded_of_line(k) for k, v in self.due.items()}
            by_line = allocate(self.paid_fen - self.refunded_fen, weights)
            shipping = 0
        else:
            by_line = {line_id: self.due[line_id] - self.refunded_of_line(line_id)
                       for line_id in self.due}
            shipping = self.shipping_due - self.refunded_shipping
        by_line = {k: v for k, v in by_line.items() if v}
        if not by_line and not shipping:
            return None
        return self._new_refund(number, cause, by_line, shipping, now)

    def refund_result(
        self, refund_number: str, method: PaymentMethod, *, ok: bool, now: datetime,
        reason: str | None = None,
    ) -> None:
        """The gateway's answer for one leg. A repeated answer changes nothing (idempotent)."""
        refund = self.refund(refund_number)
        try:
            leg = refund.leg(method)
        except KeyError:
            raise NotFound(f"{method.value} leg", f"not in refund {refund_number}",
                           rule="AS-5") from None
        if leg.status is RefundStatus.SUCCEEDED:
            return  # already settled: a duplicate notification
        if ok:
            leg.status = RefundStatus.SUCCEEDED
            leg.reason = None
            self.events.append(ev.RefundSucceeded(self.number, now, refund_number, method.value,
                                                  leg.fen))
        else:
            if not reason:
                raise InvalidInput("refund failure", "needs the gateway's reason", rule="AS-6")
            if leg.status is RefundStatus.FAILED and leg.reason == reason:
                return
            leg.status = RefundStatus.FAILED
            leg.reason = reason
            self.events.append(ev.RefundFailed(self.number, now, refund_number, method.value,
                                               leg.fen, reason))
        self.version += 1
        self._settle_after_sale(refund)

    def retry_refund(self, refund_number: str, now: datetime) -> None:
        """AS-6: a failed leg goes back to pending and to the gateway again."""
        refund = self.refund(refund_number)
        failed = [leg for leg in refund.legs if leg.status is RefundStatus.FAILED]
        if not failed:
            raise InvalidTransition(f"retry refund {refund_number}", refund.status.value,
                                    rule="AS-6")
        for leg in failed:
            leg.status = RefundStatus.PENDING
            leg.attempts += 1
            self.events.append(ev.RefundRequested(
                self.number, now, refund_number, leg.method.value, leg.fen,
                refund.transaction_id,
            ))
        self.version += 1

    def _settle_after_sale(self, refund: Refund) -> None:
        if refund.after_sale_id is None or refund.status is not RefundStatus.SUCCEEDED:
            return
        case = self.after_sale(refund.after_sale_id)
        if case.status is AfterSaleStatus.REFUNDING:
            case.status = AfterSaleStatus.REFUNDED

    @property
    def fully_refunded(self) -> bool:
        """Every line's goods refunded (AS-7). Shipping may be kept, as on most returns."""
        return self.paid_at is not None and sum(self.due.values()) > 0 and all(
            self.refunded_of_line(line_id) >= due for line_id, due in self.due.items()
        )

    def _close_if_fully_refunded(self, now: datetime) -> None:
        if self.fully_refunded and self.status is not OrderStatus.CLOSED:
            self._close(CloseReason.FULLY_REFUNDED, now)

    # ------------------------------------------------------------------ ORD-10
    STAR_COLOURS = frozenset({"red", "orange", "yellow", "green", "blue", "purple"})

    def set_star(self, colour: str | None) -> None:
        """The merchant's star mark, a filter of the order list (ORD-10); None clears it."""
        if colour is not None and colour not in self.STAR_COLOURS:
            raise InvalidInput("star colour", f"{colour!r} is not one of "
                               f"{', '.join(sorted(self.STAR_COLOURS))}", rule="ORD-10")
        self.star = colour
        self.version += 1

    # ------------------------------------------------------------------ events
    def pull_events(self) -> list[ev.Event]:
        out, self.events = self.events, []
        return out
