"""What the pipeline refuses before pricing anything, and PIPE-3 on concrete carts."""

from __future__ import annotations

from datetime import datetime

import pytest
from strategies import NOW, FixedLinePrice, cart, check_breakdown, cny, discount, line, reduction

from mallcore.coupons import CouponOffer, FixedAmount, PercentOff
from mallcore.customers.points import PointsPolicy
from mallcore.errors import CurrencyMismatch, InvalidInput, NotAllowed
from mallcore.money import Rate, money
from mallcore.pricing import SHIPPING, Buyer, Cart, CartLine, PricingPipeline, Stage
from mallcore.promotions import (
    LIMITED_TIME,
    Activity,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ProductScope,
    ReductionTier,
    TieredReduction,
)


# ------------------------------------------------------------------ currencies
# RULES: PIPE-3
def test_cart_mixing_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        Cart([CartLine("a", "p", 1, money("1.00")), CartLine("b", "p", 1, money("1.00", "USD"))])


# RULES: PIPE-3
def test_shipping_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        Cart([CartLine("a", "p", 1, money("1.00"))], shipping=money("1.00", "USD"))


# RULES: PIPE-3, ACT-1
def test_activity_in_another_currency_is_refused() -> None:
    usd = Activity("u", "usd", TieredReduction([ReductionTier(money("1", "USD"),
                                                              money("1", "USD"))]))
    with pytest.raises(CurrencyMismatch):
        PricingPipeline([usd]).price(cart(line("x", "10.00")), now=NOW)
    usd_ship = Activity("u", "usd", FreeShipping(money("1", "USD")))
    with pytest.raises(CurrencyMismatch):
        PricingPipeline([usd_ship]).price(cart(line("x", "10.00")), now=NOW)


# RULES: PIPE-3, ACT-1
def test_activity_tiers_mixing_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        TieredReduction([ReductionTier(money("1"), money("1", "USD"))])
    with pytest.raises(CurrencyMismatch):
        GiftCoupons([GiftTier(money("1"), "a"), GiftTier(money("2", "USD"), "b")])


# RULES: PIPE-3
def test_a_usd_cart_prices_in_usd() -> None:
    c = Cart([CartLine("a", "p", 2, money("1.25", "USD"))], shipping=money("0.50", "USD"))
    b = PricingPipeline().price(c, now=NOW)
    assert b.currency == "USD"
    assert b.payable == money("3.00", "USD")


# ---------------------------------------------------------------- other inputs
# RULES: ACT-3
def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidInput):
        PricingPipeline().price(cart(line("x", "1.00")), now=datetime(2026, 11, 22, 10))


# RULES: PIPE-3
def test_duplicate_line_ids_are_refused() -> None:
    with pytest.raises(InvalidInput):
        cart(line("x", "1.00"), line("x", "2.00", sku="other"))
    with pytest.raises(InvalidInput):  # line id defaults to the SKU
        Cart([CartLine("s", "p", 1, money("1.00")), CartLine("s", "p", 2, money("1.00"))])


# RULES: PIPE-3
def test_same_sku_on_two_lines_with_distinct_ids_is_fine() -> None:
    c = cart(line("x1", "1.00", sku="s"), line("x2", "2.00", sku="s"))
    assert PricingPipeline().price(c, now=NOW).payable_fen == 300


