"""Order use cases: each one a unit of work, all or nothing, events published after.

The services orchestrate; the rules live in the aggregates: ``Order`` (status,
amounts, refunds), ``Inventory`` (stock, ORD-9), ``PointsAccount`` (PTS, AS-7).
A use case either commits every change it made or none of them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from mallcore.catalog import Catalog, StockStrategy
from mallcore.errors import InvalidInput, LimitReached, NotAllowed
from mallcore.orders.aftersales import AfterSaleKind, AfterSaleStatus
from mallcore.orders.batch_shipping import BatchReport, ShipRow, apply_batch, parse_batch
from mallcore.orders.order import Address, DeliveryMethod, Order, OrderPolicy, ReceiptBy
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.presale import OrderDeposit, ShipTerms
from mallcore.orders.refunds import Refund, RefundStatus
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.ports import EventPublisher, NumberSource, UnitOfWork
from mallcore.pricing.breakdown import PriceBreakdown
from mallcore.services._uow import run as _run
from mallcore.services.campaign_checkout import CampaignCheckout, Ref
from mallcore.services.vouchers import issue_for_order
from mallcore.vouchers import VoucherCatalog


# ---------------------------------------------------------------------- placing
def _checkout(flash: CampaignCheckout | None,
              campaigns: CampaignCheckout | None) -> CampaignCheckout | None:
    """``campaigns=`` is the name; ``flash=`` (its first name) still works."""
    if flash is not None and campaigns is not None and flash is not campaigns:
        raise InvalidInput("campaign checkout", "give campaigns= or flash=, not both",
                           rule="PIPE-5")
    return campaigns if campaigns is not None else flash


def is_first_order(uow: UnitOfWork, customer_id: str) -> bool:
    """ACT-5: a first-order customer has never had an order paid."""
    return not uow.orders.has_paid_order(customer_id)


def place_order(
    uow: UnitOfWork, numbers: NumberSource, *, customer_id: str, breakdown: PriceBreakdown,
    catalog: Catalog, now: datetime, coupon_id: str | None = None,
    address: Address | None = None, policy: OrderPolicy | None = None,
    earned_points: Mapping[str, int] | None = None, publisher: EventPublisher | None = None,
    flash: CampaignCheckout | None = None, campaigns: CampaignCheckout | None = None,
) -> str:
    """Create an order from a priced cart (ORD-9, PTS-4, CPN-4, ACT-5).

    In one unit of work: reserve the stock of lines whose product reduces stock
    at order time; spend the points used; consume the coupon; record whether this
    is the buyer's first order.  With ``campaigns``: refuse a limited-time order
    past a mode (c) limit (LTD-2), copy the pre-sale ship dates and deposit onto
    the order (PRE-3, PRE-6), and, last, use the limits and hold the flash and
    activity stock (FS-2, FS-5, LTD-2, LTD-4).  Any refusal leaves none of them done.
    """
    checkout = _checkout(flash, campaigns)
    if checkout is not None and (timeout := checkout.payment_timeout(breakdown)) is not None:
        policy = attrs.evolve(policy or OrderPolicy(), payment_timeout=timeout)  # FS-3

    def work() -> str:
        ship_terms: dict[str, ShipTerms] = {}
        deposit: OrderDeposit | None = None
        if checkout is not None:
            checkout.check(breakdown, customer_id, now)
            ship_terms, deposit = checkout.order_terms(breakdown)
        number = numbers.next("O")
        strategies = {}
        needs_shipping = {}
        for line in breakdown.lines:
            product, _ = catalog.find_sku(line.sku_id)
            strategies[line.sku_id] = product.stock_strategy
            needs_shipping[line.sku_id] = product.kind.needs_shipping
        order = Order.place(
            number, customer_id, breakdown, now=now, strategies=strategies,
            needs_shipping=needs_shipping, earned_points=earned_points, coupon_id=coupon_id,
            first_order=is_first_order(uow, customer_id), policy=policy, address=address,
            ship_terms=ship_terms, deposit=deposit,
        )
        at_order = [(ln.sku_id, ln.quantity) for ln in order.lines
                    if ln.stock_strategy is StockStrategy.AT_ORDER]
        if at_order:
            uow.inventory.reserve(number, at_order)
        if order.points_spent:
            uow.points.get(customer_id).spend(order.points_spent, f"order {number}", now,
                                              ref=number)
        if coupon_id is not None:
            uow.coupons.redeem(coupon_id, customer_id=customer_id, order_number=number, now=now)
        uow.orders.add(order)
        if checkout is not None:  # last: campaign stock is outside this unit of work (FS-2)
            checkout.submit(number, customer_id, breakdown, now)
        return number

    return _run(uow, publisher, work)


# ---------------------------------------------------------------------- paying
class PaymentOutcome(enum.StrEnum):
    PAID = "paid"
    REFUNDED_OUT_OF_STOCK = "refunded_out_of_stock"  # ORD-9: caught, refunded in full
    REFUNDED_LATE = "refunded_late"  # the order had closed: recorded and refunded
    REFUNDED_SURPLUS = "refunded_surplus"  # the order was paid already: recorded, refunded
    DUPLICATE = "duplicate"  # the same transaction again: acknowledged, no effect
    DEPOSIT_PAID = "deposit_paid"  # PRE-6: the deposit; the balance is due in its window


def pay_order(
    uow: UnitOfWork, numbers: NumberSource, number: str, parts: Iterable[PaymentPart], *,
    transaction_id: str, now: datetime, confirmed_by_merchant: bool = False,
    vouchers: VoucherCatalog | None = None, publisher: EventPublisher | None = None,
    flash: CampaignCheckout | None = None, campaigns: CampaignCheckout | None = None,
) -> PaymentOutcome:
    """Record a payment (ORD-2), by the buyer's gateway or the merchant's confirmation.

    Stock reserved at order time is sold; stock of pay-time lines is taken now,
    and if it is gone the payment is recorded, refunded in full and the order
    closed (ORD-9).  A payment for an order that already closed is recorded and
    refunded in full (ORD-6): money is never lost, and the order is not reopened.

    A deposit pre-sale order (PRE-6) is paid twice: the deposit (``DEPOSIT_PAID``;
    stock is sold and campaign stock confirmed then, the deposit securing the
    goods), then the balance inside its window (``PAID``; vouchers are issued and
    the pre-sale ship dates set).
    """
    parts = tuple(parts)
    checkout = _checkout(flash, campaigns)

    def work() -> tuple[PaymentOutcome, list[Ref]]:
        order = uow.orders.get(number)
        refs = checkout.refs(order) if checkout is not None else []
        if any(p.transaction_id == transaction_id for p in order.payments):
            return PaymentOutcome.DUPLICATE, refs
        if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.DEPOSIT_PAID):
            order.accept_surplus_payment(parts, transaction_id=transaction_id,
                                         refund_number=numbers.next("R"), now=now)
            return (PaymentOutcome.REFUNDED_LATE if order.status is OrderStatus.CLOSED
                    else PaymentOutcome.REFUNDED_SURPLUS), refs
        first = order.status is OrderStatus.PENDING_PAYMENT
        order.pay(parts, transaction_id=transaction_id, now=now,
                  confirmed_by_merchant=confirmed_by_merchant)
        if first:
            outcome = _take_stock(uow, numbers, order, now)
            if outcome is not None:
                return outcome, refs
        if order.status is OrderStatus.DEPOSIT_PAID:
            return PaymentOutcome.DEPOSIT_PAID, refs
        if vouchers is not None:  # VCH-1: paid, so its vouchers are issued, in the same UoW
            issue_for_order(uow, vouchers, order, numbers, now)
        return PaymentOutcome.PAID, refs

    outcome, refs = _run(uow, publisher, work)
    if checkout is not None and outcome in (PaymentOutcome.PAID, PaymentOutcome.DEPOSIT_PAID):
        checkout.confirm(refs)
    elif checkout is not None and outcome is PaymentOutcome.REFUNDED_OUT_OF_STOCK:
        checkout.release(refs)
    return outcome


def _take_stock(uow: UnitOfWork, numbers: NumberSource, order: Order,
                now: datetime) -> PaymentOutcome | None:
    """The first payment sells the stock (ORD-9); ``REFUNDED_OUT_OF_STOCK`` when the
    pay-time stock is gone (the order is then refunded and closed)."""
    number = order.number
    at_payment = [(ln.sku_id, ln.quantity) for ln in order.lines
                  if ln.stock_strategy is StockStrategy.AT_PAYMENT]
    if at_payment:
        try:
            uow.inventory.take(number, at_payment)
        except LimitReached:
            uow.inventory.release(number)
            order.refuse_paid_without_stock(numbers.next("R"), now)
            _give_back_points_and_coupon(uow, order, now, "out of stock")
            return PaymentOutcome.REFUNDED_OUT_OF_STOCK
    if uow.inventory.reservation(number) is not None:
        uow.inventory.commit(number)
    return None


def adjust_price(
    uow: UnitOfWork, number: str, *, goods_delta: int = 0, shipping_delta: int = 0,
    now: datetime, by: str, reason: str, publisher: EventPublisher | None = None,
) -> int:
    """ORD-3; returns the new amount due."""
    def work() -> int:
        order = uow.orders.get(number)
        order.adjust_price(goods_delta=goods_delta, shipping_delta=shipping_delta, now=now,
                           by=by, reason=reason)
        return order.payable_fen

    return _run(uow, publisher, work)


# ---------------------------------------------------------------------- closing
def _give_back_points_and_coupon(uow: UnitOfWork, order: Order, now: datetime,
                                 why: str) -> None:
    """AS-7: spent points return when an order is cancelled or fully refunded;
    CPN-5: the coupon returns only when the shop switched that on."""
    if order.points_spent:
        uow.points.get(order.customer_id).refund(
            order.points_spent, f"order {order.number} {why}", now, order.number)
    if order.coupon_id is not None and order.policy.return_coupon_on_close:
        uow.coupons.restore(order.coupon_id, order_number=order.number, now=now)


def close_unpaid(
    uow: UnitOfWork, number: str, *, reason: CloseReason, now: datetime,
    publisher: EventPublisher | None = None, flash: CampaignCheckout | None = None,
    campaigns: CampaignCheckout | None = None,
) -> None:
    """Buyer cancel or merchant close of an unpaid order: stock and points go back,
    and the campaign stock and limits once the close is committed (FS-3, LTD-4)."""
    checkout = _checkout(flash, campaigns)

    def work() -> list[Ref]:
        order = uow.orders.get(number)
        order.close_unpaid(reason, now)
        uow.inventory.release(number)
        _give_back_points_and_coupon(uow, order, now, "closed")
        return checkout.refs(order) if checkout is not None else []

    refs = _run(uow, publisher, work)
    if checkout is not None:
        checkout.release(refs)


def close_due_orders(
    uow: UnitOfWork, now: datetime, publisher: EventPublisher | None = None,
    flash: CampaignCheckout | None = None, *, campaigns: CampaignCheckout | None = None,
    numbers: NumberSource | None = None,
) -> list[str]:
    """ORD-6: close every unpaid order whose time ran out at ``now``; release their
    stock and return their points.  Returns the numbers closed.

    With ``numbers`` (refund numbers), deposit pre-sale orders whose balance window
    ended unpaid are settled too (PRE-6): the deposit forfeited or refunded as the
    pre-sale says, the order closed, its stock back on sale and its points back.
    """
    checkout = _checkout(flash, campaigns)

    def work() -> tuple[list[str], list[Ref]]:
        closed = []
        refs: list[Ref] = []
        for order in uow.orders:
            if order.due_for_closing(now):
                order.close_unpaid(CloseReason.PAYMENT_TIMEOUT, now)
                uow.inventory.release(order.number)
                _give_back_points_and_coupon(uow, order, now, "timed out")
                closed.append(order.number)
                refs += checkout.refs(order) if checkout is not None else []
            elif numbers is not None and order.due_for_settlement(now):
                order.settle_missed_balance(numbers.next("R"), now)
                _restock_all(uow, order)
                _give_back_points_and_coupon(uow, order, now, "balance missed")
                closed.append(order.number)
        return sorted(closed), refs

    closed, refs = _run(uow, publisher, work)
    if checkout is not None:  # FS-3: campaign stock goes back once the close is committed
        checkout.release(refs)
    return closed


def refund_deposit(
    uow: UnitOfWork, numbers: NumberSource, number: str, *, reason: str, now: datetime,
    publisher: EventPublisher | None = None,
) -> str | None:
    """PRE-6: the merchant refunds the deposit of an order awaiting its balance (the
    pre-sale is cancelled, or the buyer asked); the order closes, its stock goes back
    on sale and its points back.  Returns the refund number."""
    def work() -> str | None:
        order = uow.orders.get(number)
        made = order.refund_deposit(numbers.next("R"), reason=reason, now=now)
        _restock_all(uow, order)
        _give_back_points_and_coupon(uow, order, now, "deposit refunded")
        return made.number if made is not None else None

    return _run(uow, publisher, work)


def _restock_all(uow: UnitOfWork, order: Order) -> None:
    """Cancelled before shipping: what was sold to the order goes back on sale."""
    sold = uow.inventory.sold_under(order.number)
    items = [(sku, qty) for sku, qty in sold if qty]
    if items:
        uow.inventory.restock(order.number, items)


def merchant_cancel(
    uow: UnitOfWork, numbers: NumberSource, number: str, *, refund: bool, now: datetime,
    publisher: EventPublisher | None = None,
) -> str | None:
    """ORD-8: cancel an unshipped paid order, refunding in full or not; returns the
    refund number."""
    def work() -> str | None:
        order = uow.orders.get(number)
        made = order.merchant_cancel(refund_number=numbers.next("R") if refund else None,
                                     now=now)
        _restock_all(uow, order)
        _give_back_points_and_coupon(uow, order, now, "cancelled")
        return made.number if made else None

    return _run(uow, publisher, work)


def request_cancellation(uow: UnitOfWork, number: str, *, reason: str, now: datetime,
                         publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).request_cancellation(reason, now))


def reject_cancellation(uow: UnitOfWork, number: str, *, reason: str, now: datetime,
                        publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).reject_cancellation(reason, now))


def agree_cancellation(
    uow: UnitOfWork, numbers: NumberSource, number: str, *, refund: bool, now: datetime,
    publisher: EventPublisher | None = None,
) -> str | None:
    def work() -> str | None:
        order = uow.orders.get(number)
        made = order.agree_cancellation(
            refund_number=numbers.next("R") if refund else None, now=now)
        _restock_all(uow, order)
        _give_back_points_and_coupon(uow, order, now, "cancelled")
        return made.number if made else None

    return _run(uow, publisher, work)


# ---------------------------------------------------------------------- shipping
def ship_order(
    uow: UnitOfWork, numbers: NumberSource, number: str, *, now: datetime,
    lines: Mapping[str, int] | None = None, method: DeliveryMethod = DeliveryMethod.EXPRESS,
    carrier: str | None = None, tracking_number: str | None = None,
    publisher: EventPublisher | None = None,
) -> str:
    def work() -> str:
        shipment = uow.orders.get(number).ship(
            numbers.next("S"), now=now, lines=lines, method=method, carrier=carrier,
            tracking_number=tracking_number)
        return shipment.id

    return _run(uow, publisher, work)


def batch_ship(
    uow: UnitOfWork, numbers: NumberSource, source: str | Iterable[str], *, now: datetime,
    publisher: EventPublisher | None = None,
) -> BatchReport:
    """ORD-7: ship from a file; each row is its own unit of work, so good rows are
    applied and bad rows reported with their reason."""
    batch = parse_batch(source)

    def ship_row(row: ShipRow) -> None:
        order = uow.orders.get(row.order_number)
        if order.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
            raise NotAllowed(f"order {row.order_number}", "already shipped", rule="ORD-7")
        if order.status is not OrderStatus.PAID:
            raise NotAllowed(f"order {row.order_number}", f"is {order.status.value}, not paid",
                             rule="ORD-7")
        ship_order(uow, numbers, row.order_number, now=now, carrier=row.carrier.code,
                   tracking_number=row.tracking_number, publisher=publisher)

    return apply_batch(batch, ship_row)


def mark_signed(uow: UnitOfWork, number: str, *, now: datetime,
                publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).mark_signed(now))


# ---------------------------------------------------------------------- receipt
def _complete(uow: UnitOfWork, order: Order, by: ReceiptBy, now: datetime) -> None:
    order.confirm_receipt(by=by, now=now)
    earned = sum(line.earned_points for line in order.lines)
    if earned:
        uow.points.get(order.customer_id).earn(earned, f"order {order.number} completed", now,
                                               ref=order.number)


def confirm_receipt(uow: UnitOfWork, number: str, *, by: ReceiptBy, now: datetime,
                    publisher: EventPublisher | None = None) -> None:
    """ORD-5: the buyer or the merchant confirms; points earned are granted (PTS-1)."""
    _run(uow, publisher, lambda: _complete(uow, uow.orders.get(number), by, now))


def auto_confirm_due(uow: UnitOfWork, now: datetime,
                     publisher: EventPublisher | None = None) -> list[str]:
    """ORD-5: complete every shipped order whose confirmation period ran out."""
    def work() -> list[str]:
        done = []
        for order in uow.orders:
            if order.due_for_auto_receipt(now):
                _complete(uow, order, ReceiptBy.AUTO, now)
                done.append(order.number)
        return sorted(done)

    return _run(uow, publisher, work)


# ---------------------------------------------------------------------- after-sales
def apply_after_sale(
    uow: UnitOfWork, numbers: NumberSource, number: str, *, kind: AfterSaleKind,
    reason: str, items: Mapping[str, int], fen: int, now: datetime,
    publisher: EventPublisher | None = None,
) -> str:
    def work() -> str:
        case = uow.orders.get(number).apply_after_sale(
            numbers.next("A"), kind=kind, reason=reason, items=items, fen=fen, now=now)
        return case.id

    return _run(uow, publisher, work)


def reject_after_sale(uow: UnitOfWork, number: str, after_sale_id: str, *, reason: str,
                      now: datetime, publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).reject_after_sale(
        after_sale_id, reason=reason, now=now))


def approve_return(uow: UnitOfWork, number: str, after_sale_id: str, *, now: datetime,
                   publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).approve_return(after_sale_id, now))


def record_return_shipment(
    uow: UnitOfWork, number: str, after_sale_id: str, *, carrier: str, tracking_number: str,
    now: datetime, publisher: EventPublisher | None = None,
) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).record_return_shipment(
        after_sale_id, carrier=carrier, tracking_number=tracking_number, now=now))


def receive_return(uow: UnitOfWork, number: str, after_sale_id: str, *, now: datetime,
                   publisher: EventPublisher | None = None) -> None:
    """The returned goods arrived: they go back on sale (AS-3)."""
    def work() -> None:
        order = uow.orders.get(number)
        order.receive_return(after_sale_id, now)
        case = order.after_sale(after_sale_id)
        items = [(order.line(line_id).sku_id, qty) for line_id, qty in case.items]
        uow.inventory.restock(number, items)

    _run(uow, publisher, work)


def refund_after_sale(
    uow: UnitOfWork, numbers: NumberSource, number: str, after_sale_id: str, *,
    now: datetime, offline: bool = False, publisher: EventPublisher | None = None,
) -> str:
    """AS-3: refund online (or record an offline refund); a full refund closes the
    order, returns spent points and revokes earned ones (AS-7)."""
    def work() -> str:
        order = uow.orders.get(number)
        withdrawn_before = dict(order.withdrawn)
        refund = order.refund_after_sale(after_sale_id, refund_number=numbers.next("R"),
                                         now=now, offline=offline)
        withdrawn = [(order.line(line_id).sku_id, n - withdrawn_before[line_id])
                     for line_id, n in order.withdrawn.items() if n > withdrawn_before[line_id]]
        if withdrawn:  # refunded before they shipped: back on sale
            uow.inventory.restock(number, withdrawn)
        _after_refund(uow, order, now)
        return refund.number

    return _run(uow, publisher, work)


def _after_refund(uow: UnitOfWork, order: Order, now: datetime) -> None:
    if order.close_reason not in (CloseReason.FULLY_REFUNDED, CloseReason.ITEMS_WITHDRAWN):
        return
    _give_back_points_and_coupon(uow, order, now, "fully refunded")
    earned = sum(line.earned_points for line in order.lines)
    if earned and order.completed_at is not None and order.fully_refunded:
        uow.points.get(order.customer_id).revoke(earned, f"order {order.number} fully refunded",
                                                 now, order.number)


def reship_exchange(
    uow: UnitOfWork, number: str, after_sale_id: str, *, carrier: str, tracking_number: str,
    now: datetime, publisher: EventPublisher | None = None,
) -> None:
    """AS-4: the replacement goes out, and its stock with it."""
    def work() -> None:
        order = uow.orders.get(number)
        order.reship_exchange(after_sale_id, carrier=carrier, tracking_number=tracking_number,
                              now=now)
        case = order.after_sale(after_sale_id)
        uow.inventory.take(f"{number}/{after_sale_id}",
                           [(order.line(line_id).sku_id, qty) for line_id, qty in case.items])

    _run(uow, publisher, work)


def confirm_exchange_received(uow: UnitOfWork, number: str, after_sale_id: str, *,
                              now: datetime, publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).confirm_exchange_received(
        after_sale_id, now))


def refund_result(
    uow: UnitOfWork, number: str, refund_number: str, method: PaymentMethod, *, ok: bool,
    now: datetime, reason: str | None = None, publisher: EventPublisher | None = None,
) -> RefundStatus:
    """The gateway's answer for one leg (AS-6); repeats are acknowledged, no effect."""
    def work() -> RefundStatus:
        order = uow.orders.get(number)
        order.refund_result(refund_number, method, ok=ok, now=now, reason=reason)
        return order.refund(refund_number).status

    return _run(uow, publisher, work)


