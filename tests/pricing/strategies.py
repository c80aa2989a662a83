"""Shared builders, invariant checks and hypothesis strategies for the pricing tests.

Imported by the ``test_pricing_*`` modules as ``strategies`` (pytest puts this
directory on ``sys.path`` because ``tests/pricing`` is not a package).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import attrs
from hypothesis import strategies as st

from mallcore.coupons import CouponOffer, ExchangeItem, FixedAmount, FreeShippingCoupon, PercentOff
from mallcore.customers.points import PointsPolicy
from mallcore.money import Money, Rate, from_fen, money
from mallcore.pricing import (
    GUEST,
    SHIPPING,
    STAGES,
    Buyer,
    Cart,
    CartLine,
    LinePrice,
    LineSkip,
    PipelinePolicy,
    PriceBreakdown,
    PricingPipeline,
    Stage,
)
from mallcore.promotions import (
    ALWAYS,
    EVERYONE,
    FLASH_SALE,
    LIMITED_TIME,
    PRE_SALE,
    REGULAR,
    Activity,
    Audience,
    BenefitKind,
    CustomerScope,
    DiscountTier,
    EveryReduction,
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

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=CST)
DEFAULT_POINTS = PointsPolicy()
DEFAULT_POLICY = PipelinePolicy()
FAMILIES: dict[str, Stacking] = {
    s.family: s for s in (REGULAR, LIMITED_TIME, FLASH_SALE, PRE_SALE)
}


# --------------------------------------------------------------------- builders
def cny(text: str) -> Money:
    return money(text)


def line(
    line_id: str,
    unit: str,
    quantity: int = 1,
    *,
    product: str | None = None,
    categories: frozenset[str] | set[str] = frozenset(),
    sku: str | None = None,
) -> CartLine:
    return CartLine(
        sku_id=sku or line_id,
        product_id=product or f"p-{line_id}",
        quantity=quantity,
        unit_price=money(unit),
        categories=frozenset(categories),
        line_id=line_id,
    )


def cart(*lines: CartLine, shipping: str = "0", region: str | None = None,
         delivery_method: str = "express") -> Cart:
    return Cart(lines, shipping=money(shipping), region=region,
                delivery_method=delivery_method)


def reduction(aid: str, *tiers: tuple[str, str], products: ProductScope | None = None,
              customers: CustomerScope = EVERYONE, window: Window = ALWAYS) -> Activity:
    benefit = TieredReduction([ReductionTier(money(t), money(s)) for t, s in tiers])
    return Activity(aid, f"reduction {aid}", benefit, products or ProductScope(),
                    customers, window)


def discount(aid: str, *tiers: tuple[str, str], products: ProductScope | None = None,
             customers: CustomerScope = EVERYONE, window: Window = ALWAYS) -> Activity:
    benefit = TieredDiscount([DiscountTier(money(t), Rate.zhe(z)) for t, z in tiers])
    return Activity(aid, f"discount {aid}", benefit, products or ProductScope(),
                    customers, window)


@attrs.frozen
class FixedLinePrice:
    """A minimal ``LinePriceRule``: prices chosen lines at a given amount and family."""

    id: str
    prices: Mapping[str, int]  # line id -> new line amount in fen
    stacking: Stacking = LIMITED_TIME
    name: str = "line price"
    kind: str = "line_price"
    skip_others: bool = False

    def price_line(self, line: CartLine, buyer: Buyer, now: datetime
                   ) -> LinePrice | LineSkip | None:
        if line.line_id in self.prices:
            return LinePrice(self.prices[line.line_id], self.stacking, f"{self.id} price")
        return None


@attrs.frozen
class PercentLinePrice:
    """A ``LinePriceRule`` for generated data: line amount × percent // 100."""

    id: str
    percents: Mapping[str, int]
    stacking: Stacking
    name: str = "generated line price"
    kind: str = "line_price"

    def price_line(self, line: CartLine, buyer: Buyer, now: datetime
                   ) -> LinePrice | LineSkip | None:
        pct = self.percents.get(line.line_id)
        if pct is None:
            return None
        return LinePrice(line.amount_fen * pct // 100, self.stacking)


# ------------------------------------------------------------- invariant checks
def check_breakdown(b: PriceBreakdown, c: Cart | None = None) -> None:
    """PIPE-3: every stage's allocations are exact and explain the per-line amounts."""
    ids = {ln.line_id for ln in b.lines}
    assert len(ids) == len(b.lines)
    if c is not None:
        assert [ln.line_id for ln in b.lines] == [ln.line_id for ln in c.lines]
        for got, want in zip(b.lines, c.lines, strict=True):
            assert got.fen[0] == want.unit_fen * want.quantity
        assert b.shipping_fen[0] == c.shipping_fen
    assert len(b.shipping_fen) == len(STAGES)
    for ln in b.lines:
        assert len(ln.fen) == len(STAGES)
        assert all(f >= 0 for f in ln.fen), ln
        assert all(a >= z for a, z in itertools.pairwise(ln.fen)), ln
    assert all(f >= 0 for f in b.shipping_fen)
    for p in b.applied:
        keys = [k for k, _ in p.allocation]
        assert len(keys) == len(set(keys)), p
        assert all(k in ids or k == SHIPPING for k in keys), p
        assert all(fen >= 0 for _, fen in p.allocation), p
        assert sum(fen for _, fen in p.allocation) == p.saving_fen, p
        assert p.saving_fen >= 0
    for k in range(1, len(STAGES)):
        stage = STAGES[k]
        applied = b.applied_in(stage)
        for ln in b.lines:
            shares = sum(p.share_of(ln.line_id) for p in applied)
            assert ln.fen[k - 1] - ln.fen[k] == shares, (stage, ln)
        ship = sum(p.share_of(SHIPPING) for p in applied)
        assert b.shipping_fen[k - 1] - b.shipping_fen[k] == ship, stage
        saved = sum(p.saving_fen for p in applied)
        assert b.total_fen(STAGES[k - 1]) - b.total_fen(stage) == saved, stage
    assert b.payable_fen == b.total_fen(Stage.POINTS) >= 0


def amounts_by_line(b: PriceBreakdown) -> dict[str, tuple[int, ...]]:
    return {ln.line_id: ln.fen for ln in b.lines}


def allocations(b: PriceBreakdown) -> dict[tuple[str, str], dict[str, int]]:
    return {(p.stage.value, p.id): dict(p.allocation) for p in b.applied}


# ---------------------------------------------------------- hypothesis strategies
PRODUCTS = ("p0", "p1", "p2", "p3")
CATEGORIES = ("c0", "c1", "c2")
ZHE = ("9.5", "9", "8.8", "8.5", "8", "7.5", "6", "3.3")


def fen_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def yuan(fen: int) -> Money:
    return from_fen(fen)


@st.composite
def cart_lines(draw: st.DrawFn) -> tuple[CartLine, ...]:
    n = draw(st.integers(1, 6))
    lines = []
    for i in range(n):
        quantity = draw(st.integers(1, 5))
        # keep a line's list amount at or below 5000.00
        unit = draw(st.integers(0, 500_000 // quantity))
        lines.append(CartLine(
            sku_id=f"s{i}",
            product_id=draw(st.sampled_from(PRODUCTS)),
            quantity=quantity,
            unit_price=yuan(unit),
            categories=draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2)),
            line_id=f"l{i}",
        ))
    return tuple(lines)


@st.composite
def carts(draw: st.DrawFn) -> Cart:
    return Cart(
        draw(cart_lines()),
        shipping=yuan(draw(st.sampled_from([0, 1, 100, 800, 1500]))),
        region=draw(st.sampled_from([None, "r0", "r1"])),
        delivery_method=draw(st.sampled_from(["express", "express", "pickup"])),
    )


product_scopes = st.one_of(
    st.just(ProductScope()),
    st.builds(ProductScope, products=st.frozensets(st.sampled_from(PRODUCTS), min_size=1,
                                                   max_size=3)),
    st.builds(ProductScope, categories=st.frozensets(st.sampled_from(CATEGORIES), min_size=1,
                                                     max_size=2)),
    st.builds(ProductScope, skus=st.frozensets(st.sampled_from([f"s{i}" for i in range(6)]),
                                               min_size=1, max_size=3)),
)

customer_scopes = st.one_of(
    st.just(EVERYONE),
    st.just(EVERYONE),
    st.just(EVERYONE),
    st.just(EVERYONE),
    st.just(CustomerScope(Audience.LEVELS, frozenset({"gold"}))),
    st.just(CustomerScope(Audience.CUSTOMERS, frozenset({"c1"}))),
    st.just(CustomerScope(Audience.FIRST_ORDER)),
)

windows = st.sampled_from([
    ALWAYS,
    ALWAYS,
    ALWAYS,
    ALWAYS,
    ALWAYS,
    ALWAYS,
    Window(NOW - timedelta(days=3), NOW - timedelta(days=1)),  # over
    Window(NOW + timedelta(days=1), None),  # future
    Window(NOW - timedelta(days=1), NOW + timedelta(days=1)),
])


def _ascending(draw: st.DrawFn, n: int, low: int, high: int) -> list[int]:
    values = draw(st.lists(st.integers(low, high), min_size=n, max_size=n, unique=True))
    return sorted(values)


ALL_BENEFIT_KINDS = ("tiered", "tiered", "every", "discount", "count", "shipping", "gift")
MONEY_BENEFIT_KINDS = ("tiered", "every", "discount", "count")


@st.composite
def benefits(draw: st.DrawFn, kinds: tuple[str, ...] = ALL_BENEFIT_KINDS):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(kinds))
    # Higher tiers are better for the buyer (more saved, a lower rate), as a merchant
    # sets them; the classes do not insist on it.
    if kind == "tiered":
        n = draw(st.integers(1, 3))
        thresholds = _ascending(draw, n, 0, 800_000)
        saves = _ascending(draw, n, 1, 60_000)
        return TieredReduction([ReductionTier(yuan(t), yuan(v))
                                for t, v in zip(thresholds, saves, strict=True)])
    if kind == "every":
        cap = draw(st.none() | st.integers(1, 80_000))
        return EveryReduction(yuan(draw(st.integers(1, 300_000))),
                              yuan(draw(st.integers(1, 30_000))),
                              None if cap is None else yuan(cap))
    if kind in ("discount", "count"):
        n = draw(st.integers(1, 3))
        by_count = kind == "count"
        thresholds = _ascending(draw, n, 1, 15) if by_count else _ascending(draw, n, 0, 800_000)
        zhe = draw(st.lists(st.sampled_from(ZHE), min_size=n, max_size=n, unique=True))
        rates = sorted((Rate.zhe(z) for z in zhe), key=lambda r: r.pay, reverse=True)
        return TieredDiscount([DiscountTier(t if by_count else yuan(t), r)
                               for t, r in zip(thresholds, rates, strict=True)],
                              by_count=by_count)
    if kind == "shipping":
        threshold = draw(st.none() | st.integers(0, 600_000))
        return FreeShipping(
            None if threshold is None else yuan(threshold),
            excluded_regions=draw(st.frozensets(st.sampled_from(["r0", "r1"]), max_size=1)),
            delivery_methods=draw(st.none() | st.just(frozenset({"express"}))),
        )
    n = draw(st.integers(1, 2))
    thresholds = _ascending(draw, n, 0, 600_000)
    return GiftCoupons([GiftTier(yuan(t), f"batch-{t}", draw(st.integers(1, 2)))
                        for t in thresholds])


