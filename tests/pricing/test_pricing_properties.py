"""Properties of the pipeline over random carts, activities, coupons, members and points.

PIPE-3 exactness and consistency, PIPE-1 monotone stages, PTS-2 points limits,
ACT-4 / PIPE-5 who may touch which line, determinism, and "removing a promotion
never lowers the payable amount" where the rules make that true.
"""

from __future__ import annotations

import itertools

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    NOW,
    Scenario,
    allows,
    amounts_by_line,
    cart,
    check_breakdown,
    cny,
    exclusive_choice_cases,
    line,
    monotone_scenarios,
    reduction,
    scenarios,
)

from mallcore.coupons import CouponOffer, FixedAmount
from mallcore.customers.points import PointsPolicy
from mallcore.errors import NotAllowed
from mallcore.pricing import STAGES, Buyer, Cart, PricingPipeline, Stage
from mallcore.pricing.selection import EXACT_LIMIT
from mallcore.promotions import Activity, BenefitKind, EveryReduction, ProductScope

SETTINGS = settings(max_examples=200, deadline=None)
_KIND_OF_ACTIVITY = {"reduction": BenefitKind.REDUCTION, "discount": BenefitKind.DISCOUNT}


# ------------------------------------------------------------------- PIPE-3
# RULES: PIPE-3, PIPE-1
@SETTINGS
@given(scenarios())
def test_allocations_are_exact_and_line_amounts_consistent(s: Scenario) -> None:
    b = s.price()
    check_breakdown(b, s.cart)


# RULES: PIPE-1, PIPE-3
@SETTINGS
@given(scenarios())
def test_no_stage_raises_the_total_and_nothing_is_negative(s: Scenario) -> None:
    b = s.price()
    totals = [b.total_fen(stage) for stage in STAGES]
    assert all(a >= z for a, z in itertools.pairwise(totals)), totals
    assert b.payable_fen >= 0
    assert all(f >= 0 for ln in b.lines for f in ln.fen)
    assert all(f >= 0 for f in b.shipping_fen)
    assert b.gift_basis.amount >= 0


# ------------------------------------------------------------------- PIPE-4
# RULES: PIPE-4
@SETTINGS
@given(scenarios())
def test_every_considered_promotion_is_explained_once(s: Scenario) -> None:
    b = s.price()
    stage1 = [p.id for p in b.applied_in(Stage.ACTIVITIES)] + [
        p.id for p in b.skipped_in(Stage.ACTIVITIES)]
    activity_ids = [a.id for a in s.activities]
    assert sorted(i for i in stage1 if i in activity_ids) == sorted(activity_ids)
    if s.coupon is not None:
        coupon_mentions = [p.id for p in b.applied_in(Stage.COUPONS)] + [
            p.id for p in b.skipped_in(Stage.COUPONS)]
        assert coupon_mentions == [s.coupon.id]
    else:
        assert b.applied_in(Stage.COUPONS) == b.skipped_in(Stage.COUPONS) == ()


# ---------------------------------------------------------- ACT-4 / PIPE-5
# RULES: ACT-4, PIPE-5
@SETTINGS
@given(scenarios())
def test_each_line_gets_one_activity_and_only_what_its_family_allows(s: Scenario) -> None:
    b = s.price()
    families = {ln.line_id: ln.family for ln in b.lines}
    for ln in b.lines:
        money_activities = [p.id for p in b.applied_in(Stage.ACTIVITIES)
                            if p.kind in _KIND_OF_ACTIVITY and p.share_of(ln.line_id)]
        assert len(money_activities) <= 1, money_activities
    for p in b.applied:
        for key, _ in p.allocation:
            if not key:
                continue
            family = families[key]
            if p.stage is Stage.ACTIVITIES:
                if p.kind in _KIND_OF_ACTIVITY:
                    assert allows(family, _KIND_OF_ACTIVITY[p.kind]), (p, family)
            else:
                kind = {Stage.COUPONS: BenefitKind.COUPON, Stage.MEMBERSHIP: BenefitKind.MEMBERSHIP,
                        Stage.POINTS: BenefitKind.POINTS}[p.stage]
                assert allows(family, kind), (p, family)