def retry_refund(uow: UnitOfWork, number: str, refund_number: str, *, now: datetime,
                 publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.orders.get(number).retry_refund(refund_number, now))


@attrs.frozen
class RefundView:
    number: str
    status: RefundStatus
    fen: int


def pending_refunds(uow: UnitOfWork) -> list[tuple[str, RefundView]]:
    """Refunds not yet settled, failed ones first: the retry queue (AS-6)."""
    out = []
    with uow:
        for order in uow.orders:
            for refund in order.refunds:
                if refund.status is not RefundStatus.SUCCEEDED:
                    out.append((order.number, RefundView(refund.number, refund.status,
                                                         refund.fen)))
    return sorted(out, key=lambda item: (item[1].status is not RefundStatus.FAILED, item[0]))


__all__ = [
    "AfterSaleStatus", "PaymentOutcome", "Refund", "RefundView", "adjust_price",
    "agree_cancellation", "apply_after_sale", "approve_return", "auto_confirm_due",
    "batch_ship", "close_due_orders", "close_unpaid", "confirm_exchange_received",
    "confirm_receipt", "is_first_order",
    "mark_signed", "merchant_cancel", "pay_order", "pending_refunds", "place_order",
    "receive_return", "record_return_shipment", "refund_after_sale", "refund_deposit",
    "refund_result",
    "reject_after_sale", "reject_cancellation", "request_cancellation", "reship_exchange",
    "retry_refund",
    "ship_order",
]
