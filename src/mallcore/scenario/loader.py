"""Read a scenario TOML file into core objects, naming the place of every mistake.

The format is documented in docs/scenario.md.  Every refusal becomes a
``ScenarioError`` that names the file, the place (``activities[1].tiers[0].save``)
and the rule, so ``mallcore quote`` can print one clear line instead of a traceback.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from mallcore.catalog import Catalog, Product, ProductKind, Sku, StockStrategy
from mallcore.coupons.benefits import (
    CouponBenefit,
    CouponOffer,
    ExchangeItem,
    FixedAmount,
    FreeShippingCoupon,
    PercentOff,
)
from mallcore.customers.customer import Customer
from mallcore.customers.membership import Level, LevelLadder
from mallcore.customers.points import PointsPolicy
from mallcore.errors import InvalidInput, MallcoreError, NotFound
from mallcore.money import Money, Rate, from_fen, parse_fen
from mallcore.pricing.breakdown import PriceBreakdown
from mallcore.pricing.buyer import GUEST, Buyer, buyer_for
from mallcore.pricing.cart import Cart
from mallcore.pricing.line_rules import LinePriceRule
from mallcore.pricing.pipeline import PipelinePolicy, PricingPipeline
from mallcore.promotions.activities import (
    Activity,
    Benefit,
    DiscountTier,
    EveryReduction,
    FreeShipping,
    GiftCoupons,
    GiftTier,
    ReductionTier,
    TieredDiscount,
    TieredReduction,
)
from mallcore.promotions.conflicts import SkuCampaign, validate_campaigns
from mallcore.promotions.flash_sale import FlashLimits, FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.flash_stock import MemoryFlashStock
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeItem,
    LimitedTimeRule,
    LimitMode,
    PersonLimit,
    PriceMode,
    Rounding,
)
from mallcore.promotions.presale import PreSale, PreSaleItem, PreSaleRule
from mallcore.promotions.presale_shipping import ShipAfterPayment, ShipDateRule
from mallcore.promotions.recurrence import Daily, Monthly, Recurrence, RecurringWindow, Weekly
from mallcore.promotions.scope import Audience, CustomerScope, ProductScope
from mallcore.promotions.window import Window

T = TypeVar("T")


class ScenarioError(InvalidInput):
    """A mistake in a scenario file, at a place."""

    code = "scenario_error"

    def __init__(self, file: str, place: str, reason: str, *, rule: str | None = None) -> None:
        self.file = file
        self.place = place
        super().__init__(f"{file}: {place or 'top level'}", reason, rule=rule)


class _Reader:
    """A TOML table with its place, so every error can say where it is."""

    def __init__(self, file: str, data: dict[str, Any], place: str = "") -> None:
        self.file = file
        self.data = data
        self.place = place
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.place}.{key}" if self.place else key

    def fail(self, key: str | None, reason: str, rule: str | None = None) -> ScenarioError:
        return ScenarioError(self.file, self.at(key) if key else self.place, reason, rule=rule)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = ..., rule: str | None = None) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is missing", rule)
            return default
        return self.data[key]

    def typed(self, key: str, kind: type[T], default: Any = ..., rule: str | None = None) -> T:
        value = self.raw(key, default, rule)
        if value is default and default is not ...:
            return value  # type: ignore[no-any-return]
        if kind is int and isinstance(value, bool):
            raise self.fail(key, "must be a whole number, not true/false", rule)
        if not isinstance(value, kind):
            raise self.fail(
                key, f"must be {_kind_name(kind)}, got {_kind_name(type(value))}", rule
            )
        return value

    def text(self, key: str, default: Any = ..., rule: str | None = None) -> str:
        return self.typed(key, str, default, rule)

    def strings(self, key: str) -> list[str]:
        values = self.typed(key, list, [])
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{key}[{i}]", "must be text")
        return values

    def amount(self, key: str, currency: str, default: Any = ..., rule: str = "PIPE-3") -> Any:
        value = self.raw(key, default, rule)
        if value is default and default is not ...:
            return value
        if isinstance(value, float):
            raise self.fail(
                key, f"{value!r} is a float; write amounts as text, e.g. {key} = \"{value:.2f}\"",
                rule,
            )
        try:
            return from_fen(parse_fen(value, key, rule=rule), currency)
        except InvalidInput as exc:
            raise self.fail(key, exc.reason, rule) from exc

    def zhe(self, key: str, rule: str) -> Rate:
        value = self.raw(key, rule=rule)
        if isinstance(value, float):
            raise self.fail(key, f"{value!r} is a float; write 折 as text, e.g. \"8.5\"", rule)
        try:
            return Rate.zhe(value)
        except InvalidInput as exc:
            raise self.fail(key, exc.reason, rule) from exc

    def table(self, key: str, default: Any = ...) -> _Reader | None:
        value = self.raw(key, default)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(self.file, value, self.at(key))

    def tables(self, key: str, required: bool = False) -> list[_Reader]:
        values = self.raw(key, ... if required else [])
        if not isinstance(values, list):
            raise self.fail(key, "must be an array of tables")
        out = []
        for i, value in enumerate(values):
            if not isinstance(value, dict):
                raise self.fail(f"{key}[{i}]", "must be a table")
            out.append(_Reader(self.file, value, f"{self.at(key)}[{i}]"))
        return out

    def when(self, key: str) -> datetime | None:
        value = self.raw(key, None)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise self.fail(key, f"{value!r} is not an ISO 8601 date-time") from exc
        if not isinstance(value, datetime):
            raise self.fail(key, "must be a date-time such as 2026-11-22T10:00:00+08:00")
        if value.tzinfo is None:
            raise self.fail(key, "has no time zone offset (write +08:00 for China)")
        return value

    def check_unknown(self) -> None:
        """A misspelt key silently ignored is a promotion silently not applied."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(unknown[0], "is not a known field here")

    @contextmanager
    def building(self, what: str | None = None) -> Iterator[None]:
        """Turn a core refusal raised while building an object into a placed error."""
        try:
            yield
        except ScenarioError:
            raise
        except MallcoreError as exc:
            raise self.fail(what, f"{exc.refused}: {exc.reason}", exc.rule) from exc


