"""Limited-time lines through orders: activity stock (LTD-4) and per-person counts (LTD-2)
used at submission, given back on close, sold on payment; mode (c) refused by
``place_order``; mode (b) split into discounted and regular units (PIPE-5)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.catalog import Catalog, Product, Sku
from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.errors import LimitReached
from mallcore.inventory import Inventory
from mallcore.memory import MemoryUnitOfWork, SequentialNumbers
from mallcore.money import money
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.pricing import Buyer, Cart, PriceBreakdown, PricingPipeline, SkipReason, Stage
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import FlashLimits, FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.flash_stock import MemoryFlashStock
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeItem,
    LimitMode,
    PersonLimit,
    PriceMode,
    stock_key,
)
from mallcore.promotions.limited_time_checkout import LimitedTimeCampaign
from mallcore.services import orders as svc
from mallcore.services.campaign_checkout import CampaignCheckout

CST = timezone(timedelta(hours=8))
START = datetime(2026, 5, 1, 10, tzinfo=CST)
NOW = START + timedelta(minutes=5)
KEY = stock_key("ltd")


def discount(stock: int, limit: PersonLimit | None) -> LimitedTimeDiscount:
    return LimitedTimeDiscount(
        "ltd", "限时7折", Window(START, START + timedelta(days=1)),
        [LimitedTimeItem("shoe-40", "shoe", PriceMode.DISCOUNT, "7", money("100.00"), stock, 50)],
        limit=limit)


class LtdShop:
    def __init__(self, stock: int = 5, limit: PersonLimit | None = None,
                 *, flash: bool = False) -> None:
        self.catalog = Catalog([
            Product(id="shoe", name="跑鞋", on_shelf=True,
                    skus=[Sku(id="shoe-40", price=money("100.00"), stock=50)]),
            Product(id="buds", name="耳机", on_shelf=True,
                    skus=[Sku(id="buds", price=money("199.00"), stock=50)]),
        ])
        inventory = Inventory()
        inventory.receive("shoe-40", 50, ref="po")
        inventory.receive("buds", 50, ref="po")
        self.uow = MemoryUnitOfWork(catalog=self.catalog, inventory=inventory)
        self.numbers = SequentialNumbers()
        self.stock = MemoryFlashStock()  # one store for flash and activity stock
        self.counts = FlashLimits()
        self.campaign = LimitedTimeCampaign(discount(stock, limit), stock=self.stock,
                                            counts=self.counts)
        rules: list[FlashSaleRule] = []
        if flash:
            sale = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)),
                             [FlashSaleItem("buds", money("99.00"), 3, per_user_limit=1)])
            rules.append(FlashSaleRule(sale, self.stock, FlashLimits()))
        self.checkout = CampaignCheckout(flash=rules, limited=[self.campaign])
        self.pipeline = PricingPipeline(line_rules=[self.campaign.rule, *rules])

    def quote(self, customer: str, items: list[tuple[str, int]], now: datetime = NOW,
              coupon: CouponOffer | None = None) -> PriceBreakdown:
        cart = Cart.from_catalog(self.catalog, items)
        rule = self.campaign.rule.for_cart(cart)
        pipeline = PricingPipeline(line_rules=[rule, *self.checkout.flash.values()])
        return pipeline.price(cart, now=now, buyer=Buyer(customer), coupon=coupon)

    def place(self, customer: str, items: list[tuple[str, int]], now: datetime = NOW,
              breakdown: PriceBreakdown | None = None) -> str:
        return svc.place_order(self.uow, self.numbers, customer_id=customer,
                               breakdown=breakdown or self.quote(customer, items, now),
                               catalog=self.catalog, now=now, campaigns=self.checkout)

    def pay(self, number: str, now: datetime = NOW) -> svc.PaymentOutcome:
        due = self.uow.orders.get(number).payable_fen
        return svc.pay_order(self.uow, self.numbers, number,
                             [PaymentPart(PaymentMethod.WECHAT, due)],
                             transaction_id=f"tx-{number}", now=now, campaigns=self.checkout)

    def level(self) -> tuple[int, int, int]:
        lv = self.stock.level(KEY, "shoe-40")
        return lv.remaining, lv.reserved, lv.sold


# ------------------------------------------------------------------ LTD-4
def test_activity_stock_is_held_at_submission_sold_at_payment() -> None:
    # RULES: LTD-4
    shop = LtdShop(stock=5)
    number = shop.place("c1", [("shoe-40", 2)])
    assert shop.uow.orders.get(number).payable_fen == 2 * 7000
    assert shop.uow.orders.get(number).lines[0].campaign == "ltd"
    assert shop.level() == (3, 2, 0)
    assert shop.pay(number) is svc.PaymentOutcome.PAID
    assert shop.level() == (3, 0, 2)


@pytest.mark.parametrize("how", ["buyer_cancel", "timeout"])
def test_activity_stock_goes_back_when_the_unpaid_order_closes(how: str) -> None:
    # RULES: LTD-4, ORD-6
    shop = LtdShop(stock=5)
    number = shop.place("c1", [("shoe-40", 2)])
    if how == "timeout":
        assert svc.close_due_orders(shop.uow, NOW + timedelta(minutes=31),
                                    campaigns=shop.checkout) == [number]
    else:
        svc.close_unpaid(shop.uow, number, reason=CloseReason.BUYER_CANCEL, now=NOW,
                         campaigns=shop.checkout)
    assert shop.level() == (5, 0, 0)
    # closing again, or a late close of a paid order, changes nothing
    shop.checkout.release(shop.checkout.refs(shop.uow.orders.get(number)))
    assert shop.level() == (5, 0, 0)


def test_a_refund_after_payment_keeps_the_activity_stock_sold() -> None:
    # RULES: LTD-4 — the activity stock counts units sold at the activity price;
    # a refund does not reopen the offer (decision documented in docs/campaigns.md)
    shop = LtdShop(stock=5)
    number = shop.place("c1", [("shoe-40", 2)])
    shop.pay(number)
    svc.merchant_cancel(shop.uow, shop.numbers, number, refund=True, now=NOW)
    assert shop.uow.orders.get(number).status is OrderStatus.CLOSED
    assert shop.level() == (3, 0, 2)


def test_pricing_skips_the_discount_when_the_activity_stock_is_short() -> None:
    # RULES: LTD-4, PIPE-4
    shop = LtdShop(stock=3)
    shop.place("c1", [("shoe-40", 2)])
    b = shop.quote("c2", [("shoe-40", 2)])
    assert b.line("shoe-40").family == "regular" and b.payable_fen == 20000
    skip = next(s for s in b.skipped if s.id == "ltd")
    assert skip.reason is SkipReason.LIMIT_REACHED
    assert "only 1 units of activity stock left, 2 asked" in skip.detail
    assert shop.quote("c2", [("shoe-40", 1)]).payable_fen == 7000


def test_a_stale_quote_for_the_last_units_is_refused_and_nothing_is_left_behind() -> None:
    # RULES: LTD-4 — two buyers quoted the last units; the second submission is refused
    shop = LtdShop(stock=2)
    q1, q2 = shop.quote("c1", [("shoe-40", 2)]), shop.quote("c2", [("shoe-40", 2)])
    shop.place("c1", [], breakdown=q1)
    with pytest.raises(LimitReached) as exc:
        shop.place("c2", [], breakdown=q2)
    assert exc.value.rule == "LTD-4" and "shoe-40" in str(exc.value)
    assert len(shop.uow.orders) == 1
    assert shop.level() == (0, 2, 0)
    assert shop.uow.inventory.level("shoe-40").reserved == 2  # only c1's order holds stock


def test_threads_never_sell_more_than_the_activity_stock() -> None:
    # RULES: LTD-4 — 40 buyers at once for 7 units: exactly 7 held, never below zero
    shop = LtdShop(stock=7)
    b = {c: shop.quote(f"c{c}", [("shoe-40", 1)]) for c in range(40)}
    won: list[int] = []
    barrier = threading.Barrier(8)

    def buy(first: int) -> None:
        barrier.wait()
        for c in range(first, 40, 8):
            line = b[c].line("shoe-40")
            try:
                shop.campaign.submit(f"O{c}", f"c{c}", [line], NOW)
            except LimitReached:
                continue
            won.append(c)

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 7
    assert shop.level() == (0, 7, 0)


# ------------------------------------------------------------------ LTD-2
def test_mode_c_past_the_limit_refuses_the_order_with_nothing_half_applied() -> None:
    # RULES: LTD-2 — (c): the first N discounted, more cannot be ordered
    shop = LtdShop(stock=9, limit=PersonLimit(2, LimitMode.FIRST_N_ONLY))
    shop.place("c1", [("shoe-40", 1)])
    before = (shop.level(), shop.uow.inventory.level("shoe-40"), len(shop.uow.orders))
    with pytest.raises(LimitReached) as exc:
        shop.place("c1", [("shoe-40", 2)])
    assert exc.value.rule == "LTD-2" and "'shoe'" in str(exc.value)
    assert (shop.level(), shop.uow.inventory.level("shoe-40"), len(shop.uow.orders)) == before
    assert shop.counts.used(KEY, "c1", "shoe") == 1
    shop.place("c1", [("shoe-40", 1)])  # up to the limit is fine
    assert shop.counts.used(KEY, "c1", "shoe") == 2


def test_counts_are_used_at_submission_and_given_back_on_close() -> None:
    # RULES: LTD-2 — counted across all of a person's orders, like flash limits
    shop = LtdShop(stock=9, limit=PersonLimit(2, LimitMode.ALL_OR_NOTHING))
    first = shop.place("c1", [("shoe-40", 2)])
    assert shop.counts.used(KEY, "c1", "shoe") == 2
    assert shop.quote("c1", [("shoe-40", 1)]).payable_fen == 10000  # (a): past N, none
    assert shop.quote("c2", [("shoe-40", 1)]).payable_fen == 7000  # per person
    svc.close_unpaid(shop.uow, first, reason=CloseReason.BUYER_CANCEL, now=NOW,
                     campaigns=shop.checkout)
    assert shop.counts.used(KEY, "c1", "shoe") == 0
    assert shop.quote("c1", [("shoe-40", 2)]).payable_fen == 2 * 7000
    paid = shop.place("c1", [("shoe-40", 2)])
    shop.pay(paid)
    svc.merchant_cancel(shop.uow, shop.numbers, paid, refund=True, now=NOW)
    assert shop.counts.used(KEY, "c1", "shoe") == 2  # paid: kept, even after a refund


def test_a_stale_quote_past_the_limit_is_refused_at_submission() -> None:
    # RULES: LTD-2 — two tabs quoted before either order: the second would pass N
    shop = LtdShop(stock=9, limit=PersonLimit(2, LimitMode.FIRST_N))
    q1, q2 = shop.quote("c1", [("shoe-40", 2)]), shop.quote("c1", [("shoe-40", 2)])
    shop.place("c1", [], breakdown=q1)
    with pytest.raises(LimitReached) as exc:
        shop.place("c1", [], breakdown=q2)
    assert exc.value.rule == "LTD-2" and "price the cart again" in str(exc.value)
    assert shop.level() == (7, 2, 0) and len(shop.uow.orders) == 1


# ------------------------------------------------------------------ mode (b) split
def test_mode_b_order_keeps_discounted_and_regular_units_apart() -> None:
    # RULES: LTD-2, LTD-4, PIPE-5, PIPE-3 — the full-price units take the coupon
    shop = LtdShop(stock=9, limit=PersonLimit(2, LimitMode.FIRST_N))
    coupon = CouponOffer("cp", "10元券", FixedAmount(money("10")))
    b = shop.quote("c1", [("shoe-40", 5)], coupon=coupon)
    ltd, rest = b.line("shoe-40"), b.line("shoe-40#list")
    assert (ltd.quantity, ltd.fen[-1]) == (2, 14000)
    assert (rest.quantity, rest.fen[-1]) == (3, 29000)
    assert next(p for p in b.applied if p.stage is Stage.COUPONS).allocation == (
        ("shoe-40#list", 1000),)
    number = shop.place("c1", [], breakdown=b)
    order = shop.uow.orders.get(number)
    assert [(ln.line_id, ln.quantity, ln.family, ln.campaign) for ln in order.lines] == [
        ("shoe-40", 2, "limited_time", "ltd"), ("shoe-40#list", 3, "regular", "")]
    assert shop.level() == (7, 2, 0)  # only the discounted units take activity stock
    assert shop.counts.used(KEY, "c1", "shoe") == 2
    assert shop.uow.inventory.level("shoe-40").reserved == 5  # product stock: every unit


@settings(max_examples=60, deadline=None)
@given(quantity=st.integers(1, 9), limit=st.integers(1, 6), before=st.integers(0, 7),
       price=st.integers(1, 50_000), coupon=st.integers(0, 30_000))
def test_mode_b_split_is_exact_to_the_fen(quantity: int, limit: int, before: int, price: int,
                                          coupon: int) -> None:
    # RULES: LTD-2, PIPE-3, PIPE-5 — the split parts add up to the line at every stage,
    # the discounted units are exactly min(quantity, N - before), and only the regular
    # part joins the coupon
    from mallcore.money import from_fen
    from mallcore.pricing import CartLine
    from mallcore.promotions.limited_time import LimitedTimeRule

    d = LimitedTimeDiscount(
        "ltd", "限时", Window(START, START + timedelta(days=1)),
        [LimitedTimeItem("s", "p", PriceMode.DISCOUNT, "7", from_fen(price), 9, 9)],
        limit=PersonLimit(limit, LimitMode.FIRST_N))
    rule = LimitedTimeRule(d, lambda a, c, k: before)
    cart = Cart([CartLine("s", "p", quantity, from_fen(price))])
    offer = CouponOffer("cp", "券", FixedAmount(from_fen(coupon))) if coupon else None
    b = PricingPipeline(line_rules=[rule]).price(cart, now=NOW, buyer=Buyer("c1"),
                                                 coupon=offer, strict_coupon=False)
    discounted = min(quantity, max(0, limit - before))
    assert sum(line.quantity for line in b.lines) == quantity
    for stage in range(5):
        assert sum(line.fen[stage] for line in b.lines) + b.shipping_fen[stage] == \
            b.total_fen(list(Stage)[stage])
    assert sum(line.fen[0] for line in b.lines) == price * quantity
    ltd = [line for line in b.lines if line.family == "limited_time"]
    assert sum(line.quantity for line in ltd) == discounted
    for line in ltd:
        assert line.fen[1] == line.fen[2] == line.quantity * ((2 * price * 700 + 1000) // 2000)
    regular = {line.line_id for line in b.lines if line.family == "regular"}
    for promo in b.applied_in(Stage.COUPONS):
        assert {key for key, _ in promo.allocation} <= regular
    if 0 < discounted < quantity:
        assert [line.line_id for line in b.lines] == ["s", "s#list"]
    assert b.source_lines() == cart.lines


# ------------------------------------------------------------------ flash + LTD together
def test_one_checkout_carries_flash_and_limited_time_lines() -> None:
    # RULES: FS-2, FS-5, LTD-4 — all or nothing across families
    shop = LtdShop(stock=1, flash=True)
    stale = shop.quote("c2", [("shoe-40", 1), ("buds", 1)])
    number = shop.place("c1", [("shoe-40", 1), ("buds", 1)])
    assert shop.stock.remaining("fs", "buds") == 2 and shop.level() == (0, 1, 0)
    # c2's flash line is fine but the activity stock is gone: neither is held
    with pytest.raises(LimitReached) as exc:
        shop.place("c2", [], breakdown=stale)
    assert exc.value.rule == "LTD-4"
    assert shop.stock.remaining("fs", "buds") == 2 and shop.level() == (0, 1, 0)
    shop.pay(number)
    assert shop.stock.sold("fs", "buds") == 1 and shop.level() == (0, 0, 1)
