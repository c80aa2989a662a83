"""Stage 3, the member discount (MEM-3), and stage 4, points (PTS-2, PTS-4, PIPE-1)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

import pytest
from strategies import NOW, cart, check_breakdown, cny, line, reduction

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.errors import InvalidInput
from mallcore.money import Rate
from mallcore.pricing import (
    SHIPPING,
    Buyer,
    Cart,
    PriceBreakdown,
    PricingPipeline,
    SkipReason,
    Stage,
)
from mallcore.promotions import Activity


def price(c: Cart, buyer: Buyer, *, acts: list[Activity] = (),  # type: ignore[assignment]
          coupon: CouponOffer | None = None, points: int = 0,
          policy: PointsPolicy | None = None) -> PriceBreakdown:
    b = PricingPipeline(acts, points_policy=policy).price(
        c, now=NOW, buyer=buyer, coupon=coupon, points=points)
    check_breakdown(b, c)
    return b


def saving(b: PriceBreakdown, stage: Stage) -> int:
    return b.total_fen(list(Stage)[stage.position - 1]) - b.total_fen(stage)


# ------------------------------------------------------------------- MEM-3
# RULES: MEM-3, PIPE-1
def test_member_discount_on_post_coupon_goods_not_on_shipping() -> None:
    c = cart(line("x", "100.00"), shipping="10.00")
    coupon = CouponOffer("cp", "5元", FixedAmount(cny("5")))
    b = price(c, Buyer("c1", "gold", Rate.zhe(9)), coupon=coupon,
              acts=[reduction("r", ("100", "15"))])
    # 100 → 85 (activity) → 80 (coupon) → 9折 saves 8.00; shipping 10.00 untouched
    assert saving(b, Stage.MEMBERSHIP) == 800
    assert b.shipping_fen == (1000,) * 5
    (p,) = b.applied_in(Stage.MEMBERSHIP)
    assert p.id == "level:gold"
    assert p.share_of(SHIPPING) == 0


# RULES: MEM-3, PIPE-3
def test_member_discount_half_up_and_allocated_to_lines() -> None:
    c = cart(line("a", "61.72"), line("b", "61.73"))
    b = price(c, Buyer("c1", "gold", Rate.zhe(9)))
    assert saving(b, Stage.MEMBERSHIP) == 1235  # 12.345 → 12.35
    (p,) = b.applied_in(Stage.MEMBERSHIP)
    assert sum(f for _, f in p.allocation) == 1235


# RULES: MEM-3, LTD-3
@pytest.mark.parametrize("ctx", [
    Context(prec=3, rounding=ROUND_HALF_EVEN),
    Context(prec=6, rounding=ROUND_HALF_EVEN),
])
def test_member_discount_ignores_the_ambient_decimal_context(ctx: Context) -> None:
    c = cart(line("a", "1234.50"))
    with localcontext(ctx):
        b = price(c, Buyer("c1", "gold", Rate.zhe(9)))
        total = b.total(Stage.MEMBERSHIP)
        payable = b.payable
    assert saving(b, Stage.MEMBERSHIP) == 12345  # 123.45
    assert b.to_dict()["payable"] == "1111.05"
    # Money built under the ambient context must still be exact
    assert total.amount == Decimal("1111.05")
    assert payable.amount == Decimal("1111.05")


# RULES: MEM-3, PIPE-4
def test_level_without_discount_is_reported() -> None:
    b = price(cart(line("x", "10.00")), Buyer("c1", "regular"))
    (skip,) = b.skipped
    assert (skip.stage, skip.reason) == (Stage.MEMBERSHIP, SkipReason.NO_MEMBER_DISCOUNT)
    assert price(cart(line("x", "10.00")), Buyer()).skipped == ()


# RULES: MEM-3, PIPE-4
def test_member_discount_rounding_to_nothing() -> None:
    b = price(cart(line("x", "0.04")), Buyer("c1", "gold", Rate.zhe(9)))
    assert b.payable_fen == 4
    assert b.skipped[0].reason is SkipReason.NOTHING_TO_DISCOUNT


# ------------------------------------------------------------------- PTS-2
RICH = Buyer("c1", points_balance=100_000)


# RULES: PTS-2
@pytest.mark.parametrize(("goods", "cap", "asked", "used"), [
    ("100.00", 100, 30, 30),
    ("100.00", 10, 30, 10),     # capped at 10% of 100.00
    ("98.00", 10, 30, 9),       # 9.80 → 9 whole yuan
    ("5.99", 100, 30, 5),       # 5.99 → 5
    ("100.00", 0, 30, 0),
])
def test_points_capped_by_percent_in_whole_yuan(goods: str, cap: int, asked: int, used: int
                                                ) -> None:
    b = price(cart(line("x", goods)), RICH, points=asked,
              policy=PointsPolicy(points_per_yuan=1, cap_percent=cap))
    assert b.points_used == used
    assert saving(b, Stage.POINTS) == used * 100
    if used == 0:
        assert b.skipped[0].reason is SkipReason.LIMIT_REACHED


# RULES: PTS-2
def test_points_exchange_rate_spends_whole_yuan_worth() -> None:
    b = price(cart(line("x", "50.00")), RICH, points=1_234,
              policy=PointsPolicy(points_per_yuan=100))
    assert b.points_used == 1_200  # 12.34 yuan worth → 12 yuan, 1200 points
    assert saving(b, Stage.POINTS) == 1200


# RULES: PTS-2, PTS-4
def test_points_never_exceed_the_balance() -> None:
    b = price(cart(line("x", "100.00")), Buyer("c1", points_balance=7), points=50)
    assert b.points_used == 7
    assert saving(b, Stage.POINTS) == 700
    with pytest.raises(InvalidInput) as err:
        Buyer("c1", points_balance=-1)
    assert err.value.rule == "PTS-4"


# RULES: PTS-2, PIPE-1
def test_points_can_pay_shipping() -> None:
    c = cart(line("x", "10.00"), shipping="5.00")
    b = price(c, RICH, points=15)
    assert b.points_used == 15
    assert b.payable_fen == 0
    (p,) = b.applied_in(Stage.POINTS)
    assert dict(p.allocation) == {"x": 1000, SHIPPING: 500}
    assert b.shipping_fen == (500, 500, 500, 500, 0)


# RULES: PTS-2, PIPE-1
def test_points_cap_base_includes_shipping_after_earlier_stages() -> None:
    c = cart(line("x", "90.00"), shipping="10.00")
    b = price(c, Buyer("c1", "gold", Rate.zhe(5), points_balance=1000), points=1000,
              policy=PointsPolicy(cap_percent=50))
    # after membership: goods 45.00 + shipping 10.00 = 55.00; 50% → 27.50 → 27
    assert b.points_used == 27
    (p,) = b.applied_in(Stage.POINTS)
    assert sum(f for _, f in p.allocation) == 2700
    assert p.share_of(SHIPPING) > 0


# RULES: PTS-2, PIPE-4
def test_points_disabled() -> None:
    b = price(cart(line("x", "100.00")), RICH, points=10, policy=PointsPolicy(enabled=False))
    assert b.points_used == 0
    assert b.payable_fen == 10000
    (skip,) = b.skipped
    assert (skip.stage, skip.reason) == (Stage.POINTS, SkipReason.POINTS_DISABLED)


# RULES: PTS-2
def test_no_points_requested_means_no_points_stage() -> None:
    b = price(cart(line("x", "100.00")), RICH, points=0)
    assert b.applied == () and b.skipped == ()
    assert b.points_used == 0


# RULES: PTS-2, PTS-4
def test_negative_points_request_is_refused() -> None:
    with pytest.raises(InvalidInput):
        price(cart(line("x", "100.00")), RICH, points=-5)