def _kind_name(kind: type) -> str:
    return {str: "text", int: "a whole number", float: "a float", bool: "true or false",
            list: "an array", dict: "a table", Decimal: "a number"}.get(kind, kind.__name__)


@attrs.frozen
class Scenario:
    """Everything needed to price one cart, as read from a file."""

    source: str
    currency: str
    now: datetime | None
    catalog: Catalog
    ladder: LevelLadder
    customer: Customer | None
    pipeline: PricingPipeline
    cart: Cart
    buyer: Buyer
    coupon: CouponOffer | None
    points: int

    def price(self, now: datetime | None = None) -> PriceBreakdown:
        when = now or self.now
        if when is None:
            raise ScenarioError(self.source, "now", "is missing and no --now was given")
        try:
            return self.pipeline.price(
                self.cart, now=when, buyer=self.buyer, coupon=self.coupon, points=self.points
            )
        except MallcoreError as exc:
            place = "cart.coupon" if exc.refused.startswith("coupon") else "cart"
            raise ScenarioError(self.source, place, f"{exc.refused}: {exc.reason}",
                                rule=exc.rule) from exc


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot be read ({exc.strerror})") from exc
    return parse_scenario(text, str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"is not valid TOML: {exc}") from exc
    top = _Reader(source, data)
    currency = top.text("currency", "CNY")
    now = top.when("now")
    catalog = _catalog(top, currency)
    ladder = _levels(top)
    points_policy = _points_policy(top)
    activities = [_activity(r, currency) for r in top.tables("activities")]
    coupons: dict[str, CouponOffer] = {}
    for reader in top.tables("coupons"):
        offer = _coupon(reader, currency)
        if offer.id in coupons:
            raise reader.fail("id", f"coupon {offer.id!r} is defined twice")
        coupons[offer.id] = offer
    policy_table = top.table("policy", None)
    policy = PipelinePolicy()
    if policy_table is not None:
        policy = PipelinePolicy(
            gift_coupons_exclusive=policy_table.typed("gift_coupons_exclusive", bool, False)
        )
        policy_table.check_unknown()
    customer, buyer = _customer(top, ladder)
    cart_reader = top.table("cart")
    assert cart_reader is not None
    cart = _cart(cart_reader, catalog, currency)
    coupon: CouponOffer | None = None
    coupon_id = cart_reader.text("coupon", None)
    if coupon_id is not None:
        coupon = coupons.get(coupon_id)
        if coupon is None:
            raise cart_reader.fail("coupon", f"no coupon {coupon_id!r} in [[coupons]]", "CPN-1")
    points = cart_reader.typed("points", int, 0, rule="PTS-2")
    if points < 0:
        raise cart_reader.fail("points", "cannot be negative", "PTS-4")
    if points > buyer.points_balance:
        raise cart_reader.fail(
            "points", f"asks for {points} points, the customer has {buyer.points_balance}",
            "PTS-4",
        )
    cart_reader.check_unknown()
    line_rules = _campaign_rules(top, catalog, currency, customer)
    with top.building("activities"):
        pipeline = PricingPipeline(activities, line_rules=line_rules,
                                   points_policy=points_policy, policy=policy)
    top.check_unknown()
    return Scenario(source, currency, now, catalog, ladder, customer, pipeline, cart, buyer,
                    coupon, points)