@st.composite
def activity_lists(draw: st.DrawFn, max_size: int = 6) -> list[Activity]:
    n = draw(st.integers(0, max_size))
    return [
        Activity(f"a{i}", f"activity {i}", draw(benefits()), draw(product_scopes),
                 draw(customer_scopes), draw(windows))
        for i in range(n)
    ]


@st.composite
def exclusive_choice_cases(draw: st.DrawFn) -> tuple[Cart, list[Activity]]:
    """Small carts (1-4 lines) and 1-4 competing money activities for everyone, always:
    small enough to check ACT-4 against a brute force over every line assignment."""
    n = draw(st.integers(1, 4))
    lines = tuple(
        CartLine(f"s{i}", draw(st.sampled_from(PRODUCTS)), draw(st.integers(1, 3)),
                 yuan(draw(st.sampled_from([0, 1, 999, 5_000, 10_000, 15_000, 20_000, 33_333]))),
                 draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2)), f"l{i}")
        for i in range(n)
    )
    acts = [
        Activity(f"a{i}", f"activity {i}", draw(benefits(MONEY_BENEFIT_KINDS)),
                 draw(product_scopes))
        for i in range(draw(st.integers(1, 4)))
    ]
    return Cart(lines), acts


@st.composite
def coupons(draw: st.DrawFn, simple: bool = False) -> CouponOffer:
    """Any CPN-1 coupon; ``simple``: no threshold, all products, not an exchange."""
    kinds = ["fixed", "percent", "shipping"] + ([] if simple else ["exchange"])
    kind = draw(st.sampled_from(kinds))
    if kind == "fixed":
        benefit = FixedAmount(yuan(draw(st.integers(1, 200_000))))
    elif kind == "percent":
        cap = draw(st.none() | st.integers(1, 100_000))
        benefit = PercentOff(Rate.zhe(draw(st.sampled_from(ZHE))),
                             None if cap is None else yuan(cap))
    elif kind == "shipping":
        benefit = FreeShippingCoupon()
    else:
        benefit = ExchangeItem(f"s{draw(st.integers(0, 6))}")
    if simple:
        return CouponOffer("cp", "coupon", benefit)
    threshold = draw(st.none() | st.integers(0, 800_000))
    return CouponOffer("cp", "coupon", benefit,
                       None if threshold is None else yuan(threshold),
                       draw(product_scopes))


