"""PIPE-5 stacking through the stage-1 plug-in point (``LinePriceRule``), PIPE-1 order."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest
from strategies import NOW, FixedLinePrice, cart, check_breakdown, cny, line, reduction

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.errors import NotAllowed
from mallcore.money import Rate
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
    LIMITED_TIME,
    PRE_SALE,
    Activity,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ProductScope,
)


@attrs.frozen
class HalfPriceLimitedTime:
    """A tiny limited-time discount: the chosen SKUs at half price (LTD-3 fixed 5折)."""

    skus: frozenset[str]
    id: str = "ltd-half"
    name: str = "限时5折"
    kind: str = "limited_time"

    def price_line(self, line: CartLine, buyer: Buyer, now: datetime
                   ) -> LinePrice | LineSkip | None:
        if line.sku_id not in self.skus:
            return None
        return LinePrice(line.amount_fen - Rate.zhe(5).discount_of(line.amount_fen),
                         LIMITED_TIME, "5折")


@attrs.frozen
class AlwaysSkips:
    id: str = "flash-over"
    name: str = "秒杀(已结束)"
    kind: str = "flash_sale"

    def price_line(self, line: CartLine, buyer: Buyer, now: datetime
                   ) -> LinePrice | LineSkip | None:
        return LineSkip(SkipReason.OUTSIDE_WINDOW, "ended")


GOLD = Buyer("c1", "gold", Rate.zhe(9), points_balance=10_000)
FIVE_OFF = CouponOffer("cp", "5元券", FixedAmount(cny("5")))
EVERYTHING = [
    reduction("r", ("10", "3")),
    Activity("s", "包邮", FreeShipping()),
    Activity("g", "满赠", GiftCoupons([GiftTier(cny("10"), "gift")])),
]


def price(c: Cart, rules: list[LinePriceRule], acts: list[Activity] = EVERYTHING,
          coupon: CouponOffer | None = FIVE_OFF, points: int = 0, buyer: Buyer = GOLD
          ) -> PriceBreakdown:
    pipeline = PricingPipeline(acts, line_rules=rules,
                               points_policy=PointsPolicy(cap_percent=100))
    b = pipeline.price(c, now=NOW, buyer=buyer, coupon=coupon, points=points,
                       strict_coupon=False)
    check_breakdown(b, c)
    return b


def promos_touching(b: PriceBreakdown, line_id: str) -> set[tuple[Stage, str]]:
    return {(p.stage, p.id) for p in b.applied if p.share_of(line_id)}


# RULES: PIPE-5, PIPE-1
def test_protocol_is_satisfied_by_a_small_class() -> None:
    rule: LinePriceRule = HalfPriceLimitedTime(frozenset({"ltd"}))
    assert rule.price_line(line("ltd", "10.00"), GOLD, NOW) == LinePrice(500, LIMITED_TIME, "5折")


# RULES: PIPE-5
def test_limited_time_line_joins_only_membership_and_points() -> None:
    c = cart(line("ltd", "100.00"), shipping="8.00")
    b = price(c, [HalfPriceLimitedTime(frozenset({"ltd"}))], points=5)
    ln = b.line("ltd")
    assert ln.family == "limited_time"
    assert ln.fen[1] == 5000  # activity price, nothing else in stage 1
    assert promos_touching(b, "ltd") == {
        (Stage.ACTIVITIES, "ltd-half"), (Stage.MEMBERSHIP, "level:gold"), (Stage.POINTS, "points"),
    }
    assert ln.fen == (10000, 5000, 5000, 4500, ln.fen[4])
    assert ln.fen[4] < 4500
    # no free shipping, no reduction, no coupon
    assert b.shipping_fen[1] == 800
    skipped = {p.id: p.reason for p in b.skipped}
    assert skipped["r"] is SkipReason.NOT_STACKABLE
    assert skipped["s"] is SkipReason.NOT_STACKABLE
    assert skipped["cp"] is SkipReason.NOT_STACKABLE


# RULES: PIPE-5
def test_flash_sale_line_joins_free_shipping_but_not_coupon_membership_or_points() -> None:
    c = cart(line("fs", "100.00"), shipping="8.00")
    b = price(c, [FixedLinePrice("flash", {"fs": 3999}, FLASH_SALE)], points=5)
    ln = b.line("fs")
    assert ln.family == "flash_sale"
    assert ln.fen == (10000, 3999, 3999, 3999, 3999)
    assert b.shipping_fen == (800, 0, 0, 0, 0)  # free shipping joined
    assert b.gifts and b.gifts[0].source == "g"  # pay-gift coupons joined
    reasons = {(p.stage, p.id): p.reason for p in b.skipped}
    assert reasons[Stage.ACTIVITIES, "r"] is SkipReason.NOT_STACKABLE
    assert reasons[Stage.COUPONS, "cp"] is SkipReason.NOT_STACKABLE
    assert reasons[Stage.MEMBERSHIP, "level:gold"] is SkipReason.NOT_STACKABLE
    assert reasons[Stage.POINTS, "points"] is SkipReason.NOT_STACKABLE
    assert b.points_used == 0


# RULES: PIPE-5
def test_pre_sale_line_joins_reductions_membership_and_points_not_coupons() -> None:
    c = cart(line("pre", "100.00"), shipping="8.00")
    b = price(c, [FixedLinePrice("pre", {"pre": 9000}, PRE_SALE)], points=5)
    touching = promos_touching(b, "pre")
    assert {(Stage.ACTIVITIES, "pre"), (Stage.ACTIVITIES, "r"), (Stage.MEMBERSHIP, "level:gold"),
            (Stage.POINTS, "points")} <= touching
    assert (Stage.COUPONS, "cp") not in touching
    assert b.shipping_fen[1] == 0


# RULES: PIPE-5
def test_mixed_cart_regular_line_keeps_every_benefit() -> None:
    c = cart(line("ltd", "100.00"), line("reg", "20.00"), shipping="8.00")
    b = price(c, [HalfPriceLimitedTime(frozenset({"ltd"}))], points=3)
    assert promos_touching(b, "reg") == {
        (Stage.ACTIVITIES, "r"), (Stage.COUPONS, "cp"), (Stage.MEMBERSHIP, "level:gold"),
        (Stage.POINTS, "points"),
    }
    # the reduction is measured on the regular line only (ACT-2): 20.00 ≥ 10.00
    (r,) = [p for p in b.applied if p.id == "r"]
    assert r.allocation == (("reg", 300),)
    # the limited-time line does not count toward free shipping and the free shipping
    # activity still applies thanks to the regular line
    assert b.shipping_fen[1] == 0


# RULES: PIPE-5, PIPE-4
def test_activity_whose_only_scope_line_is_not_stackable() -> None:
    c = cart(line("ltd", "100.00", product="p-ltd"), line("reg", "100.00", product="p-reg"))
    only_ltd = reduction("r-ltd", ("10", "3"), products=ProductScope(products={"p-ltd"}))
    b = price(c, [HalfPriceLimitedTime(frozenset({"ltd"}))], acts=[only_ltd], coupon=None)
    (skip,) = b.skipped
    assert (skip.id, skip.reason) == ("r-ltd", SkipReason.NOT_STACKABLE)


# RULES: PIPE-5, ACT-4
def test_two_rules_on_one_line_the_lower_price_wins() -> None:
    c = cart(line("x", "100.00"))
    high = FixedLinePrice("ltd-80", {"x": 8000}, LIMITED_TIME)
    low = FixedLinePrice("flash-60", {"x": 6000}, FLASH_SALE)
    for rules in ([high, low], [low, high]):
        b = price(c, rules, acts=[], coupon=None)
        assert b.line("x").fen[1] == 6000
        assert b.line("x").family == "flash_sale"
        assert [p.id for p in b.applied_in(Stage.ACTIVITIES)] == ["flash-60"]
        (skip,) = b.skipped_in(Stage.ACTIVITIES)
        assert (skip.id, skip.reason) == ("ltd-80", SkipReason.EXCLUSIVE)
        assert "flash-60" in skip.detail


# RULES: PIPE-5, PIPE-4
def test_losing_line_rule_names_the_winner_in_related() -> None:
    """PIPE-4 'exclusive with X': activities name X in ``related``; line rules should too."""
    c = cart(line("x", "100.00"))
    high = FixedLinePrice("ltd-80", {"x": 8000}, LIMITED_TIME)
    low = FixedLinePrice("flash-60", {"x": 6000}, FLASH_SALE)
    for rules in ([high, low], [low, high]):
        (skip,) = price(c, rules, acts=[], coupon=None).skipped_in(Stage.ACTIVITIES)
        assert skip.related == ("flash-60",)


# RULES: PIPE-5, PIPE-3
def test_two_rules_on_different_lines_both_apply() -> None:
    c = cart(line("a", "100.00"), line("b", "50.00"))
    rules = [FixedLinePrice("r1", {"a": 7000}, LIMITED_TIME),
             FixedLinePrice("r2", {"b": 4500}, FLASH_SALE)]
    b = price(c, rules, acts=[], coupon=None)
    assert {p.id: p.allocation for p in b.applied_in(Stage.ACTIVITIES)} == {
        "r1": (("a", 3000),), "r2": (("b", 500),)}


# RULES: PIPE-5, PIPE-1
@pytest.mark.parametrize("amount", [10001, -1])
def test_line_price_outside_zero_and_list_amount_is_refused(amount: int) -> None:
    c = cart(line("x", "100.00"))
    with pytest.raises(NotAllowed):
        price(c, [FixedLinePrice("bad", {"x": amount}, LIMITED_TIME)], acts=[], coupon=None)


# RULES: PIPE-5
def test_line_price_equal_to_list_or_zero_is_accepted() -> None:
    c = cart(line("x", "100.00"), line("y", "10.00"))
    b = price(c, [FixedLinePrice("ok", {"x": 10000, "y": 0}, LIMITED_TIME)], acts=[], coupon=None,
              buyer=Buyer())
    assert b.line("x").fen[1] == 10000
    assert b.line("y").fen[1] == 0
    assert b.line("x").family == "limited_time"


# RULES: PIPE-5, PIPE-4
def test_line_rule_skip_is_reported() -> None:
    b = price(cart(line("x", "100.00")), [AlwaysSkips()], acts=[], coupon=None, buyer=Buyer())
    (skip,) = b.skipped
    assert (skip.stage, skip.id, skip.reason) == (Stage.ACTIVITIES, "flash-over",
                                                  SkipReason.OUTSIDE_WINDOW)
    assert b.line("x").family == "regular"


# RULES: PIPE-5, PIPE-1
def test_free_shipping_threshold_uses_the_activity_price() -> None:
    """A flash-sale line joins free shipping; its participating amount is its flash price."""
    c = cart(line("fs", "100.00"), shipping="8.00")
    acts = [Activity("s", "满99包邮", FreeShipping(cny("99")))]
    b = price(c, [FixedLinePrice("flash", {"fs": 5000}, FLASH_SALE)], acts=acts, coupon=None)
    assert b.shipping_fen[1] == 800
    assert [p.reason for p in b.skipped if p.id == "s"] == [SkipReason.THRESHOLD_NOT_MET]


# RULES: PIPE-1, PTS-2
def test_points_pay_shipping_but_not_flash_goods() -> None:
    c = cart(line("fs", "100.00"), line("reg", "10.00"), shipping="8.00")
    b = price(c, [FixedLinePrice("flash", {"fs": 5000}, FLASH_SALE)], acts=[], coupon=None,
              buyer=Buyer("c1", points_balance=1000), points=1000)
    (p,) = b.applied_in(Stage.POINTS)
    assert p.share_of("fs") == 0
    assert dict(p.allocation) == {"reg": 1000, SHIPPING: 800}
    assert b.points_used == 18