def _catalog(top: _Reader, currency: str) -> Catalog:
    catalog = Catalog()
    for p in top.tables("products", required=True):
        skus = []
        for s in p.tables("skus", required=True):
            with s.building():
                sku = Sku(
                    id=s.text("id", rule="CAT-3"),
                    price=_non_negative(s, "price", currency),
                    original_price=_non_negative(s, "original_price", currency, None),
                    stock=s.typed("stock", int, 0, rule="CAT-3"),
                    low_stock_alert=s.typed("low_stock_alert", int, 0, rule="CAT-3"),
                )
            s.check_unknown()
            skus.append(sku)
        kind = _choice(p, "kind", {k.value: k for k in ProductKind}, "physical", "CAT-1")
        strategy = _choice(p, "stock_strategy", {k.value: k for k in StockStrategy},
                           StockStrategy.AT_ORDER.value, "ORD-9")
        fields: dict[str, Any] = {}
        if p.has("slug"):
            fields["slug"] = p.text("slug", rule="CAT-2")
        with p.building():
            product = Product(
                id=p.text("id", rule="CAT-2"),
                kind=kind,
                name=p.text("name", rule="CAT-2"),
                skus=skus,
                summary=p.text("summary", ""),
                categories=tuple(p.strings("categories")),
                brand=p.text("brand", None),
                on_shelf=p.typed("on_shelf", bool, True),
                stock_strategy=strategy,
                **fields,
            )
            catalog.add(product)
        p.check_unknown()
    return catalog


def _non_negative(r: _Reader, key: str, currency: str, default: Any = ...) -> Any:
    value = r.amount(key, currency, default, rule="CAT-3")
    if isinstance(value, Money) and value.amount < 0:
        raise r.fail(key, f"{value.amount} is negative", "CAT-3")
    return value


def _choice(r: _Reader, key: str, options: dict[str, T], default: str, rule: str) -> T:
    value = r.text(key, default, rule)
    if value not in options:
        raise r.fail(key, f"{value!r} is not one of {', '.join(sorted(options))}", rule)
    return options[value]


def _levels(top: _Reader) -> LevelLadder:
    ladder = LevelLadder()
    for r in top.tables("levels"):
        discount = r.zhe("discount", "MEM-1") if r.has("discount") else None
        with r.building():
            level = Level(
                id=r.text("id", rule="MEM-1"),
                name=r.text("name", rule="MEM-1"),
                experience_needed=r.typed("experience", int, rule="MEM-1"),
                discount=discount,
            )
            ladder = ladder.replace(level) if level.id in ladder else ladder.add(level)
        r.check_unknown()
    return ladder


def _points_policy(top: _Reader) -> PointsPolicy:
    r = top.table("points", None)
    if r is None:
        return PointsPolicy()
    with r.building():
        policy = PointsPolicy(
            enabled=r.typed("enabled", bool, True),
            points_per_yuan=r.typed("points_per_yuan", int, 1, rule="PTS-2"),
            cap_percent=r.typed("cap_percent", int, 100, rule="PTS-2"),
        )
    r.check_unknown()
    return policy


