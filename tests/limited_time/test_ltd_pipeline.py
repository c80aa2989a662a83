"""Limited-time lines through the real pipeline: PIPE-5 stacking, PIPE-1 order, PIPE-4."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.errors import NotAllowed
from mallcore.money import Rate, money
from mallcore.pricing import (
    Buyer,
    Cart,
    CartLine,
    PriceBreakdown,
    PricingPipeline,
    SkipReason,
    Stage,
)
from mallcore.promotions import (
    Activity,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ReductionTier,
    TieredReduction,
)
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeItem,
    LimitedTimeRule,
    LimitMode,
    PersonLimit,
    PriceMode,
)
from mallcore.promotions.window import Window

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 5, 1, 10, 0, tzinfo=CST)
GOLD = Buyer("c1", "gold", Rate.zhe("9"), points_balance=1000, level_name="金卡")
REDUCTION = Activity("r", "满10减3", TieredReduction([ReductionTier(money("10"), money("3"))]))
FREE_SHIPPING = Activity("ship", "包邮", FreeShipping())
GIFT = Activity("gift", "满赠券", GiftCoupons([GiftTier(money("10"), "coupon-batch")]))
COUPON = CouponOffer("cp", "5元券", FixedAmount(money("5")))
SHOE = LimitedTimeItem("red-40", "shoe", PriceMode.DISCOUNT, "7", money("100"), 50, 50)
LTD = LimitedTimeDiscount("ltd", "限时7折", Window(NOW - timedelta(days=1),
                                                 NOW + timedelta(days=1)), [SHOE])


def price(cart: Cart, rule: LimitedTimeRule, *, points: int = 10, strict: bool = False,
          buyer: Buyer = GOLD) -> PriceBreakdown:
    pipeline = PricingPipeline([REDUCTION, FREE_SHIPPING, GIFT], line_rules=[rule],
                               points_policy=PointsPolicy(cap_percent=100))
    return pipeline.price(cart, now=NOW, buyer=buyer, coupon=COUPON, points=points,
                          strict_coupon=strict)


def touching(b: PriceBreakdown, line_id: str) -> set[tuple[Stage, str]]:
    return {(p.stage, p.id) for p in b.applied if p.share_of(line_id)}


# RULES: PIPE-5, PIPE-1
def test_limited_time_line_gets_membership_and_points_only() -> None:
    cart = Cart([CartLine("red-40", "shoe", 1, money("100.00")),
                 CartLine("hat", "hat", 1, money("50.00"))])
    b = price(cart, LimitedTimeRule(LTD))
    red, hat = b.line("red-40"), b.line("hat")
    assert red.family == "limited_time" and hat.family == "regular"
    assert touching(b, "red-40") == {(Stage.ACTIVITIES, "ltd"), (Stage.MEMBERSHIP, "level:gold"),
                                     (Stage.POINTS, "points")}
    assert touching(b, "hat") == {(Stage.ACTIVITIES, "r"), (Stage.COUPONS, "cp"),
                                  (Stage.MEMBERSHIP, "level:gold"), (Stage.POINTS, "points")}
    # list → activity price → (no coupon) → 9折 of 70.00
    assert red.fen[:4] == (10000, 7000, 7000, 6300)
    # 50 − 3 (reduction) − 5 (coupon) → 9折 of 42.00
    assert hat.fen[:4] == (5000, 4700, 4200, 3780)
    assert b.points_used == 10
    assert b.payable_fen == 6300 + 3780 - 1000
    ltd = next(p for p in b.applied if p.id == "ltd")
    assert (ltd.saving_fen, ltd.detail) == (3000, "red-40: 100.00 × 7折 = 70.00")


# RULES: PIPE-5
def test_only_limited_time_lines_refuse_reduction_coupon_free_shipping_and_gifts() -> None:
    cart = Cart([CartLine("red-40", "shoe", 2, money("100.00"))], shipping=money("8.00"))
    b = price(cart, LimitedTimeRule(LTD), points=5)
    reasons = {(p.stage, p.id): p.reason for p in b.skipped}
    for key in ((Stage.ACTIVITIES, "r"), (Stage.ACTIVITIES, "ship"),
                (Stage.ACTIVITIES, "gift"), (Stage.COUPONS, "cp")):
        assert reasons[key] is SkipReason.NOT_STACKABLE
    assert b.gifts == ()
    assert b.shipping_fen[1] == 800  # shipping still charged after stage 1
    assert b.line("red-40").fen[:4] == (20000, 14000, 14000, 12600)
    assert b.payable_fen == 12600 + 800 - 500  # points may pay shipping
    with pytest.raises(NotAllowed) as exc:  # a checkout refuses the coupon outright
        price(cart, LimitedTimeRule(LTD), strict=True)
    assert exc.value.rule == "PIPE-5"


# RULES: PIPE-5, PIPE-4
def test_outside_its_window_the_line_is_regular_again() -> None:
    cart = Cart([CartLine("red-40", "shoe", 1, money("100.00"))])
    later = LimitedTimeDiscount("ltd", "限时7折", Window(NOW + timedelta(days=1)), [SHOE])
    b = price(cart, LimitedTimeRule(later))
    assert b.line("red-40").family == "regular"
    assert {(Stage.ACTIVITIES, "r"), (Stage.COUPONS, "cp")} <= touching(b, "red-40")
    skip = next(p for p in b.skipped if p.id == "ltd")
    assert skip.reason is SkipReason.OUTSIDE_WINDOW and skip.stage is Stage.ACTIVITIES


# RULES: LTD-2, PIPE-4, PIPE-5
def test_limits_through_the_pipeline() -> None:
    bought = {"shoe": 1}
    limited = LimitedTimeDiscount("ltd", "限时7折", LTD.window, [SHOE],
                                  limit=PersonLimit(3, LimitMode.FIRST_N))
    rule = LimitedTimeRule(limited, lambda activity, customer, key: bought[key])
    cart = Cart([CartLine("red-40", "shoe", 4, money("100.00"))])
    b = price(cart, rule, points=0)
    # mode (b) splits the line: 2 limited-time units, 2 regular units at the list price
    ltd, rest = b.line("red-40"), b.line("red-40#list")
    assert (ltd.quantity, ltd.family, ltd.fen[1]) == (2, "limited_time", 2 * 7000)
    assert (rest.quantity, rest.family, rest.fen[1]) == (2, "regular", 2 * 10000 - 300)
    assert touching(b, "red-40") == {(Stage.ACTIVITIES, "ltd"), (Stage.MEMBERSHIP, "level:gold")}
    assert touching(b, "red-40#list") == {(Stage.ACTIVITIES, "r"), (Stage.COUPONS, "cp"),
                                          (Stage.MEMBERSHIP, "level:gold")}
    assert (ltd.source, rest.source) == ("red-40", "red-40")
    assert b.source_lines() == cart.lines
    bought["shoe"] = 3
    b = price(cart, rule, points=0)
    assert b.line("red-40").family == "regular"  # used up: full price, joins everything
    skip = next(p for p in b.skipped if p.id == "ltd")
    assert skip.reason is SkipReason.LIMIT_REACHED
    assert "3 bought before" in skip.detail
