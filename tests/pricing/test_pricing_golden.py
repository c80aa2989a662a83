"""The golden example of the ordered pipeline, reproduced to the fen: PIPE-1, PIPE-2."""

from __future__ import annotations

import pytest
from strategies import NOW, check_breakdown, cny

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.money import Rate
from mallcore.pricing import (
    SHIPPING,
    Buyer,
    Cart,
    CartLine,
    PipelinePolicy,
    PriceBreakdown,
    PricingPipeline,
    SkipReason,
    Stage,
)
from mallcore.promotions import (
    Activity,
    DiscountTier,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ProductScope,
    ReductionTier,
    TieredDiscount,
    TieredReduction,
)

GOLD = Buyer("c1", "gold", Rate.zhe(9), points_balance=50)
TWO_OFF = CouponOffer("cp2", "无门槛2元", FixedAmount(cny("2")))


def golden_activities() -> list[Activity]:
    return [
        Activity("a-10off", "全场满100打9折",
                 TieredDiscount([DiscountTier(cny("100"), Rate.zhe(9))])),
        Activity("a-15", "部分商品满100减15",
                 TieredReduction([ReductionTier(cny("100"), cny("15"))]),
                 products=ProductScope(products={"p-tea"})),
        Activity("a-gift", "满100赠券", GiftCoupons([GiftTier(cny("100"), "thanks-coupon")])),
        Activity("a-ship", "满100包邮", FreeShipping(cny("100"))),
    ]


def golden_cart() -> Cart:
    return Cart([CartLine("tea", "p-tea", 1, cny("100.00"))], shipping=cny("1.00"))


def golden(policy: PipelinePolicy | None = None) -> PriceBreakdown:
    pipeline = PricingPipeline(golden_activities(),
                               points_policy=PointsPolicy(points_per_yuan=1, cap_percent=100),
                               policy=policy)
    return pipeline.price(golden_cart(), now=NOW, buyer=GOLD, coupon=TWO_OFF, points=10)


# RULES: PIPE-2, PIPE-1
def test_golden_totals_stage_by_stage() -> None:
    b = golden()
    assert {s.value: b.total_fen(s) for s in Stage} == {
        "list": 10100, "activities": 8500, "coupons": 8300, "membership": 7470, "points": 6470,
    }
    assert b.payable == cny("64.70")
    assert b.points_used == 10
    check_breakdown(b, golden_cart())


# RULES: PIPE-2, PIPE-3
def test_golden_per_line_and_shipping_amounts() -> None:
    b = golden()
    assert b.line("tea").fen == (10000, 8500, 8300, 7470, 6470)
    # PIPE-1: shipping is charged after stage 1, where free shipping waives it.
    assert b.shipping_fen == (100, 0, 0, 0, 0)


# RULES: PIPE-2, PIPE-4
def test_golden_applied_promotions_and_their_allocations() -> None:
    b = golden()
    applied = {(p.stage, p.id): p for p in b.applied}
    assert set(applied) == {
        (Stage.ACTIVITIES, "a-15"), (Stage.ACTIVITIES, "a-gift"), (Stage.ACTIVITIES, "a-ship"),
        (Stage.COUPONS, "cp2"), (Stage.MEMBERSHIP, "level:gold"), (Stage.POINTS, "points"),
    }
    assert applied[Stage.ACTIVITIES, "a-15"].saving_fen == 1500
    assert applied[Stage.ACTIVITIES, "a-15"].allocation == (("tea", 1500),)
    assert applied[Stage.ACTIVITIES, "a-ship"].saving_fen == 100
    assert applied[Stage.ACTIVITIES, "a-ship"].allocation == ((SHIPPING, 100),)
    assert applied[Stage.ACTIVITIES, "a-gift"].saving_fen == 0
    assert applied[Stage.COUPONS, "cp2"].allocation == (("tea", 200),)
    assert applied[Stage.MEMBERSHIP, "level:gold"].saving_fen == 830
    assert applied[Stage.POINTS, "points"].saving_fen == 1000


# RULES: PIPE-2, PIPE-4, ACT-4
def test_golden_ten_percent_off_is_considered_and_skipped_as_exclusive() -> None:
    b = golden()
    assert [p.id for p in b.skipped] == ["a-10off"]
    skip = b.skipped[0]
    assert skip.stage is Stage.ACTIVITIES
    assert skip.reason is SkipReason.EXCLUSIVE
    assert skip.related == ("a-15",)
    assert "10.00" in skip.detail  # what it would have saved


# RULES: PIPE-2, ACT-1
def test_golden_gift_coupon_is_granted_after_completion() -> None:
    b = golden()
    assert len(b.gifts) == 1
    gift = b.gifts[0]
    assert (gift.kind, gift.ref, gift.quantity, gift.source) == (
        "coupon", "thanks-coupon", 1, "a-gift")


# RULES: PIPE-2, PIPE-4
def test_golden_to_dict_lists_stages_in_pipeline_order() -> None:
    d = golden().to_dict()
    stages = d["stages"]
    assert isinstance(stages, list)
    assert [s["stage"] for s in stages] == ["list", "activities", "coupons", "membership",
                                            "points"]
    assert [s["total"] for s in stages] == ["101.00", "85.00", "83.00", "74.70", "64.70"]
    assert [s["saving"] for s in stages] == ["0.00", "16.00", "2.00", "8.30", "10.00"]
    assert d["payable"] == "64.70"
    assert d["lines"][0]["amounts"] == {
        "list": "100.00", "activities": "85.00", "coupons": "83.00", "membership": "74.70",
        "points": "64.70",
    }
    assert d["skipped"][0]["reason"] == "exclusive"
    assert d["skipped"][0]["related"] == ["a-15"]
    assert d["gifts"] == [{"kind": "coupon", "ref": "thanks-coupon", "quantity": 1,
                           "source": "a-gift"}]


# RULES: PIPE-6
def test_golden_gift_basis_is_goods_paid_without_shipping() -> None:
    b = golden()
    assert b.gift_basis == cny("64.70")
    assert golden().to_dict()["gift_basis"] == "64.70"


# RULES: PIPE-2, ACT-4
def test_golden_with_exclusive_gift_coupons_keeps_the_money_result() -> None:
    """The switch makes the gift coupon compete for the line; 15.00 still wins it."""
    b = golden(PipelinePolicy(gift_coupons_exclusive=True))
    assert b.payable == cny("64.70")
    skipped = {p.id: p for p in b.skipped}
    assert skipped["a-gift"].reason is SkipReason.EXCLUSIVE
    assert skipped["a-gift"].related == ("a-15",)
    assert b.gifts == ()


# RULES: PIPE-2
@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]])
def test_golden_does_not_depend_on_activity_order(order: list[int]) -> None:
    acts = golden_activities()
    pipeline = PricingPipeline([acts[i] for i in order],
                               points_policy=PointsPolicy(points_per_yuan=1, cap_percent=100))
    b = pipeline.price(golden_cart(), now=NOW, buyer=GOLD, coupon=TWO_OFF, points=10)
    assert b == golden()