def _customer(top: _Reader, ladder: LevelLadder) -> tuple[Customer | None, Buyer]:
    r = top.table("customer", None)
    if r is None:
        return None, GUEST
    level_id = r.text("level", "regular", "MEM-3")
    if level_id not in ladder:
        raise r.fail("level", f"no level {level_id!r} in [[levels]]", "MEM-1")
    balance = r.typed("points", int, 0, rule="PTS-4")
    if balance < 0:
        raise r.fail("points", "a balance is never negative", "PTS-4")
    with r.building():
        customer = Customer(
            id=r.text("id", "buyer"),
            name=r.text("name", "buyer"),
            level_id=level_id,
            tags=frozenset(r.strings("tags")),
        )
        buyer = buyer_for(customer, ladder, first_order=r.typed("first_order", bool, False),
                          points_balance=balance)
    r.check_unknown()
    return customer, buyer


def _cart(r: _Reader, catalog: Catalog, currency: str) -> Cart:
    items = []
    for line in r.tables("lines", required=True):
        sku_id = line.text("sku", rule="CAT-3")
        try:
            catalog.find_sku(sku_id)
        except NotFound as exc:
            raise line.fail("sku", f"unknown SKU {sku_id!r}", "CAT-3") from exc
        quantity = line.typed("quantity", int, 1)
        if quantity < 1:
            raise line.fail("quantity", f"{quantity} is below 1")
        items.append((sku_id, quantity))
        line.check_unknown()
    shipping = r.amount("shipping", currency, from_fen(0, currency))
    with r.building():
        return Cart.from_catalog(
            catalog, items, shipping=shipping, region=r.text("region", None),
            delivery_method=r.text("delivery", "express"),
        )


def _scope(r: _Reader) -> ProductScope:
    return ProductScope(
        products=frozenset(r.strings("products")),
        skus=frozenset(r.strings("skus")),
        categories=frozenset(r.strings("categories")),
    )


def _audience(r: _Reader) -> CustomerScope:
    levels, customers = r.strings("levels"), r.strings("customers")
    first = r.typed("first_order_only", bool, False, rule="ACT-5")
    chosen = [name for name, on in (("levels", levels), ("customers", customers),
                                    ("first_order_only", first)) if on]
    if len(chosen) > 1:
        raise r.fail(chosen[1], f"choose one audience, not {' and '.join(chosen)}", "ACT-5")
    if levels:
        return CustomerScope(Audience.LEVELS, frozenset(levels))
    if customers:
        return CustomerScope(Audience.CUSTOMERS, frozenset(customers))
    return CustomerScope(Audience.FIRST_ORDER) if first else CustomerScope()


_ACTIVITY_KINDS: dict[str, Callable[[_Reader, str], Benefit]] = {}


def _activity_kind(name: str) -> Callable[[Callable[[_Reader, str], Benefit]],
                                          Callable[[_Reader, str], Benefit]]:
    def register(fn: Callable[[_Reader, str], Benefit]) -> Callable[[_Reader, str], Benefit]:
        _ACTIVITY_KINDS[name] = fn
        return fn
    return register


@_activity_kind("reduction")
def _reduction(r: _Reader, cur: str) -> Benefit:
    tiers = [ReductionTier(t.amount("threshold", cur, rule="ACT-1"),
                           t.amount("save", cur, rule="ACT-1")) for t in _tiers(r)]
    return TieredReduction(tiers)


@_activity_kind("every_reduction")
def _every(r: _Reader, cur: str) -> Benefit:
    return EveryReduction(r.amount("every", cur, rule="ACT-1"), r.amount("save", cur, rule="ACT-1"),
                          r.amount("max_save", cur, None, rule="ACT-1"))


@_activity_kind("discount")
def _discount(r: _Reader, cur: str) -> Benefit:
    tiers = [DiscountTier(t.amount("threshold", cur, rule="ACT-1"), t.zhe("discount", "ACT-1"))
             for t in _tiers(r)]
    return TieredDiscount(tiers)