def _best_assignment(c: Cart, acts: list[Activity]) -> int:
    """ACT-4 by brute force, read with ACT-2: an activity is measured on *all* of its
    participating lines, i.e. every line in its scope that no activity before it took.
    So the choices are the priority orders of the activities; each, in turn, takes all
    its free lines. The most the buyer can save over every order."""
    lines = c.lines
    covered = [
        [i for i, ln in enumerate(lines)
         if a.products.covers(ln.product_id, ln.sku_id, ln.categories)]
        for a in acts
    ]
    best = 0
    for order in itertools.permutations(range(len(acts))):
        taken: set[int] = set()
        total = 0
        for k in order:
            mine = [i for i in covered[k] if i not in taken]
            taken.update(mine)
            if mine:
                total += acts[k].benefit.saving(sum(lines[i].amount_fen for i in mine),
                                                sum(lines[i].quantity for i in mine))
        best = max(best, total)
    return best


# RULES: ACT-4, PIPE-2
@settings(max_examples=300, deadline=None)
@given(exclusive_choice_cases())
def test_stage_one_gives_the_best_line_assignment_for_the_buyer(
    case: tuple[Cart, list[Activity]],
) -> None:
    """'Apply one per line, the best for the buyer': the stage-1 saving equals the best
    over every priority order of the activities (see ``_best_assignment``)."""
    c, acts = case
    b = PricingPipeline(acts).price(c, now=NOW)
    check_breakdown(b, c)
    saved = b.total_fen(Stage.LIST) - b.total_fen(Stage.ACTIVITIES)
    assert saved == _best_assignment(c, acts)


# RULES: CPN-1
@SETTINGS
@given(scenarios())
def test_strict_coupon_either_refuses_or_agrees_with_lenient(s: Scenario) -> None:
    lenient = s.price()
    try:
        strict = s.pipeline().price(s.cart, now=NOW, buyer=s.buyer, coupon=s.coupon,
                                    points=s.points, strict_coupon=True)
    except NotAllowed:
        assert s.coupon is not None
        assert lenient.skipped_in(Stage.COUPONS)
        assert lenient.applied_in(Stage.COUPONS) == ()
    else:
        assert strict == lenient
        assert lenient.skipped_in(Stage.COUPONS) == ()


# -------------------------------------------------------------------- PTS-2
# RULES: PTS-2, PTS-4
@SETTINGS
@given(scenarios())
def test_points_respect_cap_balance_request_and_whole_yuan(s: Scenario) -> None:
    b = s.price()
    policy = s.points_policy
    rate = policy.points_per_yuan
    applied = b.applied_in(Stage.POINTS)
    assert b.points_used <= s.points
    assert b.points_used <= s.buyer.points_balance
    assert b.points_used % rate == 0
    fen = sum(p.saving_fen for p in applied)
    assert fen == b.points_used // rate * 100  # whole yuan
    m = Stage.MEMBERSHIP.position
    base = b.shipping_fen[m] + sum(ln.fen[m] for ln in b.lines
                                   if allows(ln.family, BenefitKind.POINTS))
    assert fen * 100 <= base * policy.cap_percent
    assert b.total_fen(Stage.MEMBERSHIP) - b.total_fen(Stage.POINTS) == fen
    if not policy.enabled or not s.points:
        assert fen == 0
        return
    if not any(allows(ln.family, BenefitKind.POINTS) for ln in b.lines):
        assert fen == 0
        return
    # and as much as the limits allow: the least of the three, in whole yuan
    assert fen // 100 == min(s.points // rate, s.buyer.points_balance // rate,
                             base * policy.cap_percent // 10_000)


