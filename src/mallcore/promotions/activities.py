"""Marketing activities, stage 1 of the pipeline (ACT-1..5).

An ``Activity`` is a condition on the participating lines (who, what, when)
plus a benefit.  Benefits are measured on the goods total (or item count) of
the participating lines, before any activity saving (ACT-2; PIPE-2 shows
"spend 100 free shipping" still met after "spend 100 save 15").  Amounts are
``Money`` at the API and integer fen inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import attrs

from mallcore._convert import frozen, frozen_or_none
from mallcore.errors import InvalidConfiguration
from mallcore.money import Money, Rate, format_yuan, same_currency, to_fen
from mallcore.promotions.scope import ALL_PRODUCTS, EVERYONE, CustomerScope, ProductScope
from mallcore.promotions.stacking import BenefitKind
from mallcore.promotions.window import ALWAYS, Window


def _fen(value: Money, currency: str, what: str) -> int:
    fen = to_fen(value, currency, what=what)
    if fen < 0:
        raise InvalidConfiguration(what, f"{format_yuan(fen)} is negative", rule="ACT-1")
    return fen


def _ascending(thresholds: Sequence[int], what: str) -> None:
    if not thresholds:
        raise InvalidConfiguration(what, "needs at least one tier", rule="ACT-1")
    for lower, upper in pairwise(thresholds):
        if upper <= lower:
            raise InvalidConfiguration(
                what, "tier thresholds must strictly increase", rule="ACT-1"
            )


@attrs.frozen
class ReductionTier:
    threshold: Money
    save: Money


def _reduction_tiers(tiers: Iterable[ReductionTier]) -> tuple[ReductionTier, ...]:
    return tuple(tiers)


@attrs.frozen
class TieredReduction:
    """满减: the highest tier reached applies; tiers never add up (ACT-1)."""

    tiers: tuple[ReductionTier, ...] = attrs.field(converter=_reduction_tiers)
    kind = BenefitKind.REDUCTION
    by_count = False
    _table: tuple[tuple[int, int], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        cur = self.currency
        table = tuple(
            (_fen(t.threshold, cur, "reduction threshold"), _fen(t.save, cur, "reduction"))
            for t in self.tiers
        )
        _ascending([t for t, _ in table], "reduction tiers")
        if any(save == 0 for _, save in table):
            raise InvalidConfiguration("reduction", "a tier saves nothing", rule="ACT-1")
        if any(upper < lower for (_, lower), (_, upper) in pairwise(table)):
            raise InvalidConfiguration(
                "reduction tiers", "a higher tier saves less than a lower one", rule="ACT-1"
            )
        object.__setattr__(self, "_table", table)

    @property
    def currency(self) -> str:
        return same_currency([m for t in self.tiers for m in (t.threshold, t.save)])

    @property
    def lowest_threshold(self) -> int:
        return self._table[0][0]

    def saving(self, amount: int, count: int) -> int:
        best = 0
        for threshold, save in self._table:
            if amount < threshold:
                break
            best = save
        return best if best <= amount else amount

    def describe(self) -> str:
        return ", ".join(
            f"spend {format_yuan(t)} save {format_yuan(s)}" for t, s in self._table
        )


@attrs.frozen
class EveryReduction:
    """每满减: save ``save`` for every full ``every`` spent, optionally capped."""

    every: Money
    save: Money
    max_save: Money | None = None
    kind = BenefitKind.REDUCTION
    by_count = False
    _fen3: tuple[int, int, int | None] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        cur = self.currency
        every = _fen(self.every, cur, "every")
        save = _fen(self.save, cur, "save")
        cap = None if self.max_save is None else _fen(self.max_save, cur, "max save")
        if every == 0 or save == 0:
            raise InvalidConfiguration(
                "per-every reduction", "every and save must be above zero", rule="ACT-1"
            )
        object.__setattr__(self, "_fen3", (every, save, cap))

    @property
    def currency(self) -> str:
        extra = [self.max_save] if self.max_save is not None else []
        return same_currency([self.every, self.save, *extra])

    @property
    def lowest_threshold(self) -> int:
        return self._fen3[0]

    def saving(self, amount: int, count: int) -> int:
        every, save, cap = self._fen3
        total = (amount // every) * save
        if cap is not None and total > cap:
            total = cap
        return total if total <= amount else amount

    def describe(self) -> str:
        every, save, cap = self._fen3
        text = f"save {format_yuan(save)} for every {format_yuan(every)}"
        return text + (f", at most {format_yuan(cap)}" if cap is not None else "")


@attrs.frozen
class DiscountTier:
    """``threshold`` is Money for amount tiers, an item count for count tiers."""

    threshold: Money | int
    rate: Rate


def _discount_tiers(tiers: Iterable[DiscountTier]) -> tuple[DiscountTier, ...]:
    return tuple(tiers)


@attrs.frozen
class TieredDiscount:
    """满折 by amount or by item count: the highest tier reached applies (ACT-1)."""

    tiers: tuple[DiscountTier, ...] = attrs.field(converter=_discount_tiers)
    by_count: bool = False
    kind = BenefitKind.DISCOUNT
    _table: tuple[tuple[int, Rate], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        table: list[tuple[int, Rate]] = []
        for tier in self.tiers:
            if self.by_count:
                if not isinstance(tier.threshold, int) or isinstance(tier.threshold, bool):
                    raise InvalidConfiguration(
                        "count discount", "thresholds are item counts", rule="ACT-1"
                    )
                if tier.threshold < 1:
                    raise InvalidConfiguration(
                        "count discount", "needs at least 1 item", rule="ACT-1"
                    )
                table.append((tier.threshold, tier.rate))
            else:
                if not isinstance(tier.threshold, Money):
                    raise InvalidConfiguration(
                        "amount discount", "thresholds are amounts", rule="ACT-1"
                    )
                cur = same_currency(
                    [t.threshold for t in self.tiers if isinstance(t.threshold, Money)]
                )
                table.append((_fen(tier.threshold, cur, "threshold"), tier.rate))
            if tier.rate.pay == 1:
                raise InvalidConfiguration("discount", "a 10折 tier saves nothing", rule="ACT-1")
        _ascending([t for t, _ in table], "discount tiers")
        if any(upper.pay > lower.pay for (_, lower), (_, upper) in pairwise(table)):
            raise InvalidConfiguration(
                "discount tiers", "a higher tier discounts less than a lower one", rule="ACT-1"
            )
        object.__setattr__(self, "_table", tuple(table))

    @property
    def currency(self) -> str | None:
        if self.by_count:
            return None
        return same_currency([t.threshold for t in self.tiers if isinstance(t.threshold, Money)])

    @property
    def lowest_threshold(self) -> int:
        return self._table[0][0]

    def saving(self, amount: int, count: int) -> int:
        measure = count if self.by_count else amount
        rate = None
        for threshold, tier_rate in self._table:
            if measure < threshold:
                break
            rate = tier_rate
        return 0 if rate is None else rate.discount_of(amount)

    def describe(self) -> str:
        if self.by_count:
            return ", ".join(f"{t} items {r.label()}" for t, r in self._table)
        return ", ".join(f"spend {format_yuan(t)} {r.label()}" for t, r in self._table)


@attrs.frozen
class FreeShipping:
    """满免邮: threshold optional; excluded regions; eligible delivery methods (ACT-1)."""

    threshold: Money | None = None
    excluded_regions: frozenset[str] = attrs.field(default=frozenset(), converter=frozen)
    delivery_methods: frozenset[str] | None = attrs.field(
        default=None, converter=frozen_or_none
    )
    kind = BenefitKind.FREE_SHIPPING
    by_count = False
    _threshold_fen: int = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        fen = 0
        if self.threshold is not None:
            fen = _fen(self.threshold, self.threshold.currency.code, "free-shipping threshold")
        object.__setattr__(self, "_threshold_fen", fen)

    @property
    def currency(self) -> str | None:
        return None if self.threshold is None else self.threshold.currency.code

    @property
    def lowest_threshold(self) -> int:
        return self._threshold_fen

    def saving(self, amount: int, count: int) -> int:
        """1 when the threshold is met: the pipeline waives the shipping fee itself."""
        return 1 if amount >= self._threshold_fen else 0

    def describe(self) -> str:
        if self.threshold is None:
            return "free shipping"
        return f"free shipping over {format_yuan(self._threshold_fen)}"


@attrs.frozen
class GiftTier:
    threshold: Money
    coupon_batch: str
    quantity: int = 1


def _gift_tiers(tiers: Iterable[GiftTier]) -> tuple[GiftTier, ...]:
    return tuple(tiers)


@attrs.frozen
class GiftCoupons:
    """满赠券: coupons granted after the order completes; no money effect (ACT-1)."""

    tiers: tuple[GiftTier, ...] = attrs.field(converter=_gift_tiers)
    kind = BenefitKind.GIFT_COUPON
    by_count = False
    _table: tuple[tuple[int, GiftTier], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        cur = self.currency
        table = tuple((_fen(t.threshold, cur, "gift threshold"), t) for t in self.tiers)
        _ascending([t for t, _ in table], "gift coupon tiers")
        for _, tier in table:
            if tier.quantity < 1:
                raise InvalidConfiguration("gift coupon", "quantity must be >= 1", rule="ACT-1")
        object.__setattr__(self, "_table", table)

    @property
    def currency(self) -> str:
        return same_currency([t.threshold for t in self.tiers])

    @property
    def lowest_threshold(self) -> int:
        return self._table[0][0]

    def tier_for(self, amount: int) -> GiftTier | None:
        reached = None
        for threshold, tier in self._table:
            if amount < threshold:
                break
            reached = tier
        return reached

    def saving(self, amount: int, count: int) -> int:
        return 0

    def describe(self) -> str:
        return ", ".join(
            f"spend {format_yuan(t)} get {g.quantity}× {g.coupon_batch}" for t, g in self._table
        )


Benefit = TieredReduction | EveryReduction | TieredDiscount | FreeShipping | GiftCoupons


@attrs.frozen
class Activity:
    """A named, windowed marketing activity for chosen products and customers."""

    id: str
    name: str
    benefit: Benefit
    products: ProductScope = ALL_PRODUCTS
    customers: CustomerScope = EVERYONE
    window: Window = ALWAYS

    def __attrs_post_init__(self) -> None:
        if not self.id or not self.name:
            raise InvalidConfiguration("activity", "needs an id and a name", rule="ACT-3")

    @property
    def kind(self) -> BenefitKind:
        return self.benefit.kind
