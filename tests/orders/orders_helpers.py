"""Builders, a state fingerprint and invariant checks for the ``test_orders_*`` modules.

Imported as ``orders_helpers`` (``conftest.py`` puts this directory on ``sys.path``).

Everything goes through ``mallcore.services.orders`` over a ``MemoryUnitOfWork``.  That
unit of work restores a deep copy of its state when a use case is refused, so the
objects it held before are replaced: always read through ``shop.order(n)`` and
``shop.level(sku)``, never keep an ``Order`` or ``Inventory`` across a service call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from mallcore.catalog import Catalog, Product, ProductKind, Sku, StockStrategy
from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.errors import InvalidTransition
from mallcore.inventory import Inventory
from mallcore.inventory.stock import MovementKind, StockLevel
from mallcore.memory import MemoryUnitOfWork, RecordingPublisher, SequentialNumbers
from mallcore.money import Rate, money
from mallcore.orders.aftersales import AfterSaleKind
from mallcore.orders.order import DeliveryMethod, Order, OrderPolicy, ReceiptBy
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.status import OrderStatus
from mallcore.pricing import Buyer, Cart, PricingPipeline
from mallcore.promotions import (
    ALWAYS,
    EVERYONE,
    Activity,
    ProductScope,
    ReductionTier,
    TieredReduction,
)
from mallcore.promotions.presale import PreSale, PreSaleItem, PreSaleRule, ShipAfterPayment
from mallcore.promotions.presale_deposit import DepositTerms
from mallcore.promotions.window import Window
from mallcore.services import orders as svc
from mallcore.services.campaign_checkout import CampaignCheckout

CST = timezone(timedelta(hours=8))
#: Every test starts here; the customer's points were earned a day before.
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=CST)
START_POINTS = 200

#: SKU -> (product id, name, price, stock, strategy, kind)
SKUS: dict[str, tuple[str, str, str, int, StockStrategy, ProductKind]] = {
    "tea": ("p-tea", "Longjing Tea", "50.00", 10, StockStrategy.AT_ORDER, ProductKind.PHYSICAL),
    "cup": ("p-cup", "Tea Cup", "20.00", 3, StockStrategy.AT_PAYMENT, ProductKind.PHYSICAL),
    "pot": ("p-pot", "Clay Pot", "88.00", 5, StockStrategy.AT_ORDER, ProductKind.PHYSICAL),
    "card": ("p-card", "Tasting Card", "30.00", 10, StockStrategy.AT_ORDER, ProductKind.VIRTUAL),
    "cake": ("p-cake", "Mooncake Box", "100.00", 10, StockStrategy.AT_ORDER,
             ProductKind.PHYSICAL),
}

#: PRE-6: the deposit pre-sale of "cake" every shop runs: sold until T0 + 2 days at
#: 80.00, a deposit of 10.00 per box (forfeited when the balance is missed), the
#: balance from T0 + 2 days to T0 + 5 days, shipping 3 days after the balance.
BALANCE_OPENS = T0 + timedelta(days=2)
BALANCE_ENDS = T0 + timedelta(days=5)


def cake_presale(*, forfeit: bool = True) -> PreSale:
    terms = DepositTerms(money("10.00"), Window(BALANCE_OPENS, BALANCE_ENDS),
                         forfeit_on_missed_balance=forfeit)
    return PreSale("pre-cake", "中秋定金预售", Window(T0 - timedelta(days=1), BALANCE_OPENS),
                   [PreSaleItem("cake", money("80.00"))], ShipAfterPayment(3), terms)


def spend_100_save_15() -> Activity:
    """A store-wide stage-1 activity (ACT-1): spend 100.00, save 15.00."""
    return Activity("a-save15", "spend 100 save 15",
                    TieredReduction([ReductionTier(money("100"), money("15"))]),
                    ProductScope(), EVERYONE, ALWAYS)


def three_yuan_coupon() -> CouponOffer:
    return CouponOffer("cp-3", "3.00 off", FixedAmount(money("3")))


class Shop:
    """A small shop: catalogue, stock, one customer with points, and the order services."""

    def __init__(self, stock: Mapping[str, int] | None = None, *,
                 activities: Sequence[Activity] = (), points: int = START_POINTS,
                 customers: Iterable[str] = ("c1",), forfeit: bool = True) -> None:
        levels = {sku: spec[3] for sku, spec in SKUS.items()}
        levels.update(stock or {})
        self.catalog = Catalog([
            Product(id=pid, name=name, skus=[Sku(id=sku, price=money(price), stock=levels[sku])],
                    on_shelf=True, stock_strategy=strategy, kind=kind)
            for sku, (pid, name, price, _, strategy, kind) in SKUS.items()
        ])
        inventory = Inventory()
        for sku, qty in levels.items():
            if qty:
                inventory.receive(sku, qty, ref="initial")
            else:
                inventory.set_oversell(sku, False)
        self.received = dict(levels)
        self.uow = MemoryUnitOfWork(catalog=self.catalog, inventory=inventory)
        self.numbers = SequentialNumbers()
        self.publisher = RecordingPublisher()
        self.presale = cake_presale(forfeit=forfeit)
        self.campaigns = CampaignCheckout(presales=[self.presale])
        self.pipeline = PricingPipeline(activities, line_rules=[PreSaleRule(self.presale)])
        for customer in customers:
            if points:
                self.uow.points.get(customer).earn(points, "welcome gift", T0 - timedelta(days=1))

    # -------------------------------------------------------------- reading
    def order(self, number: str) -> Order:
        return self.uow.orders.get(number)

    def level(self, sku: str) -> StockLevel:
        return self.uow.inventory.level(sku)

    def points(self, customer: str = "c1", now: datetime = T0) -> int:
        return self.uow.points.get(customer).balance(now)

    def events(self, kind: type | None = None) -> list[Any]:
        return [e for e in self.publisher.events if kind is None or isinstance(e, kind)]

    # -------------------------------------------------------------- use cases
    def price(self, items: Sequence[tuple[str, int]], *, shipping: str = "5.00",
              points: int = 0, coupon: CouponOffer | None = None, member: str | None = None,
              customer: str = "c1", now: datetime = T0) -> Any:
        cart = Cart.from_catalog(self.catalog, items, shipping=money(shipping))
        buyer = Buyer(customer, member_discount=Rate.zhe(member) if member else None,
                      points_balance=self.points(customer, now))
        return self.pipeline.price(cart, now=now, buyer=buyer, points=points, coupon=coupon)

    def place(self, items: Sequence[tuple[str, int]], *, shipping: str = "5.00",
              points: int = 0, coupon: CouponOffer | None = None, coupon_id: str | None = None,
              member: str | None = None, customer: str = "c1",
              policy: OrderPolicy | None = None, earned: Mapping[str, int] | None = None,
              now: datetime = T0) -> str:
        breakdown = self.price(items, shipping=shipping, points=points, coupon=coupon,
                               member=member, customer=customer, now=now)
        return svc.place_order(self.uow, self.numbers, customer_id=customer,
                               breakdown=breakdown, catalog=self.catalog, now=now,
                               coupon_id=coupon_id, policy=policy, earned_points=earned,
                               publisher=self.publisher, campaigns=self.campaigns)

    def place_discounted(self, now: datetime = T0, **kw: Any) -> str:
        """Three lines through every pipeline stage: activity, coupon, 9折 member, points."""
        kw.setdefault("shipping", "6.00")
        return self.place([("tea", 2), ("cup", 1), ("pot", 1)], coupon=three_yuan_coupon(),
                          member="9", points=kw.pop("points", 10), now=now, **kw)

    def pay(self, number: str, parts: Sequence[tuple[PaymentMethod, int]] | None = None, *,
            tx: str | None = None, now: datetime = T0, merchant: bool = False) -> Any:
        """Pay the amount due (WeChat by default); ``parts`` may list (method, fen)."""
        if parts is None:
            due = self.order(number).payable_fen
            parts = [(PaymentMethod.WECHAT, due)] if due else []
        return svc.pay_order(self.uow, self.numbers, number,
                             [PaymentPart(m, fen) for m, fen in parts],
                             transaction_id=tx or f"tx-{number}", now=now,
                             confirmed_by_merchant=merchant, publisher=self.publisher,
                             campaigns=self.campaigns)

    def ship(self, number: str, *, now: datetime = T0, lines: Mapping[str, int] | None = None,
             method: DeliveryMethod = DeliveryMethod.EXPRESS, carrier: str | None = "SF",
             tracking: str | None = None) -> str:
        if method is DeliveryMethod.EXPRESS and tracking is None:
            tracking = f"SF{len(self.order(number).shipments) + 1:04d}{number}"
        return svc.ship_order(self.uow, self.numbers, number, now=now, lines=lines,
                              method=method, carrier=carrier, tracking_number=tracking,
                              publisher=self.publisher)

    def confirm(self, number: str, *, now: datetime = T0, by: ReceiptBy = ReceiptBy.BUYER) -> None:
        svc.confirm_receipt(self.uow, number, by=by, now=now, publisher=self.publisher)

    def pay_deposit(self, number: str, *, now: datetime = T0, tx: str | None = None) -> Any:
        """PRE-6: pay exactly the deposit of a deposit pre-sale order (WeChat)."""
        deposit = self.order(number).deposit
        assert deposit is not None
        return self.pay(number, [(PaymentMethod.WECHAT, deposit.deposit_fen)], now=now,
                        tx=tx or f"dep-{number}")

    def pay_balance(self, number: str, *, now: datetime = BALANCE_OPENS,
                    tx: str | None = None) -> Any:
        """PRE-6: pay what is still due, by default when the balance window opens."""
        order = self.order(number)
        return self.pay(number, [(PaymentMethod.WECHAT, order.payable_fen - order.paid_fen)],
                        now=now, tx=tx or f"bal-{number}")

    def deposit_order(self, boxes: int = 2, *, now: datetime = T0, **kw: Any) -> str:
        """A cake order with its deposit paid: awaiting the balance (PRE-6)."""
        number = self.place([("cake", boxes)], now=now, **kw)
        assert self.pay_deposit(number, now=now) is svc.PaymentOutcome.DEPOSIT_PAID
        return number

    def paid_order(self, items: Sequence[tuple[str, int]] = (("tea", 2), ("pot", 1)),
                   *, parts: Sequence[tuple[PaymentMethod, int]] | None = None,
                   now: datetime = T0, **kw: Any) -> str:
        number = self.place(items, now=now, **kw)
        assert self.pay(number, parts, now=now) is svc.PaymentOutcome.PAID
        return number

    def shipped_order(self, items: Sequence[tuple[str, int]] = (("tea", 2), ("pot", 1)),
                      *, now: datetime = T0, **kw: Any) -> str:
        number = self.paid_order(items, now=now, **kw)
        self.ship(number, now=now)
        return number

    def completed_order(self, items: Sequence[tuple[str, int]] = (("tea", 2), ("pot", 1)),
                        *, now: datetime = T0, **kw: Any) -> str:
        number = self.shipped_order(items, now=now, **kw)
        self.confirm(number, now=now)
        return number

    def apply(self, number: str, kind: AfterSaleKind, items: Mapping[str, int],
              fen: int | None = None, *, now: datetime = T0, reason: str = "damaged") -> str:
        """Apply for an after-sale; ``fen`` defaults to all that is refundable (0 for exchange)."""
        if fen is None:
            fen = 0 if kind is AfterSaleKind.EXCHANGE else sum(
                self.order(number).refundable_for(items).values())
        return svc.apply_after_sale(self.uow, self.numbers, number, kind=kind, reason=reason,
                                    items=items, fen=fen, now=now, publisher=self.publisher)

    def refund_only(self, number: str, items: Mapping[str, int], fen: int | None = None, *,
                    now: datetime = T0, offline: bool = False, settle: bool = True) -> str:
        """Apply for refund-only and refund it at once (AS-3); returns the refund number.

        With ``settle`` the gateway answers "ok" for every online leg, which closes
        the application (a pending refund keeps it open)."""
        case = self.apply(number, AfterSaleKind.REFUND_ONLY, items, fen, now=now)
        made = svc.refund_after_sale(self.uow, self.numbers, number, case, now=now,
                                     offline=offline, publisher=self.publisher)
        if settle:
            self.settle(number, made, now=now)
        return made

    def settle(self, number: str, refund: str, *, now: datetime = T0) -> None:
        """The gateway reports success for every leg of ``refund`` still waiting."""
        for leg in self.order(number).refund(refund).legs:
            if leg.status is not RefundStatus.SUCCEEDED:
                svc.refund_result(self.uow, number, refund, leg.method, ok=True, now=now,
                                  publisher=self.publisher)

    def return_flow(self, number: str, items: Mapping[str, int], fen: int | None = None, *,
                    now: datetime = T0) -> tuple[str, str]:
        """Return and refund, all the way: (after-sale id, refund number)."""
        case = self.apply(number, AfterSaleKind.RETURN_AND_REFUND, items, fen, now=now)
        svc.approve_return(self.uow, number, case, now=now, publisher=self.publisher)
        svc.record_return_shipment(self.uow, number, case, carrier="SF",
                                   tracking_number=f"SFBACK{case}", now=now,
                                   publisher=self.publisher)
        svc.receive_return(self.uow, number, case, now=now, publisher=self.publisher)
        refund = svc.refund_after_sale(self.uow, self.numbers, number, case, now=now,
                                       publisher=self.publisher)
        return case, refund


# ------------------------------------------------------------------ fingerprints
def _order_state(order: Order) -> tuple[Any, ...]:
    return (
        order.number, order.status, order.close_reason, order.closed_at, dict(order.due),
        order.shipping_due, tuple(order.adjustments), tuple(order.payments), order.paid_at,
        tuple(order.shipments), order.signed_at, order.completed_at, order.review,
        order.cancellation_request, repr(order.after_sales), repr(order.refunds), order.star,
        order.version, order.logistics, order.lines, repr(order.deposit),
    )


def snapshot(uow: MemoryUnitOfWork) -> tuple[Any, ...]:
    """Everything a use case may change, by value: orders, stock, points, coupons."""
    orders = tuple(sorted((_order_state(o) for o in uow.orders), key=lambda s: s[0]))
    inventory = uow.inventory
    levels = tuple((sku, inventory.level(sku)) for sku in inventory.skus())
    reservations = tuple((o.number, inventory.reservation(o.number),
                          inventory.sold_under(o.number)) for o in uow.orders)
    points = tuple(sorted(
        (cid, account.entries) for cid, account in uow.points._accounts.items()
    ))
    return (orders, levels, inventory.movements, reservations, points, dict(uow.coupons.used))


# ------------------------------------------------------------------ checks
def assert_refused_transition(exc: InvalidTransition, action: str, status: OrderStatus | str,
                              number: str | None = None) -> None:
    """ORD-1: the error names both the action and the current status."""
    status_text = status.value if isinstance(status, OrderStatus) else status
    message = str(exc)
    assert exc.status == status_text, message
    assert action in exc.action, message
    assert action in message and status_text in message, message
    if number is not None:
        assert number in message, message


def check_order_amounts(order: Order) -> None:
    """PIPE-3 / AS-2 invariants of one order's money."""
    assert all(fen >= 0 for fen in order.due.values()), order.due
    assert order.shipping_due >= 0
    assert sum(order.due.values()) + order.shipping_due == order.payable_fen
    paid_by_method: dict[PaymentMethod, int] = {}
    late = {r.number for r in order.refunds if r.cause == "surplus_payment"}
    for payment in order.payments:
        for method, fen in payment.by_method().items():
            paid_by_method[method] = paid_by_method.get(method, 0) + fen
    refunded_by_method: dict[PaymentMethod, int] = {}
    for refund in order.refunds:
        for leg in refund.legs:
            assert leg.fen > 0, refund
            refunded_by_method[leg.method] = refunded_by_method.get(leg.method, 0) + leg.fen
        if refund.number in late:
            continue
        assert refund.fen == sum(fen for _, fen in refund.lines) + refund.shipping_fen, refund
    for method, fen in refunded_by_method.items():
        assert fen <= paid_by_method.get(method, 0), (method, refunded_by_method, paid_by_method)
    for line_id, due in order.due.items():
        assert 0 <= order.refunded_of_line(line_id) <= due, (line_id, order.refunds)
    assert order.refunded_shipping <= order.shipping_due
    assert order.refunded_fen <= order.paid_fen


def received(uow: MemoryUnitOfWork, sku: str) -> int:
    return sum(m.quantity for m in uow.inventory.movements
               if m.sku == sku and m.kind is MovementKind.RECEIVE)


def check_stock(uow: MemoryUnitOfWork) -> None:
    """ORD-9 / ORD-6: every unit is available, reserved or sold; none oversold or lost."""
    for sku in uow.inventory.skus():
        level = uow.inventory.level(sku)
        assert level.available >= 0 and level.reserved >= 0 and level.sold >= 0, (sku, level)
        assert level.total == received(uow, sku), (sku, level)


def expected_reserved(uow: MemoryUnitOfWork) -> dict[str, int]:
    """Stock that unpaid orders hold under the order-time strategy (ORD-9)."""
    out: dict[str, int] = {}
    for order in uow.orders:
        if order.status is OrderStatus.PENDING_PAYMENT:
            for line in order.lines:
                if line.stock_strategy is StockStrategy.AT_ORDER:
                    out[line.sku_id] = out.get(line.sku_id, 0) + line.quantity
    return out