# -------------------------------------------------------------- determinism
# RULES: PIPE-3, ACT-4
@SETTINGS
@given(scenarios(), st.data())
def test_pricing_is_deterministic_and_ignores_input_order(s: Scenario, data: st.DataObject
                                                          ) -> None:
    b = s.price()
    assert s.price() == b
    lines = data.draw(st.permutations(s.cart.lines), label="line order")
    acts = data.draw(st.permutations(s.activities), label="activity order")
    shuffled_cart = Cart(lines, shipping=s.cart.shipping, region=s.cart.region,
                         delivery_method=s.cart.delivery_method)
    other = attrs.evolve(s, cart=shuffled_cart, activities=tuple(acts)).price()
    assert amounts_by_line(other) == amounts_by_line(b)
    assert other.shipping_fen == b.shipping_fen
    assert other.payable_fen == b.payable_fen
    assert other.points_used == b.points_used
    assert {(p.stage, p.id): dict(p.allocation) for p in other.applied} == {
        (p.stage, p.id): dict(p.allocation) for p in b.applied}
    assert sorted((p.stage, p.id, p.reason) for p in other.skipped) == sorted(
        (p.stage, p.id, p.reason) for p in b.skipped)


# ------------------------------------------------------- removal never helps
# RULES: ACT-4, PIPE-1, CPN-1, MEM-3
@settings(max_examples=250, deadline=None)
@given(monotone_scenarios())
def test_removing_a_promotion_never_lowers_the_payable(s: Scenario) -> None:
    """Taking away an activity, the coupon or the member discount never makes the buyer
    pay less.

    It holds because stage 1 picks the best assignment exactly (an activity can always
    go last, so more activities never save less in stage 1) and every later stage is
    monotone in the amount it starts from.  The generator avoids the rules' inherent
    exceptions, each shown by a concrete test below:

    (a) a coupon's threshold is measured after stage 1 (seed 004), so removing an
        activity can make a threshold coupon usable: coupons here have no threshold;
    (b) points are whole yuan of a percentage cap, so a lower base can lose a whole yuan
        of points: no points here;
    (c) the exact search covers conflict groups of up to selection.EXACT_LIMIT (10)
        activities, beyond that it is greedy: at most 6 activities here;
    (d) stage 1 maximises the stage-1 saving, not the final payable: when the coupon
        covers only some lines (product/category scope, an exchange item, or lines whose
        family excludes coupons), removing an activity can move the stage-1 saving onto
        lines the coupon does not cover: coupons here cover all products, are not
        exchanges, and there are no line rules.
    """
    assert len(s.activities) <= EXACT_LIMIT
    assert s.coupon is None or (s.coupon.threshold_fen == 0 and s.coupon.scope.everything)
    full = s.price()
    check_breakdown(full, s.cart)
    pipeline = s.pipeline()
    for act in s.activities:
        fewer = pipeline.without(act.id).price(s.cart, now=NOW, buyer=s.buyer, coupon=s.coupon,
                                               strict_coupon=False)
        assert fewer.payable_fen >= full.payable_fen, act.id
        assert fewer.total_fen(Stage.ACTIVITIES) >= full.total_fen(Stage.ACTIVITIES), act.id
    if s.coupon is not None:
        assert s.price(coupon=None).payable_fen >= full.payable_fen
    if s.buyer.member_discount is not None:
        plain = attrs.evolve(s.buyer, member_discount=None)
        assert s.price(buyer=plain).payable_fen >= full.payable_fen


# RULES: ACT-4
@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_more_activities_never_save_less_in_stage_one(s: Scenario) -> None:
    """Stage 1 alone is monotone for any mix (line rules, scopes, windows), because the
    exact search lets an added activity go last."""
    full = s.price(coupon=None, points=0)
    for act in s.activities:
        fewer = s.pipeline().without(act.id).price(s.cart, now=NOW, buyer=s.buyer)
        assert fewer.total_fen(Stage.ACTIVITIES) >= full.total_fen(Stage.ACTIVITIES)


# ---------------------------------------------- the documented exceptions exist
# RULES: CPN-1, PIPE-1
def test_exception_a_removing_an_activity_can_unlock_a_threshold_coupon() -> None:
    c = cart(line("x", "100.00"))
    coupon = CouponOffer("cp", "满100减20", FixedAmount(cny("20")), threshold=cny("100"))
    pipeline = PricingPipeline([reduction("r", ("100", "1"))])
    with_activity = pipeline.price(c, now=NOW, coupon=coupon, strict_coupon=False)
    without = pipeline.without("r").price(c, now=NOW, coupon=coupon, strict_coupon=False)
    assert with_activity.payable_fen == 9900  # 99.00 is below the coupon's 100.00
    assert without.payable_fen == 8000  # removing the activity lowered the payable
    assert without.payable_fen < with_activity.payable_fen


