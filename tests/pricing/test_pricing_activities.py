"""Stage 1, marketing activities: ACT-1 kinds, ACT-2 participating lines, ACT-3 windows,
ACT-4 exclusivity, ACT-5 customers (and the PIPE-4 reasons for every skip)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from strategies import NOW, cart, check_breakdown, cny, discount, line, reduction

from mallcore.errors import InvalidConfiguration
from mallcore.money import Rate
from mallcore.pricing import (
    GUEST,
    SHIPPING,
    Buyer,
    PipelinePolicy,
    PriceBreakdown,
    PricingPipeline,
    SkipReason,
    Stage,
)
from mallcore.promotions import (
    ALWAYS,
    Activity,
    Audience,
    CustomerScope,
    DiscountTier,
    EveryReduction,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ProductScope,
    TieredDiscount,
    Window,
    validate_activities,
)


def price(acts: list[Activity], c, buyer: Buyer = GUEST, **kw) -> PriceBreakdown:  # type: ignore[no-untyped-def]
    b = PricingPipeline(acts, **kw).price(c, now=NOW, buyer=buyer)
    check_breakdown(b, c)
    return b


def applied(b: PriceBreakdown, pid: str):  # type: ignore[no-untyped-def]
    found = [p for p in b.applied if p.id == pid]
    assert len(found) == 1, (pid, b.applied)
    return found[0]


def skipped(b: PriceBreakdown, pid: str):  # type: ignore[no-untyped-def]
    found = [p for p in b.skipped if p.id == pid]
    assert len(found) == 1, (pid, b.skipped)
    return found[0]


# ------------------------------------------------------------------ ACT-1 kinds
TIERS = (("100", "10"), ("200", "30"), ("300", "50"))


# RULES: ACT-1
@pytest.mark.parametrize(
    ("goods", "saving"),
    [("99.99", 0), ("100.00", 1000), ("199.99", 1000), ("200.00", 3000), ("299.00", 3000),
     ("300.00", 5000), ("1000.00", 5000)],
)
def test_tiered_reduction_uses_only_the_highest_tier_reached(goods: str, saving: int) -> None:
    b = price([reduction("r", *TIERS)], cart(line("x", goods)))
    assert b.total_fen(Stage.LIST) - b.total_fen(Stage.ACTIVITIES) == saving
    if saving:
        assert applied(b, "r").saving_fen == saving  # never 10 + 30 + 50
    else:
        skip = skipped(b, "r")
        assert skip.reason is SkipReason.THRESHOLD_NOT_MET  # RULES: PIPE-4


# RULES: ACT-1
@pytest.mark.parametrize(
    ("goods", "cap", "saving"),
    [("99.99", None, 0), ("100.00", None, 1000), ("250.00", None, 2000),
     ("1000.00", None, 10000), ("1000.00", "35", 3500), ("250.00", "35", 2000)],
)
def test_every_reduction_repeats_and_respects_max_save(goods: str, cap: str | None,
                                                        saving: int) -> None:
    act = Activity("e", "每满100减10",
                   EveryReduction(cny("100"), cny("10"), None if cap is None else cny(cap)))
    b = price([act], cart(line("x", goods)))
    assert b.total_fen(Stage.LIST) - b.total_fen(Stage.ACTIVITIES) == saving


# RULES: ACT-1
def test_reduction_never_exceeds_the_goods() -> None:
    b = price([Activity("e", "every 1 save 5", EveryReduction(cny("1"), cny("5")))],
              cart(line("x", "3.00")))
    assert b.line("x").fen[1] == 0
    assert applied(b, "e").saving_fen == 300


# RULES: ACT-1
@pytest.mark.parametrize(
    ("goods", "saving"),
    [("99.99", 0), ("100.00", 1000), ("123.45", 1235),  # 12.345 half-up → 12.35
     ("200.00", 4000), ("500.00", 10000)],
)
def test_tiered_discount_by_amount(goods: str, saving: int) -> None:
    b = price([discount("d", ("100", "9"), ("200", "8"))], cart(line("x", goods)))
    assert b.total_fen(Stage.LIST) - b.total_fen(Stage.ACTIVITIES) == saving


# RULES: ACT-1
@pytest.mark.parametrize(("quantities", "saving"), [
    ((1,), 0),            # 1 item: no tier
    ((2,), 1000),         # 2 items of 50.00 at 9折
    ((1, 1), 1000),       # count is summed over lines
    ((3,), 3000),         # 3 items at 8折 on 150.00
    ((2, 2), 4000),       # 4 items at 8折 on 200.00
])
def test_tiered_discount_by_item_count(quantities: tuple[int, ...], saving: int) -> None:
    act = Activity("n", "2件9折 3件8折",
                   TieredDiscount([DiscountTier(2, Rate.zhe(9)), DiscountTier(3, Rate.zhe(8))],
                                  by_count=True))
    c = cart(*(line(f"l{i}", "50.00", q) for i, q in enumerate(quantities)))
    b = price([act], c)
    assert b.total_fen(Stage.LIST) - b.total_fen(Stage.ACTIVITIES) == saving


# RULES: ACT-1
def test_count_discount_counts_quantity_not_lines() -> None:
    act = Activity("n", "3件8折",
                   TieredDiscount([DiscountTier(3, Rate.zhe(8))], by_count=True))
    expensive_single = price([act], cart(line("a", "1000.00"), line("b", "1000.00")))
    assert expensive_single.applied == ()
    assert skipped(expensive_single, "n").reason is SkipReason.THRESHOLD_NOT_MET
    cheap_many = price([act], cart(line("a", "1.00", 3)))
    assert applied(cheap_many, "n").saving_fen == 60


# RULES: ACT-1, PIPE-1
def test_free_shipping_with_threshold() -> None:
    act = Activity("s", "满99包邮", FreeShipping(cny("99")))
    met = price([act], cart(line("x", "99.00"), shipping="8.00"))
    assert met.shipping_fen == (800, 0, 0, 0, 0)
    assert applied(met, "s").allocation == ((SHIPPING, 800),)
    assert met.line("x").fen == (9900,) * 5  # goods untouched
    below = price([act], cart(line("x", "98.99"), shipping="8.00"))
    assert below.shipping_fen == (800,) * 5
    assert skipped(below, "s").reason is SkipReason.THRESHOLD_NOT_MET


# RULES: ACT-1
def test_free_shipping_without_threshold() -> None:
    act = Activity("s", "包邮", FreeShipping())
    b = price([act], cart(line("x", "0.01"), shipping="12.00"))
    assert b.shipping_fen[1] == 0
    assert applied(b, "s").saving_fen == 1200


# RULES: ACT-1, PIPE-4
def test_free_shipping_excluded_region() -> None:
    act = Activity("s", "包邮(偏远除外)", FreeShipping(excluded_regions={"xinjiang", "tibet"}))
    far = price([act], cart(line("x", "50.00"), shipping="20.00", region="xinjiang"))
    assert far.shipping_fen[1] == 2000
    assert skipped(far, "s").reason is SkipReason.REGION_EXCLUDED
    near = price([act], cart(line("x", "50.00"), shipping="20.00", region="zhejiang"))
    assert near.shipping_fen[1] == 0


# RULES: ACT-1, PIPE-4
def test_free_shipping_delivery_method_not_eligible() -> None:
    act = Activity("s", "快递包邮", FreeShipping(delivery_methods={"express"}))
    other = price([act], cart(line("x", "50.00"), shipping="5.00", delivery_method="same_city"))
    assert other.shipping_fen[1] == 500
    assert skipped(other, "s").reason is SkipReason.DELIVERY_METHOD
    express = price([act], cart(line("x", "50.00"), shipping="5.00"))
    assert express.shipping_fen[1] == 0


# RULES: ACT-1, PIPE-4
def test_second_free_shipping_activity_reports_already_free() -> None:
    acts = [Activity("s1", "包邮1", FreeShipping()), Activity("s2", "包邮2", FreeShipping())]
    b = price(acts, cart(line("x", "50.00"), shipping="5.00"))
    assert applied(b, "s1").saving_fen == 500
    skip = skipped(b, "s2")
    assert skip.reason is SkipReason.ALREADY_FREE
    assert skip.related == ("s1",)


# RULES: ACT-1
@pytest.mark.parametrize(("goods", "gift"), [
    ("99.99", None), ("100.00", ("small", 1)), ("299.99", ("small", 1)),
    ("300.00", ("big", 2)), ("900.00", ("big", 2)),
])
def test_gift_coupon_tiers(goods: str, gift: tuple[str, int] | None) -> None:
    act = Activity("g", "满赠",
                   GiftCoupons([GiftTier(cny("100"), "small"), GiftTier(cny("300"), "big", 2)]))
    b = price([act], cart(line("x", goods), shipping="6.00"))
    # no money effect at checkout
    assert b.total_fen(Stage.ACTIVITIES) == b.total_fen(Stage.LIST)
    if gift is None:
        assert b.gifts == ()
        assert skipped(b, "g").reason is SkipReason.THRESHOLD_NOT_MET
    else:
        assert [(g.ref, g.quantity, g.source) for g in b.gifts] == [(*gift, "g")]
        assert applied(b, "g").saving_fen == 0


# RULES: ACT-1, ACT-4
def test_gift_coupon_granted_when_gift_coupons_are_exclusive_and_uncontested() -> None:
    """PipelinePolicy(gift_coupons_exclusive=True) makes gift coupons compete for lines;
    a gift activity alone on its line, threshold met, must still grant its coupon."""
    act = Activity("g", "满100赠券", GiftCoupons([GiftTier(cny("100"), "thanks")]))
    b = price([act], cart(line("x", "100.00")),
              policy=PipelinePolicy(gift_coupons_exclusive=True))
    assert [(g.ref, g.source) for g in b.gifts] == [("thanks", "g")]
    assert [p.id for p in b.applied] == ["g"]
    assert b.skipped == ()


# RULES: ACT-1, ACT-4
def test_exclusive_gift_coupon_loses_its_line_to_a_money_activity() -> None:
    acts = [Activity("g", "满100赠券", GiftCoupons([GiftTier(cny("100"), "thanks")])),
            reduction("r", ("100", "5"))]
    b = price(acts, cart(line("x", "100.00")),
              policy=PipelinePolicy(gift_coupons_exclusive=True))
    assert applied(b, "r").saving_fen == 500
    assert b.gifts == ()
    skip = skipped(b, "g")
    assert skip.reason is SkipReason.EXCLUSIVE
    assert skip.related == ("r",)


# ------------------------------------------------------- ACT-2 participating lines
# RULES: ACT-2
def test_threshold_measured_on_participating_lines_only() -> None:
    tea_only = ProductScope(products={"p-tea"})
    act = reduction("r", ("100", "10"), products=tea_only)
    c = cart(line("tea", "60.00", product="p-tea"), line("cup", "500.00", product="p-cup"))
    b = price([act], c)
    # 560.00 in the cart, only 60.00 participates: below the threshold
    assert skipped(b, "r").reason is SkipReason.THRESHOLD_NOT_MET
    assert b.line("cup").fen[1] == 50000


# RULES: ACT-2, PIPE-3
def test_lines_outside_the_scope_get_no_allocation() -> None:
    tea = ProductScope(categories={"tea"})
    act = reduction("r", ("100", "10"), products=tea)
    c = cart(line("green", "70.00", categories={"tea"}),
             line("black", "30.00", categories={"tea", "gift"}),
             line("cup", "900.00", categories={"ware"}))
    b = price([act], c)
    p = applied(b, "r")
    assert dict(p.allocation) == {"green": 700, "black": 300}
    assert p.share_of("cup") == 0
    assert b.line("cup").fen == (90000,) * 5


# RULES: ACT-2
def test_discount_measured_on_participating_lines_only() -> None:
    act = discount("d", ("100", "5"), products=ProductScope(skus={"a"}))
    b = price([act], cart(line("a", "100.00"), line("b", "100.00")))
    assert applied(b, "d").allocation == (("a", 5000),)
    assert b.line("b").fen[1] == 10000


# RULES: ACT-2, PIPE-4
def test_activity_with_no_line_in_scope_is_skipped_as_excluded_product() -> None:
    act = reduction("r", ("1", "1"), products=ProductScope(products={"p-none"}))
    b = price([act], cart(line("x", "50.00")))
    assert skipped(b, "r").reason is SkipReason.EXCLUDED_PRODUCT


# ----------------------------------------------------------------- ACT-3 windows
# RULES: ACT-3, PIPE-4
@pytest.mark.parametrize(("window", "active"), [
    (ALWAYS, True),  # permanent
    (Window(NOW - timedelta(days=7), NOW + timedelta(days=7)), True),
    (Window(NOW, NOW + timedelta(seconds=1)), True),  # starts now (half-open)
    (Window(NOW - timedelta(days=7), NOW), False),  # ended exactly now
    (Window(NOW - timedelta(days=7), NOW - timedelta(days=1)), False),  # over
    (Window(NOW + timedelta(days=1), None), False),  # starts in the future
    (Window(None, NOW + timedelta(hours=1)), True),
])
def test_activity_window(window: Window, active: bool) -> None:
    act = reduction("r", ("10", "1"), window=window)
    b = price([act], cart(line("x", "10.00")))
    if active:
        assert applied(b, "r").saving_fen == 100
    else:
        assert b.applied == ()
        assert skipped(b, "r").reason is SkipReason.OUTSIDE_WINDOW


# RULES: ACT-3
def test_future_activity_applies_once_started() -> None:
    start = NOW + timedelta(days=1)
    act = reduction("r", ("10", "1"), window=Window(start, None))
    pipeline = PricingPipeline([act])
    c = cart(line("x", "10.00"))
    assert pipeline.price(c, now=NOW).payable_fen == 1000
    assert pipeline.price(c, now=start).payable_fen == 900
    assert pipeline.price(c, now=start + timedelta(days=3650)).payable_fen == 900


# RULES: ACT-3
def test_window_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidConfiguration) as err:
        Window(NOW, NOW)
    assert err.value.rule == "ACT-3"


# ------------------------------------------------------------ ACT-4 exclusivity
# RULES: ACT-4, PIPE-2
def test_a_line_gets_at_most_one_reduction_or_discount() -> None:
    acts = [reduction("r", ("100", "20")), discount("d", ("100", "9")),
            Activity("e", "每满50减1", EveryReduction(cny("50"), cny("1")))]
    b = price(acts, cart(line("x", "100.00"), line("y", "150.00")))
    money_promos = b.applied_in(Stage.ACTIVITIES)
    for ln in ("x", "y"):
        assert sum(1 for p in money_promos if p.share_of(ln)) <= 1
    # best for the buyer: 10% of 250.00 = 25.00 beats 20.00 and 5×1.00
    assert [p.id for p in money_promos] == ["d"]
    assert applied(b, "d").saving_fen == 2500
    for loser in ("r", "e"):
        skip = skipped(b, loser)
        assert skip.reason is SkipReason.EXCLUSIVE
        assert skip.related == ("d",)


# RULES: ACT-4
def test_exact_search_gives_different_lines_to_different_activities() -> None:
    """A covers lines 1,2; B covers lines 2,3.  Greedy (largest alone first) would give
    B lines 2,3 (60.00) and leave A with line 1 below its threshold: 60.00 in all.
    The optimum gives A lines 1,2 (50.00) and B line 3 (20.00): 70.00."""
    c = cart(line("l1", "100.00", product="p1"), line("l2", "100.00", product="p2"),
             line("l3", "100.00", product="p3"))
    a = reduction("A", ("200", "50"), products=ProductScope(products={"p1", "p2"}))
    b_ = reduction("B", ("100", "20"), ("200", "60"), products=ProductScope(products={"p2", "p3"}))
    for acts in ([a, b_], [b_, a]):
        b = price(acts, c)
        assert dict(applied(b, "A").allocation) == {"l1": 2500, "l2": 2500}
        assert dict(applied(b, "B").allocation) == {"l3": 2000}
        assert b.total_fen(Stage.ACTIVITIES) == 30000 - 7000


# RULES: ACT-2, ACT-4
def test_an_activity_takes_all_its_free_lines_it_cannot_be_split_to_double_dip() -> None:
    """Two store-wide reductions on two 100.00 lines: A (100→30, 200→40), B (100→30).
    ACT-2 measures an activity on the goods total of its participating lines: every
    line in its scope that a better activity did not take. A cannot leave line y to B
    to let the buyer meet two thresholds with one order; the best order is A first
    (saves 40.00 on 200.00) against B first (30.00, then A gets nothing)."""
    acts = [reduction("A", ("100", "30"), ("200", "40")), reduction("B", ("100", "30"))]
    b = price(acts, cart(line("x", "100.00"), line("y", "100.00")))
    assert b.total_fen(Stage.LIST) - b.total_fen(Stage.ACTIVITIES) == 4000
    assert dict(applied(b, "A").allocation) == {"x": 2000, "y": 2000}
    skip = skipped(b, "B")
    assert skip.reason is SkipReason.EXCLUSIVE
    assert skip.related == ("A",)


# RULES: ACT-4, PIPE-4
def test_exclusive_loser_names_every_winner_of_its_lines() -> None:
    c = cart(line("l1", "100.00", product="p1"), line("l2", "100.00", product="p2"))
    acts = [reduction("A", ("100", "30"), products=ProductScope(products={"p1"})),
            reduction("B", ("100", "30"), products=ProductScope(products={"p2"})),
            reduction("W", ("200", "40"))]
    b = price(acts, c)
    assert b.total_fen(Stage.ACTIVITIES) == 14000
    skip = skipped(b, "W")
    assert skip.reason is SkipReason.EXCLUSIVE
    assert skip.related == ("A", "B")


# RULES: ACT-4
def test_free_shipping_and_gift_coupons_stack_with_a_reduction() -> None:
    acts = [reduction("r", ("100", "15")), Activity("s", "包邮", FreeShipping(cny("100"))),
            Activity("g", "满赠", GiftCoupons([GiftTier(cny("100"), "c")]))]
    b = price(acts, cart(line("x", "100.00"), shipping="1.00"))
    assert {p.id for p in b.applied} == {"r", "s", "g"}
    assert b.total_fen(Stage.ACTIVITIES) == 8500


# RULES: ACT-4
def test_validate_activities_refuses_overlapping_products_in_overlapping_windows() -> None:
    a = reduction("A", ("100", "10"), products=ProductScope(products={"p1", "p2"}))
    b = discount("B", ("100", "9"), products=ProductScope(products={"p2", "p3"}),
                 window=Window(NOW, NOW + timedelta(days=1)))
    with pytest.raises(InvalidConfiguration) as err:
        validate_activities([a, b])
    assert err.value.rule == "ACT-4"
    assert "A" in str(err.value) and "B" in str(err.value)
    assert "'A'" in err.value.refused and "'B'" in err.value.refused


# RULES: ACT-4
def test_validate_activities_refuses_store_wide_and_gift_overlaps() -> None:
    store = reduction("store", ("100", "10"))
    gift = Activity("gift", "满赠", GiftCoupons([GiftTier(cny("100"), "c")]),
                    products=ProductScope(products={"p9"}))
    with pytest.raises(InvalidConfiguration) as err:
        validate_activities([gift, store])
    assert "'gift'" in err.value.refused and "'store'" in err.value.refused


# RULES: ACT-4
def test_validate_activities_refuses_category_clash_given_the_catalogue() -> None:
    by_product = reduction("A", ("100", "10"), products=ProductScope(products={"p1"}))
    by_category = reduction("B", ("100", "10"), products=ProductScope(categories={"tea"}))
    validate_activities([by_product, by_category])  # unknown categories: no shared id
    with pytest.raises(InvalidConfiguration):
        validate_activities([by_product, by_category],
                            categories_of=lambda p: frozenset({"tea"} if p == "p1" else ()))


# RULES: ACT-4
def test_validate_activities_accepts_free_shipping_and_disjoint_overlaps() -> None:
    day = timedelta(days=1)
    validate_activities([
        reduction("A", ("100", "10")),
        Activity("S1", "包邮", FreeShipping()),
        Activity("S2", "满99包邮", FreeShipping(cny("99"))),
    ])
    # same products, windows that only touch (half-open): fine
    validate_activities([
        reduction("A", ("100", "10"), window=Window(NOW - day, NOW)),
        reduction("B", ("100", "20"), window=Window(NOW, NOW + day)),
        reduction("C", ("100", "30"), window=Window(NOW + day, None)),
    ])
    # overlapping windows, disjoint products: fine
    validate_activities([
        reduction("A", ("100", "10"), products=ProductScope(products={"p1"})),
        reduction("B", ("100", "10"), products=ProductScope(products={"p2"})),
    ])


# RULES: ACT-4
def test_validate_activities_refuses_a_permanent_one_over_a_windowed_one() -> None:
    with pytest.raises(InvalidConfiguration):
        validate_activities([
            reduction("A", ("100", "10")),
            reduction("B", ("100", "10"), window=Window(NOW + timedelta(days=30), None)),
        ])


# ------------------------------------------------------------ ACT-5 customers
GOLD_ONLY = CustomerScope(Audience.LEVELS, {"gold"})
CHOSEN = CustomerScope(Audience.CUSTOMERS, {"c-7"})
FIRST = CustomerScope(Audience.FIRST_ORDER)


# RULES: ACT-5, PIPE-4
@pytest.mark.parametrize(("scope", "buyer", "eligible"), [
    (CustomerScope(), Buyer(), True),
    (CustomerScope(), Buyer("c-1", "silver"), True),
    (GOLD_ONLY, Buyer("c-1", "gold"), True),
    (GOLD_ONLY, Buyer("c-1", "silver"), False),
    (GOLD_ONLY, Buyer(), False),
    (CHOSEN, Buyer("c-7"), True),
    (CHOSEN, Buyer("c-8", "gold"), False),
    (CHOSEN, Buyer(), False),
    (FIRST, Buyer("c-1", first_order=True), True),
    (FIRST, Buyer("c-1", first_order=False), False),
])
def test_customer_scopes(scope: CustomerScope, buyer: Buyer, eligible: bool) -> None:
    act = reduction("r", ("10", "2"), customers=scope)
    b = price([act], cart(line("x", "10.00")), buyer)
    if eligible:
        assert applied(b, "r").saving_fen == 200
    else:
        assert b.applied == ()
        assert skipped(b, "r").reason is SkipReason.CUSTOMER_NOT_ELIGIBLE


# RULES: ACT-5
@pytest.mark.parametrize(("audience", "ids"), [
    (Audience.LEVELS, ()), (Audience.CUSTOMERS, ()), (Audience.EVERYONE, ("x",)),
    (Audience.FIRST_ORDER, ("x",)),
])
def test_customer_scope_configuration_is_checked(audience: Audience, ids: tuple[str, ...]
                                                 ) -> None:
    with pytest.raises(InvalidConfiguration) as err:
        CustomerScope(audience, ids)
    assert err.value.rule == "ACT-5"


# RULES: ACT-5, ACT-4
def test_ineligible_customer_activity_does_not_compete_for_lines() -> None:
    acts = [reduction("big", ("100", "50"), customers=GOLD_ONLY), reduction("small", ("100", "5"))]
    b = price(acts, cart(line("x", "100.00")), Buyer("c-1", "silver"))
    assert applied(b, "small").saving_fen == 500
    assert skipped(b, "big").reason is SkipReason.CUSTOMER_NOT_ELIGIBLE
