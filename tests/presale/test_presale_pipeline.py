"""PIPE-5 through the real pipeline: a pre-sale line joins spend-X activities, free
shipping, gift coupons, the member discount and points, never a coupon; against
a flash sale or limited-time price on the same line only one price stands."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.money import Rate, from_fen, money
from mallcore.pricing import (
    SHIPPING,
    Buyer,
    Cart,
    CartLine,
    LinePrice,
    LineSkip,
    PriceBreakdown,
    PricingPipeline,
    SkipReason,
    Stage,
)
from mallcore.promotions import (
    FLASH_SALE,
    LIMITED_TIME,
    Activity,
    DiscountTier,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ProductScope,
    ReductionTier,
    Stacking,
    TieredDiscount,
    TieredReduction,
    Window,
)
from mallcore.promotions.presale import PreSale, PreSaleItem, PreSaleRule, ShipAfterPayment

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 1, 20, 0, tzinfo=CST)
WINDOW = Window(datetime(2026, 10, 20, tzinfo=CST), datetime(2026, 11, 11, tzinfo=CST))
PRESALE = PreSale(
    "pre-1111", "双十一预售", WINDOW, [PreSaleItem("pre", money("100.00"))], ShipAfterPayment(10)
)
GOLD = Buyer("c1", "gold", Rate.zhe(9), points_balance=500, level_name="金卡")
SAVE_15 = Activity("r", "满100减15", TieredReduction([ReductionTier(money("100"), money("15"))]))
FIVE_OFF = CouponOffer("cp", "5元无门槛券", FixedAmount(money("5.00")))
POINTS = PointsPolicy(points_per_yuan=1, cap_percent=100)


def line(sku: str, unit: str, qty: int = 1) -> CartLine:
    return CartLine(sku, f"p-{sku}", qty, money(unit))


def touching(b: PriceBreakdown, line_id: str) -> set[tuple[Stage, str]]:
    return {(p.stage, p.id) for p in b.applied if p.share_of(line_id)}


def check_allocations(b: PriceBreakdown) -> None:
    """PIPE-3: every applied saving is allocated to the fen; the lines add up."""
    for p in b.applied:
        assert sum(fen for _, fen in p.allocation) == p.saving_fen
    for ln in b.lines:
        saved = sum(p.share_of(ln.line_id) for p in b.applied)
        assert ln.fen[0] - ln.fen[-1] == saved
    ship_saved = sum(p.share_of(SHIPPING) for p in b.applied)
    assert b.shipping_fen[0] - b.shipping_fen[-1] == ship_saved


# RULES: PIPE-5, PIPE-1, PRE-1
def test_presale_line_joins_reduction_membership_and_points_but_not_the_coupon() -> None:
    pipeline = PricingPipeline([SAVE_15], line_rules=[PreSaleRule(PRESALE)], points_policy=POINTS)
    cart = Cart([line("pre", "120.00"), line("reg", "50.00")], shipping=money("10.00"))
    b = pipeline.price(cart, now=NOW, buyer=GOLD, coupon=FIVE_OFF, points=10)
    check_allocations(b)
    assert b.line("pre").family == "pre_sale"
    assert b.line("reg").family == "regular"
    # stage by stage: list, activities, coupon, membership, points
    #   pre: 120 → pre-sale 100 → 满减 share 10 → (no coupon) → 9折 −9 → points −6.38
    #   reg:  50 → 满减 share 5 → coupon −5 → 9折 −4 → points −2.83; shipping pays 0.79
    assert b.line("pre").fen == (12000, 9000, 9000, 8100, 7462)
    assert b.line("reg").fen == (5000, 4500, 4000, 3600, 3317)
    assert b.shipping_fen == (1000, 1000, 1000, 1000, 921)
    assert b.payable_fen == 11700
    assert touching(b, "pre") == {
        (Stage.ACTIVITIES, "pre-1111"),
        (Stage.ACTIVITIES, "r"),
        (Stage.MEMBERSHIP, "level:gold"),
        (Stage.POINTS, "points"),
    }
    assert touching(b, "reg") == {
        (Stage.ACTIVITIES, "r"),
        (Stage.COUPONS, "cp"),
        (Stage.MEMBERSHIP, "level:gold"),
        (Stage.POINTS, "points"),
    }
    coupon = next(p for p in b.applied if p.id == "cp")
    assert coupon.allocation == (("reg", 500),)


# RULES: PIPE-5, PIPE-4
def test_a_coupon_for_the_presale_product_alone_is_skipped_as_not_stackable() -> None:
    pipeline = PricingPipeline([SAVE_15], line_rules=[PreSaleRule(PRESALE)], points_policy=POINTS)
    only_pre = CouponOffer(
        "cp-pre", "预售券", FixedAmount(money("5.00")), scope=ProductScope(skus=frozenset({"pre"}))
    )
    cart = Cart([line("pre", "120.00"), line("reg", "50.00")])
    b = pipeline.price(cart, now=NOW, buyer=GOLD, coupon=only_pre, strict_coupon=False)
    (skip,) = b.skipped_in(Stage.COUPONS)
    assert (skip.id, skip.reason) == ("cp-pre", SkipReason.NOT_STACKABLE)
    assert b.total_fen(Stage.COUPONS) == b.total_fen(Stage.ACTIVITIES)


# RULES: PIPE-5
def test_presale_line_joins_spend_x_discount_free_shipping_and_gift_coupons() -> None:
    acts = [
        Activity("d", "满100打9折", TieredDiscount([DiscountTier(money("100"), Rate.zhe(9))])),
        Activity("s", "包邮", FreeShipping()),
        Activity("g", "满送券", GiftCoupons([GiftTier(money("50"), "gift-batch")])),
    ]
    pipeline = PricingPipeline(acts, line_rules=[PreSaleRule(PRESALE)])
    cart = Cart([line("pre", "120.00", 2)], shipping=money("8.00"))
    b = pipeline.price(cart, now=NOW)
    check_allocations(b)
    assert b.line("pre").fen[:2] == (24000, 18000)  # 200.00 pre-sale, then 9折
    assert b.shipping_fen[1] == 0
    assert [g.source for g in b.gifts] == ["g"]
    assert not b.skipped_in(Stage.ACTIVITIES)


# RULES: PIPE-5, PRE-1
def test_outside_its_window_the_presale_is_skipped_and_the_line_is_regular_again() -> None:
    pipeline = PricingPipeline([SAVE_15], line_rules=[PreSaleRule(PRESALE)])
    cart = Cart([line("pre", "120.00")])
    b = pipeline.price(cart, now=datetime(2026, 11, 12, tzinfo=CST), coupon=FIVE_OFF)
    assert b.line("pre").family == "regular"
    assert (Stage.COUPONS, "cp") in touching(b, "pre")
    skipped = {p.id: p.reason for p in b.skipped}
    assert skipped["pre-1111"] is SkipReason.OUTSIDE_WINDOW


@attrs.frozen
class ActivityPrice:
    """A flash sale or limited-time discount on one SKU, at a fixed unit price."""

    id: str
    sku: str
    unit_fen: int
    stacking: Stacking
    name: str = "other"

    @property
    def kind(self) -> str:
        return self.stacking.family

    def price_line(
        self, line: CartLine, buyer: Buyer, now: datetime
    ) -> LinePrice | LineSkip | None:
        if line.sku_id != self.sku:
            return None
        return LinePrice(self.unit_fen * line.quantity, self.stacking)


# RULES: PIPE-5
@pytest.mark.parametrize("stacking", [FLASH_SALE, LIMITED_TIME])
@pytest.mark.parametrize("other_unit", [9000, 11000])
def test_presale_and_another_activity_price_on_one_line_never_combine(
    stacking: Stacking, other_unit: int
) -> None:
    other = ActivityPrice("other", "pre", other_unit, stacking)
    pipeline = PricingPipeline(line_rules=[PreSaleRule(PRESALE), other])
    b = pipeline.price(Cart([line("pre", "120.00")]), now=NOW)
    winner, loser = ("other", "pre-1111") if other_unit < 10000 else ("pre-1111", "other")
    assert [p.id for p in b.applied_in(Stage.ACTIVITIES)] == [winner]
    (skip,) = b.skipped_in(Stage.ACTIVITIES)
    assert (skip.id, skip.reason, skip.related) == (loser, SkipReason.EXCLUSIVE, (winner,))
    assert b.line("pre").fen[1] == min(other_unit, 10000)
    assert b.line("pre").family == ("pre_sale" if winner == "pre-1111" else stacking.family)


# RULES: PIPE-5, PIPE-3
@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 30_000),
    st.integers(0, 30_000),
    st.integers(1, 3),
    st.integers(0, 30_000),
    st.sampled_from(["10", "9", "8.5"]),
    st.integers(0, 200),
)
def test_presale_lines_never_receive_a_coupon_share(
    list_fen: int, pre_fen: int, qty: int, reg_fen: int, zhe: str, points: int
) -> None:
    presale = PreSale(
        "p", "预售", WINDOW, [PreSaleItem("pre", from_fen(pre_fen))], ShipAfterPayment(3)
    )
    pipeline = PricingPipeline([SAVE_15], line_rules=[PreSaleRule(presale)], points_policy=POINTS)
    buyer = Buyer("c", "lv", Rate.zhe(zhe), points_balance=1_000)
    cart = Cart(
        [
            CartLine("pre", "p-pre", qty, from_fen(list_fen)),
            CartLine("reg", "p-reg", 1, from_fen(reg_fen)),
        ]
    )
    b = pipeline.price(
        cart, now=NOW, buyer=buyer, coupon=FIVE_OFF, points=points, strict_coupon=False
    )
    check_allocations(b)
    pre = b.line("pre")
    assert pre.family == "pre_sale"
    assert pre.fen[1] <= min(list_fen, pre_fen) * qty
    assert pre.fen[2] == pre.fen[1]  # the coupon stage never touches it
    assert all(p.share_of("pre") == 0 for p in b.applied_in(Stage.COUPONS))
