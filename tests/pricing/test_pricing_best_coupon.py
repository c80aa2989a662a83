"""Ranking the coupons of a wallet by what each saves through the whole pipeline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.coupons import CouponOffer, FixedAmount, FreeShippingCoupon, PercentOff
from mallcore.customers.points import PointsPolicy
from mallcore.money import Rate, money
from mallcore.pricing import Buyer, Cart, CartLine, PricingPipeline, SkipReason
from mallcore.pricing.best_coupon import best_coupon, rank_coupons
from mallcore.promotions import Activity, ReductionTier, TieredReduction

NOW = datetime(2026, 11, 22, 10, tzinfo=timezone(timedelta(hours=8)))


def cart(amount: str = "100.00", shipping: str = "8.00") -> Cart:
    return Cart([CartLine("tea", "p-tea", 1, money(amount))], shipping=money(shipping))


def test_face_value_is_not_the_saving_the_pipeline_decides() -> None:
    # RULES: CPN-1, PIPE-1 — "spend 100 save 15" first takes the goods to 85.00, so a
    # "spend 90, 20 off" coupon cannot be used any more; 10 off unconditionally can,
    # and free shipping saves the 8.00 fee
    pipeline = PricingPipeline([Activity("r", "满100减15", TieredReduction(
        [ReductionTier(money("100"), money("15"))]))])
    offers = [
        CouponOffer("big", "满90减20", FixedAmount(money("20")), threshold=money("90")),
        CouponOffer("ten", "无门槛10元", FixedAmount(money("10"))),
        CouponOffer("ship", "包邮券", FreeShippingCoupon()),
    ]
    ranked = rank_coupons(pipeline, cart(), offers, now=NOW)
    assert [r.offer.id for r in ranked] == ["ten", "ship", "big"]
    assert [r.saving_fen for r in ranked[:2]] == [1000, 800]
    assert ranked[2].usable is False
    assert ranked[2].reason is SkipReason.THRESHOLD_NOT_MET
    best = best_coupon(pipeline, cart(), offers, now=NOW)
    assert best is not None and best.offer.id == "ten"
    assert best.breakdown.payable_fen == 10800 - 1500 - 1000


def test_percentage_against_fixed_depends_on_the_cart() -> None:
    # RULES: CPN-1 — 8折 capped at 30 beats 25 off on 200.00 (saves 30); on 100.00 it
    # saves 20, and the 25 off wins
    offers = [CouponOffer("pct", "8折券", PercentOff(Rate.zhe(8), money("30"))),
              CouponOffer("fix", "25元券", FixedAmount(money("25")))]
    pipeline = PricingPipeline()
    assert rank_coupons(pipeline, cart("200.00"), offers, now=NOW)[0].offer.id == "pct"
    assert rank_coupons(pipeline, cart("100.00"), offers, now=NOW)[0].offer.id == "fix"


def test_ties_go_to_the_coupon_that_expires_first_then_by_id() -> None:
    # RULES: CPN-8 — same saving: use the one about to expire
    offers = [CouponOffer(i, i, FixedAmount(money("5"))) for i in ("a", "b", "c")]
    expiries = {"b": NOW + timedelta(days=1), "c": NOW + timedelta(days=30)}
    ranked = rank_coupons(PricingPipeline(), cart(), offers, now=NOW, expiries=expiries)
    assert [r.offer.id for r in ranked] == ["b", "c", "a"]


def test_no_coupon_worth_using_gives_none() -> None:
    # RULES: CPN-1
    offers = [CouponOffer("big", "满500减50", FixedAmount(money("50")), threshold=money("500"))]
    assert best_coupon(PricingPipeline(), cart(), offers, now=NOW) is None


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=30000), min_size=1, max_size=6),
    points=st.integers(min_value=0, max_value=50),
    member=st.booleans(),
)
def test_the_best_is_the_cheapest_usable_through_the_full_pipeline(
    amounts: list[int], points: int, member: bool,
) -> None:
    # RULES: CPN-1, PIPE-1, PTS-2 — whatever the points cap and member discount do to a
    # coupon's face value, the first usable coupon leaves the buyer paying least
    offers = [CouponOffer(f"c{i}", f"coupon {i}", FixedAmount(money(f"{a // 100}.{a % 100:02d}")))
              for i, a in enumerate(amounts)]
    pipeline = PricingPipeline(points_policy=PointsPolicy(cap_percent=50))
    buyer = Buyer("c1", "gold" if member else None, Rate.zhe(9) if member else None,
                  points_balance=points)
    ranked = rank_coupons(pipeline, cart("150.00"), offers, now=NOW, buyer=buyer, points=points)
    payables = [pipeline.price(cart("150.00"), now=NOW, buyer=buyer, coupon=o, points=points,
                               strict_coupon=False).payable_fen for o in offers]
    assert ranked[0].payable_fen == min(payables)
    assert [r.payable_fen for r in ranked] == sorted(r.payable_fen for r in ranked)