@_activity_kind("count_discount")
def _count_discount(r: _Reader, cur: str) -> Benefit:
    tiers = [DiscountTier(t.typed("items", int, rule="ACT-1"), t.zhe("discount", "ACT-1"))
             for t in _tiers(r)]
    return TieredDiscount(tiers, by_count=True)


@_activity_kind("free_shipping")
def _free_shipping(r: _Reader, cur: str) -> Benefit:
    methods = r.strings("delivery_methods") if r.has("delivery_methods") else None
    return FreeShipping(r.amount("threshold", cur, None, rule="ACT-1"),
                        frozenset(r.strings("excluded_regions")),
                        frozenset(methods) if methods is not None else None)


@_activity_kind("gift_coupon")
def _gift(r: _Reader, cur: str) -> Benefit:
    tiers = [GiftTier(t.amount("threshold", cur, rule="ACT-1"), t.text("coupon", rule="ACT-1"),
                      t.typed("quantity", int, 1, rule="ACT-1")) for t in _tiers(r)]
    return GiftCoupons(tiers)


def _tiers(r: _Reader) -> Iterator[_Reader]:
    """Each tier table in turn; after the caller has read it, no unknown keys remain."""
    tiers = r.tables("tiers", required=True)
    if not tiers:
        raise r.fail("tiers", "needs at least one tier", "ACT-1")
    for tier in tiers:
        yield tier
        tier.check_unknown()


def _activity(r: _Reader, currency: str) -> Activity:
    kind = r.text("kind", rule="ACT-1")
    build = _ACTIVITY_KINDS.get(kind)
    if build is None:
        raise r.fail("kind", f"unknown activity kind {kind!r}; known: "
                     f"{', '.join(sorted(_ACTIVITY_KINDS))}", "ACT-1")
    with r.building():
        benefit = build(r, currency)
        activity = Activity(
            id=r.text("id", rule="ACT-3"),
            name=r.text("name", rule="ACT-3"),
            benefit=benefit,
            products=_scope(r),
            customers=_audience(r),
            window=Window(r.when("starts"), r.when("ends")),
        )
    r.check_unknown()
    return activity


def _coupon(r: _Reader, currency: str) -> CouponOffer:
    kind = r.text("kind", rule="CPN-1")
    benefit: CouponBenefit
    if kind == "fixed":
        benefit = FixedAmount(r.amount("amount", currency, rule="CPN-1"))
    elif kind == "percent":
        benefit = PercentOff(r.zhe("discount", "CPN-1"),
                             r.amount("cap", currency, None, rule="CPN-1"))
    elif kind == "exchange":
        benefit = ExchangeItem(r.text("sku", rule="CPN-1"))
    elif kind == "free_shipping":
        benefit = FreeShippingCoupon()
    else:
        raise r.fail("kind", f"unknown coupon kind {kind!r}; known: exchange, fixed, "
                     "free_shipping, percent", "CPN-1")
    with r.building():
        coupon = CouponOffer(
            id=r.text("id", rule="CPN-1"),
            name=r.text("name", rule="CPN-1"),
            benefit=benefit,
            threshold=r.amount("threshold", currency, None, rule="CPN-1"),
            scope=_scope(r),
            currency=currency,
        )
    r.check_unknown()
    return coupon


# ---------------------------------------------------------------- campaigns (issue 5)
def _schedule(r: _Reader) -> Window:
    """A window, with an optional recurrence inside it (LTD-1)."""
    starts, ends = r.when("starts"), r.when("ends")
    rec = r.table("recurrence", None)
    if rec is None:
        return Window(starts, ends)
    if starts is None or ends is None:
        raise r.fail("recurrence", "needs starts and ends around it", "LTD-1")
    kind = rec.text("kind", rule="LTD-1")
    start, end = _clock(rec, "start"), _clock(rec, "end")
    recurrence: Recurrence
    if kind == "daily":
        recurrence = Daily(start, end)
    elif kind == "weekly":
        days = rec.typed("weekdays", list, rule="LTD-1")
        recurrence = Weekly(frozenset(days), start, end)
    elif kind == "monthly":
        recurrence = Monthly(rec.typed("day", int, rule="LTD-1"), start, end)
    else:
        raise rec.fail("kind", f"{kind!r} is not daily, weekly or monthly", "LTD-1")
    zone = rec.text("zone", "Asia/Shanghai")
    rec.check_unknown()
    with r.building("recurrence"):
        return RecurringWindow(starts, ends, recurrence, ZoneInfo(zone))


