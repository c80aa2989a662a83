"""Flash-sale settings and pricing: FS-1 (own price and stock per SKU, normal price after
the sale), PIPE-1 (the flash price is stage 1), PIPE-5 (what a flash line may join)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.errors import CurrencyMismatch, InvalidConfiguration, MallcoreError, NotFound
from mallcore.money import Rate, money
from mallcore.pricing import (
    SHIPPING,
    Buyer,
    Cart,
    CartLine,
    LinePrice,
    LinePriceRule,
    LineSkip,
    PriceBreakdown,
    PricingPipeline,
    SkipReason,
    Stage,
)
from mallcore.promotions import (
    FLASH_SALE,
    Activity,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ReductionTier,
    TieredReduction,
    Window,
)
from mallcore.promotions.flash_sale import (
    DEFAULT_PAYMENT_TIMEOUT,
    FlashLimits,
    FlashSale,
    FlashSaleItem,
    FlashSaleRule,
)
from mallcore.promotions.flash_stock import MemoryFlashStock

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
END = START + timedelta(hours=2)
DURING = START + timedelta(minutes=5)
WINDOW = Window(START, END)
ALICE = Buyer("alice")
GOLD = Buyer("alice", "gold", Rate.zhe(9), points_balance=10_000, level_name="Gold")


def item(sku: str = "red", price: str = "39.99", stock: int = 10,
         limit: int | None = None) -> FlashSaleItem:
    return FlashSaleItem(sku, money(price), stock, limit)


def sale(*items: FlashSaleItem, sale_id: str = "fs-1111",
         window: Window = WINDOW) -> FlashSale:
    return FlashSale(sale_id, "双11秒杀", window, items or (item(),))


def rule(s: FlashSale | None = None) -> FlashSaleRule:
    return FlashSaleRule(s or sale(), MemoryFlashStock(), FlashLimits())


def line(sku: str, unit: str, quantity: int = 1, product: str = "shirt") -> CartLine:
    return CartLine(sku, product, quantity, money(unit), line_id=sku)


# ------------------------------------------------------------------ settings
# RULES: FS-1, FS-3
def test_a_sale_keeps_each_sku_with_its_own_price_and_stock() -> None:
    s = sale(item("red", "39.99", 10), item("blue", "49.00", 3, limit=2))
    assert s.sku_ids == {"red", "blue"}
    assert s.price_fen("red") == 3999
    assert s.price_fen("blue") == 4900
    assert s.item("blue").stock == 3
    assert s.item("blue").per_user_limit == 2
    assert s.payment_timeout == DEFAULT_PAYMENT_TIMEOUT == timedelta(minutes=30)
    with pytest.raises(NotFound) as err:
        s.item("green")
    assert err.value.rule == "FS-1"


@pytest.mark.parametrize(
    ("items", "rule_id", "words"),
    [
        ((), "FS-1", "has no SKUs"),
        ((item("red"), item("red", "1.00")), "FS-1", "appears twice"),
        ((item(price="-0.01"),), "FS-1", "negative"),
        ((FlashSaleItem("red", money("1.00"), 0),), "FS-1", "flash stock"),
        ((FlashSaleItem("red", money("1.00"), 2, 0),), "FS-2", "per-user limit"),
        ((FlashSaleItem("red", money("1.00"), True),), "FS-1", "not a whole number"),
        ((FlashSaleItem(" red", money("1.00"), 1),), "FS-1", "spaces"),
    ],
)
# RULES: FS-1, FS-2
def test_invalid_settings_are_refused_naming_the_sale_and_the_rule(
    items: tuple[FlashSaleItem, ...], rule_id: str, words: str
) -> None:
    with pytest.raises(InvalidConfiguration) as err:
        FlashSale("fs-bad", "坏的", WINDOW, items)
    assert err.value.rule == rule_id
    assert "fs-bad" in str(err.value)
    assert words in str(err.value)


# RULES: FS-1
def test_a_price_with_a_fraction_of_a_fen_or_mixed_currencies_is_refused() -> None:
    from moneyed import Money
    with pytest.raises(InvalidConfiguration, match=r"fs-bad.*more than 2 decimal"):
        FlashSale("fs-bad", "x", WINDOW, [FlashSaleItem("red", Money("1.005", "CNY"), 1)])
    with pytest.raises(CurrencyMismatch, match="fs-bad"):
        FlashSale("fs-bad", "x", WINDOW, [item("red"), FlashSaleItem("b", Money("1", "USD"), 1)])


# RULES: FS-3, FS-4
def test_timeout_and_reminder_must_be_positive_durations() -> None:
    for bad in (timedelta(), timedelta(minutes=-1)):
        with pytest.raises(InvalidConfiguration) as err:
            FlashSale("fs", "x", WINDOW, [item()], payment_timeout=bad)
        assert err.value.rule == "FS-3"
        with pytest.raises(InvalidConfiguration) as err:
            FlashSale("fs", "x", WINDOW, [item()], remind_before=bad)
        assert err.value.rule == "FS-4"


# RULES: FS-1
def test_a_window_without_is_active_is_refused() -> None:
    with pytest.raises(InvalidConfiguration, match="is_active"):
        FlashSale("fs", "x", object(), [item()])  # type: ignore[arg-type]


# ------------------------------------------------------------------ pricing
# RULES: FS-1, PIPE-1
def test_in_the_window_a_line_is_priced_at_the_flash_price_times_quantity() -> None:
    r = rule(sale(item("red", "39.99"), item("blue", "10.00")))
    as_rule: LinePriceRule = r
    assert (as_rule.id, as_rule.name, as_rule.kind) == ("fs-1111", "双11秒杀", "flash_sale")
    got = r.price_line(line("red", "100.00", 3), ALICE, DURING)
    assert isinstance(got, LinePrice)
    assert got.amount_fen == 3 * 3999
    assert got.stacking is FLASH_SALE
    assert "39.99" in got.detail
    # each SKU has its own price
    blue = r.price_line(line("blue", "20.00", 2), ALICE, DURING)
    assert isinstance(blue, LinePrice)
    assert blue.amount_fen == 2000


# RULES: FS-1
def test_a_sku_not_in_the_sale_is_not_the_rules_business() -> None:
    """Same product, another SKU: '部分规格想参与秒杀活动，部分规格不想参与'."""
    r = rule(sale(item("red")))
    assert r.price_line(line("green", "100.00"), ALICE, DURING) is None


# RULES: FS-1
@pytest.mark.parametrize("when", [START - timedelta(seconds=1), END, END + timedelta(days=1)])
def test_outside_the_window_the_normal_price_returns(when: datetime) -> None:
    r = rule()
    got = r.price_line(line("red", "100.00"), ALICE, when)
    assert got == LineSkip(SkipReason.OUTSIDE_WINDOW, WINDOW.describe())
    b = PricingPipeline(line_rules=[r]).price(Cart([line("red", "100.00")]), now=when)
    assert b.line("red").fen == (10000,) * 5
    assert b.line("red").family == "regular"
    (skip,) = b.skipped
    assert (skip.id, skip.reason) == ("fs-1111", SkipReason.OUTSIDE_WINDOW)


# RULES: FS-1
@pytest.mark.parametrize("list_price", ["39.99", "39.98", "0.00"])
def test_a_flash_price_not_below_the_list_price_is_skipped_and_the_line_stays_regular(
    list_price: str,
) -> None:
    r = rule(sale(item("red", "39.99")))
    got = r.price_line(line("red", list_price), ALICE, DURING)
    assert isinstance(got, LineSkip)
    assert got.reason is SkipReason.NOTHING_TO_DISCOUNT
    assert "not below its list price" in got.detail
    coupon = CouponOffer("cp", "5元券", FixedAmount(money("5")))
    b = PricingPipeline(line_rules=[r]).price(
        Cart([line("red", list_price, 2)]), now=DURING, coupon=coupon, strict_coupon=False)
    assert b.line("red").family == "regular"
    assert b.line("red").fen[1] == 2 * money(list_price).amount * 100


# RULES: FS-1
def test_a_cart_in_another_currency_is_refused() -> None:
    r = rule()
    from moneyed import Money
    with pytest.raises(CurrencyMismatch, match="fs-1111"):
        r.price_line(CartLine("red", "shirt", 1, Money("100", "USD")), ALICE, DURING)


# RULES: FS-1, FS-5
def test_each_sku_has_its_own_flash_stock_and_sold_out_is_explained() -> None:
    r = rule(sale(item("red", stock=2), item("blue", "10.00", stock=5)))
    r.submit("bob", "red", 2, "o1/red", now=DURING)
    sold_out = r.price_line(line("red", "100.00"), ALICE, DURING)
    assert sold_out == LineSkip(SkipReason.LIMIT_REACHED, "red: sold out")
    # blue's stock is its own
    assert isinstance(r.price_line(line("blue", "20.00", 5), ALICE, DURING), LinePrice)
    short = r.price_line(line("blue", "20.00", 6), ALICE, DURING)
    assert isinstance(short, LineSkip)
    assert short.reason is SkipReason.LIMIT_REACHED
    assert "only 5" in short.detail


# RULES: FS-1, FS-2, FS-5
def test_pricing_never_changes_the_stock_or_the_limits() -> None:
    stock, limits = MemoryFlashStock(), FlashLimits()
    r = FlashSaleRule(sale(item("red", stock=3, limit=2)), stock, limits)
    before = stock.level("fs-1111", "red")
    pipeline = PricingPipeline(line_rules=[r])
    for _ in range(5):
        b = pipeline.price(Cart([line("red", "100.00", 2)]), now=DURING, buyer=ALICE)
        assert b.line("red").family == "flash_sale"
    assert stock.level("fs-1111", "red") == before
    assert limits.used("fs-1111", "alice", "red") == 0


# RULES: FS-1
def test_the_rule_loads_the_sales_stock_once_and_a_second_rule_shares_it() -> None:
    stock = MemoryFlashStock()
    s = sale(item("red", stock=7))
    first = FlashSaleRule(s, stock, FlashLimits())
    first.submit("bob", "red", 3, "o1", now=DURING)
    FlashSaleRule(s, stock, FlashLimits())  # another app server: no reload
    assert stock.remaining("fs-1111", "red") == 4
    with pytest.raises(MallcoreError) as err:  # changed settings against the same stock
        FlashSaleRule(sale(item("red", stock=8)), stock, FlashLimits())
    assert err.value.rule == "FS-1"


# ------------------------------------------------------------------ PIPE-5
def _pipeline_with_everything(r: FlashSaleRule) -> PricingPipeline:
    activities = [
        Activity("r", "满10减3", TieredReduction([ReductionTier(money("10"), money("3"))])),
        Activity("s", "包邮", FreeShipping()),
        Activity("g", "满赠", GiftCoupons([GiftTier(money("10"), "gift-batch")])),
    ]
    return PricingPipeline(activities, line_rules=[r],
                           points_policy=PointsPolicy(cap_percent=100))


def _touching(b: PriceBreakdown, line_id: str) -> set[tuple[Stage, str]]:
    return {(p.stage, p.id) for p in b.applied if p.share_of(line_id)}


# RULES: PIPE-5, PIPE-1, FS-1
def test_flash_line_joins_free_shipping_and_gifts_but_no_coupon_member_discount_or_points(
) -> None:
    r = rule(sale(item("red", "39.99")))
    c = Cart([line("red", "100.00"), line("reg", "50.00", product="socks")],
             shipping=money("8.00"))
    coupon = CouponOffer("cp", "5元券", FixedAmount(money("5")))
    b = _pipeline_with_everything(r).price(c, now=DURING, buyer=GOLD, coupon=coupon,
                                           points=5)
    flash, reg = b.line("red"), b.line("reg")
    assert flash.family == "flash_sale"
    # stage 1 is the flash price; coupon, membership and points leave it alone
    assert flash.fen == (10000, 3999, 3999, 3999, 3999)
    assert _touching(b, "red") == {(Stage.ACTIVITIES, "fs-1111")}
    # the regular line in the same cart takes every one of them
    assert reg.family == "regular"
    assert _touching(b, "reg") == {
        (Stage.ACTIVITIES, "r"), (Stage.COUPONS, "cp"), (Stage.MEMBERSHIP, "level:gold"),
        (Stage.POINTS, "points"),
    }
    assert reg.fen[0] == 5000 and reg.fen[4] < reg.fen[3] < reg.fen[2] < reg.fen[1] < 5000
    # the flash line still gets free shipping and the pay-gift coupon (PIPE-5)
    (shipping,) = [p for p in b.applied if p.id == "s"]
    assert shipping.allocation == ((SHIPPING, 800),)
    assert b.shipping_fen[1] == 0
    assert [g.source for g in b.gifts] == ["g"]


# RULES: PIPE-5, FS-1
def test_a_cart_of_only_flash_lines_skips_coupon_membership_and_points_as_not_stackable(
) -> None:
    r = rule(sale(item("red", "39.99")))
    c = Cart([line("red", "100.00", 2)], shipping=money("8.00"))
    coupon = CouponOffer("cp", "5元券", FixedAmount(money("5")))
    b = _pipeline_with_everything(r).price(c, now=DURING, buyer=GOLD, coupon=coupon,
                                           points=5, strict_coupon=False)
    assert b.line("red").fen == (20000, 7998, 7998, 7998, 7998)
    reasons = {(p.stage, p.id): p.reason for p in b.skipped}
    assert reasons[Stage.ACTIVITIES, "r"] is SkipReason.NOT_STACKABLE
    assert reasons[Stage.COUPONS, "cp"] is SkipReason.NOT_STACKABLE
    assert reasons[Stage.MEMBERSHIP, "level:gold"] is SkipReason.NOT_STACKABLE
    assert reasons[Stage.POINTS, "points"] is SkipReason.NOT_STACKABLE
    assert b.points_used == 0
    assert b.payable_fen == 7998  # shipping waived


# RULES: PIPE-5, FS-1
def test_outside_the_window_the_same_line_takes_every_benefit_again() -> None:
    r = rule(sale(item("red", "39.99")))
    c = Cart([line("red", "100.00")], shipping=money("8.00"))
    coupon = CouponOffer("cp", "5元券", FixedAmount(money("5")))
    b = _pipeline_with_everything(r).price(c, now=END, buyer=GOLD, coupon=coupon, points=5)
    assert b.line("red").family == "regular"
    assert _touching(b, "red") == {
        (Stage.ACTIVITIES, "r"), (Stage.COUPONS, "cp"), (Stage.MEMBERSHIP, "level:gold"),
        (Stage.POINTS, "points"),
    }