# RULES: PIPE-3
@pytest.mark.parametrize("build", [
    lambda: Cart([]),
    lambda: CartLine("a", "p", 0, money("1.00")),
    lambda: CartLine("a", "p", True, money("1.00")),
    lambda: CartLine("a", "p", 1, money("-1.00")),
    lambda: CartLine("", "p", 1, money("1.00")),
    lambda: CartLine("a", "p", 1, money("1.00"), line_id=""),
    lambda: Cart([CartLine("a", "p", 1, money("1.00"))], shipping=money("-0.01")),
])
def test_malformed_carts_are_refused(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        build()


# RULES: ACT-3
def test_two_activities_with_one_id_are_refused() -> None:
    with pytest.raises(NotAllowed):
        PricingPipeline([reduction("a", ("1", "1")), discount("a", ("1", "9"))])


# ------------------------------------------------------------- PIPE-3 concrete
# RULES: PIPE-3
def test_every_stage_allocates_exactly_on_an_awkward_cart() -> None:
    """Three lines of 33.33 and odd discounts: every stage's shares sum to its saving and
    each line drops by exactly its shares."""
    c = cart(line("a", "33.33"), line("b", "33.33"), line("c", "33.34", 1), line("d", "0.01"),
             shipping="7.77")
    acts = [reduction("r", ("50", "10.01")), Activity("s", "包邮", FreeShipping(cny("200")))]
    b = PricingPipeline(acts, points_policy=PointsPolicy(cap_percent=37)).price(
        c, now=NOW, buyer=Buyer("c1", "gold", Rate.zhe("8.7"), points_balance=999),
        coupon=CouponOffer("cp", "7.3折", PercentOff(Rate.zhe("7.3"), cny("9.99"))), points=999)
    check_breakdown(b, c)
    assert len(b.applied) == 4
    for p in b.applied:
        assert sum(f for _, f in p.allocation) == p.saving_fen
    # the 10.01 reduction: one fen more to a remainder, ties broken by line id
    (r,) = b.applied_in(Stage.ACTIVITIES)
    assert dict(r.allocation) == {"a": 334, "b": 333, "c": 334}


# RULES: PIPE-3
def test_allocation_does_not_depend_on_line_order() -> None:
    lines = [line("a", "10.00"), line("b", "10.00"), line("c", "10.00")]
    acts = [reduction("r", ("1", "0.02"))]
    results = []
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        c = cart(*(lines[i] for i in order))
        b = PricingPipeline(acts).price(c, now=NOW)
        check_breakdown(b, c)
        results.append(dict(b.applied[0].allocation))
    assert results[0] == results[1] == results[2] == {"a": 1, "b": 1}


# RULES: PIPE-3, PIPE-5
def test_line_price_saving_is_allocated_to_its_own_line() -> None:
    c = cart(line("a", "10.00", 3), line("b", "5.00"))
    b = PricingPipeline(line_rules=[FixedLinePrice("ltd", {"a": 2100}, LIMITED_TIME)]).price(
        c, now=NOW)
    check_breakdown(b, c)
    assert b.applied[0].allocation == (("a", 900),)


# RULES: PIPE-3
def test_zero_priced_lines_and_zero_shipping() -> None:
    c = cart(line("free", "0.00", 2), line("x", "0.01"))
    b = PricingPipeline([reduction("r", ("0", "5"))], points_policy=PointsPolicy()).price(
        c, now=NOW, buyer=Buyer("c1", "g", Rate.zhe(1), points_balance=5),
        coupon=CouponOffer("cp", "1元", FixedAmount(cny("1"))), points=5, strict_coupon=False)
    check_breakdown(b, c)
    assert b.payable_fen == 0
    assert b.line("free").fen == (0,) * 5


# RULES: PIPE-3, PIPE-1
def test_shipping_allocations_are_exact() -> None:
    c = cart(line("x", "10.00"), shipping="3.33")
    b = PricingPipeline([Activity("s", "包邮", FreeShipping(cny("10")))]).price(c, now=NOW)
    check_breakdown(b, c)
    assert b.applied[0].allocation == ((SHIPPING, 333),)
    assert b.applied[0].share_of(SHIPPING) == 333


# RULES: PIPE-3
def test_scope_limited_to_skus_counts_only_those_skus() -> None:
    c = cart(line("x", "60.00", sku="s1"), line("y", "60.00", sku="s2"))
    b = PricingPipeline([reduction("r", ("100", "10"), products=ProductScope(skus={"s1"}))]).price(
        c, now=NOW)
    assert b.applied == ()