def _clock(r: _Reader, key: str) -> time:
    text = r.text(key, rule="LTD-1")
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise r.fail(key, f"{text!r} is not a time such as \"10:00\"", "LTD-1") from exc


def _campaign_rules(top: _Reader, catalog: Catalog, currency: str,
                    customer: Customer | None) -> list[LinePriceRule]:
    rules: list[LinePriceRule] = []
    campaigns: list[SkuCampaign] = []
    stock, limits = MemoryFlashStock(), FlashLimits()
    for r in top.tables("flash_sales"):
        items = []
        for t in r.tables("items", required=True):
            items.append(FlashSaleItem(_known_sku(t, catalog), t.amount("price", currency,
                                                                        rule="FS-1"),
                                       t.typed("stock", int, rule="FS-1"),
                                       t.typed("per_user_limit", int, None, rule="FS-2")))
            t.check_unknown()
        with r.building():
            sale = FlashSale(r.text("id", rule="FS-1"), r.text("name", rule="FS-1"),
                             _schedule(r), items)
            rules.append(FlashSaleRule(sale, stock, limits))
        campaigns.append(sale)
        r.check_unknown()
    bought: dict[tuple[str, str], int] = {}
    for r in top.tables("limited_time"):
        ltd_items: list[LimitedTimeItem] = []
        for t in r.tables("items", required=True):
            sku_id = _known_sku(t, catalog)
            product, sku = catalog.find_sku(sku_id)
            mode = _choice(t, "mode", {m.value: m for m in PriceMode}, "discount", "LTD-3")
            value = t.raw("value", rule="LTD-3")
            if isinstance(value, float):
                raise t.fail("value", f"{value!r} is a float; write it as text", "LTD-3")
            with t.building():
                ltd_items.append(LimitedTimeItem(sku_id, product.id, mode, value, sku.price,
                                             t.typed("stock", int, sku.stock or 1, rule="LTD-4"),
                                             max(sku.stock, 1)))
            t.check_unknown()
        limit = None
        lim = r.table("limit", None)
        if lim is not None:
            limit = PersonLimit(lim.typed("quantity", int, rule="LTD-2"),
                                _choice(lim, "mode", {m.value: m for m in LimitMode},
                                        "first_n", "LTD-2"))
            lim.check_unknown()
        for b in r.tables("bought"):  # what the buyer already bought in this activity
            bought[(r.text("id"), b.text("product"))] = b.typed("quantity", int)
            b.check_unknown()
        rounding = _choice(r, "rounding", {m.value: m for m in Rounding}, "none", "LTD-5")
        with r.building():
            discount = LimitedTimeDiscount(r.text("id", rule="LTD-1"), r.text("name", rule="LTD-1"),
                                           _schedule(r), ltd_items, limit, rounding)
            rules.append(LimitedTimeRule(
                discount, (lambda a, c, p: bought.get((a, p), 0)) if limit else None))
        campaigns.append(discount)
        r.check_unknown()
    for r in top.tables("presales"):
        pitems = []
        for t in r.tables("items", required=True):
            pitems.append(PreSaleItem(_known_sku(t, catalog),
                                      t.amount("price", currency, rule="PRE-1")))
            t.check_unknown()
        shipping: ShipDateRule = ShipAfterPayment(r.typed("ship_after_days", int, 7, rule="PRE-3"))
        with r.building():
            presale = PreSale(r.text("id", rule="PRE-1"), r.text("name", rule="PRE-1"),
                              _schedule(r), pitems, shipping)
            rules.append(PreSaleRule(presale))
        campaigns.append(presale)
        r.check_unknown()
    with top.building("flash_sales"):
        validate_campaigns(campaigns)
    return rules


def _known_sku(r: _Reader, catalog: Catalog) -> str:
    sku_id = r.text("sku", rule="CAT-3")
    try:
        catalog.find_sku(sku_id)
    except NotFound as exc:
        raise r.fail("sku", f"unknown SKU {sku_id!r}", "CAT-3") from exc
    return sku_id