# RULES: PTS-2
def test_exception_b_a_lower_base_can_lose_a_whole_yuan_of_points() -> None:
    c = cart(line("x", "100.00"))
    buyer = Buyer("c1", points_balance=100)
    act = Activity("e", "每满100减0.01", EveryReduction(cny("100"), cny("0.01")))
    pipeline = PricingPipeline([act], points_policy=PointsPolicy(cap_percent=10))
    with_activity = pipeline.price(c, now=NOW, buyer=buyer, points=100)
    without = pipeline.without("e").price(c, now=NOW, buyer=buyer, points=100)
    assert with_activity.points_used == 9  # 10% of 99.99 = 9.999 → 9 whole yuan
    assert without.points_used == 10
    assert (with_activity.payable_fen, without.payable_fen) == (9099, 9000)


def _greedy_case(fillers: int) -> tuple[Cart, PricingPipeline]:
    c = cart(line("l1", "100.00", product="p1"), line("l2", "100.00", product="p2"))
    acts = [
        reduction("A", ("200", "40")),
        reduction("B", ("100", "30"), products=ProductScope(products={"p1"})),
        reduction("C", ("100", "30"), products=ProductScope(products={"p2"})),
        # never reached, but they share lines with A: one conflict group
        *(reduction(f"F{i}", ("100000", "1")) for i in range(fillers)),
    ]
    return c, PricingPipeline(acts)


# RULES: ACT-4
def test_exception_c_beyond_the_exact_limit_the_search_is_greedy() -> None:
    assert EXACT_LIMIT == 10
    exact_cart, exact = _greedy_case(EXACT_LIMIT - 3)  # a group of 10: exact
    b = exact.price(exact_cart, now=NOW)
    assert b.total_fen(Stage.ACTIVITIES) == 14000  # B + C = 60.00, better than A's 40.00
    assert exact.without("A").price(exact_cart, now=NOW).payable_fen == b.payable_fen

    greedy_cart, greedy = _greedy_case(EXACT_LIMIT - 2)  # a group of 11: greedy
    b = greedy.price(greedy_cart, now=NOW)
    assert b.total_fen(Stage.ACTIVITIES) == 16000  # greedy took A (40.00) first
    without_a = greedy.without("A").price(greedy_cart, now=NOW)
    assert without_a.payable_fen == 14000  # removing A lowered the payable
    assert without_a.payable_fen < b.payable_fen


# RULES: ACT-4, CPN-1
def test_exception_d_stage_one_ignores_a_scoped_coupon() -> None:
    c = cart(line("l1", "100.00", product="p1"), line("l2", "100.00", product="p2"))
    coupon = CouponOffer("cp", "p1 free", FixedAmount(cny("100")),
                         scope=ProductScope(products={"p1"}))
    pipeline = PricingPipeline([
        reduction("A", ("200", "30")),  # both lines: 15.00 each
        reduction("B", ("100", "20"), products=ProductScope(products={"p2"})),
    ])
    full = pipeline.price(c, now=NOW, coupon=coupon)
    assert [p.id for p in full.applied_in(Stage.ACTIVITIES)] == ["A"]
    assert full.payable_fen == 8500  # l1 is paid by the coupon; l2 keeps 85.00
    without_a = pipeline.without("A").price(c, now=NOW, coupon=coupon)
    assert without_a.payable_fen == 8000  # B saves 20.00 on l2 instead
    assert without_a.payable_fen < full.payable_fen


# RULES: PIPE-1
@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_positions_are_the_pipeline_order(stage: Stage) -> None:
    assert STAGES[stage.position] is stage
    assert [s.value for s in STAGES] == ["list", "activities", "coupons", "membership",
                                         "points"]