@st.composite
def buyers(draw: st.DrawFn, with_points: bool = True) -> Buyer:
    rate = draw(st.none() | st.sampled_from(ZHE).map(Rate.zhe))
    return Buyer(
        customer_id=draw(st.sampled_from([None, "c1", "c2"])),
        level_id=draw(st.sampled_from([None, "gold", "silver"])),
        member_discount=rate,
        first_order=draw(st.booleans()),
        points_balance=draw(st.integers(0, 20_000)) if with_points else 0,
    )


points_policies = st.builds(
    PointsPolicy,
    enabled=st.booleans() | st.just(True),
    points_per_yuan=st.sampled_from([1, 1, 10, 100]),
    cap_percent=st.integers(0, 100),
)


@st.composite
def line_rule_lists(draw: st.DrawFn, ids: list[str]) -> list[PercentLinePrice]:
    rules = []
    for r in range(draw(st.integers(0, 2))):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
        percents = {i: draw(st.integers(0, 100)) for i in chosen}
        family = draw(st.sampled_from([LIMITED_TIME, FLASH_SALE, PRE_SALE]))
        rules.append(PercentLinePrice(f"rule{r}", percents, family))
    return rules


@attrs.frozen
class Scenario:
    cart: Cart
    activities: tuple[Activity, ...]
    line_rules: tuple[PercentLinePrice, ...] = ()
    coupon: CouponOffer | None = None
    buyer: Buyer = GUEST
    points: int = 0
    points_policy: PointsPolicy = DEFAULT_POINTS
    policy: PipelinePolicy = DEFAULT_POLICY

    def pipeline(self, activities: tuple[Activity, ...] | None = None) -> PricingPipeline:
        return PricingPipeline(
            self.activities if activities is None else activities,
            line_rules=self.line_rules,
            points_policy=self.points_policy,
            policy=self.policy,
        )

    def price(self, **changes: object) -> PriceBreakdown:
        s = attrs.evolve(self, **changes) if changes else self
        return s.pipeline().price(s.cart, now=NOW, buyer=s.buyer, coupon=s.coupon,
                                  points=s.points, strict_coupon=False)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    c = draw(carts())
    ids = [ln.line_id for ln in c.lines]
    return Scenario(
        cart=c,
        activities=tuple(draw(activity_lists())),
        line_rules=tuple(draw(line_rule_lists(ids))),
        coupon=draw(st.none() | coupons()),
        buyer=draw(buyers()),
        points=draw(st.integers(0, 20_000)),
        points_policy=draw(points_policies),
        policy=PipelinePolicy(gift_coupons_exclusive=draw(st.booleans())),
    )


@st.composite
def monotone_scenarios(draw: st.DrawFn) -> Scenario:
    """Where "removing a promotion never lowers the payable" holds (see the property)."""
    return Scenario(
        cart=draw(carts()),
        activities=tuple(draw(activity_lists(max_size=6))),
        coupon=draw(st.none() | coupons(simple=True)),
        buyer=draw(buyers(with_points=False)),
        points=0,
        policy=PipelinePolicy(gift_coupons_exclusive=draw(st.booleans())),
    )


def stacking_of(family: str) -> Stacking:
    return FAMILIES[family]


def allows(family: str, kind: BenefitKind) -> bool:
    return FAMILIES[family].allows(kind)

