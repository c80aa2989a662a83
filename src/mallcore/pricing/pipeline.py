"""The ordered discount pipeline (PIPE-1): activities → coupon → membership → points.

Each stage works on the line amounts the previous stage left, allocates its
saving to the lines to the fen (PIPE-3), and explains what it applied and what
it skipped (PIPE-4).  Stage 1 first lets ``LinePriceRule``s (flash sale,
limited-time, pre-sale) set a line's price and its ``Stacking``; every later
benefit asks the line's stacking whether it may join (PIPE-5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from mallcore.coupons.benefits import (
    CouponOffer,
    ExchangeItem,
    FixedAmount,
    FreeShippingCoupon,
    PercentOff,
)
from mallcore.customers.points import PointsPolicy
from mallcore.errors import CurrencyMismatch, NotAllowed
from mallcore.guards import aware
from mallcore.money import divide_half_up, format_yuan, split
from mallcore.pricing.breakdown import (
    SHIPPING,
    AppliedRecord,
    Detail,
    Gift,
    PriceBreakdown,
    SkippedRecord,
    Stage,
)
from mallcore.pricing.buyer import GUEST, Buyer
from mallcore.pricing.cart import Cart, CartLine
from mallcore.pricing.line_rules import LinePrice, LinePriceRule, LineSkip, price_lines
from mallcore.pricing.reasons import SkipReason
from mallcore.pricing.selection import Candidate, Measurable, choose
from mallcore.promotions.activities import Activity, FreeShipping, GiftCoupons
from mallcore.promotions.scope import Audience, ProductScope
from mallcore.promotions.stacking import REGULAR, BenefitKind, Stacking

_ACTIVITY_MONEY_KINDS = frozenset({BenefitKind.REDUCTION, BenefitKind.DISCOUNT})
_COUPON = BenefitKind.COUPON.value
_MEMBERSHIP = BenefitKind.MEMBERSHIP.value
_POINTS = BenefitKind.POINTS.value
_KIND_VALUE = {kind: kind.value for kind in BenefitKind}


@attrs.frozen
class PipelinePolicy:
    """Switches for readings of the rules that a merchant may want the other way.

    ``gift_coupons_exclusive``: ACT-4 lets a line join one non-shipping activity,
    yet PIPE-2 grants its "spend 100 get a coupon" alongside "spend 100 save 15".
    By default gift-coupon activities (no money effect) stack, as PIPE-2 shows.
    """

    gift_coupons_exclusive: bool = False


class _Ledger:
    """Mutable per-call state: current amounts plus what was applied and skipped."""

    __slots__ = ("applied", "gifts", "ids", "skipped")

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.applied: list[AppliedRecord] = []
        self.skipped: list[SkippedRecord] = []
        self.gifts: list[Gift] = []

    def skip(
        self, stage: Stage, pid: str, name: str, kind: str, reason: SkipReason,
        detail: Detail = "", related: tuple[str, ...] = (),
    ) -> None:
        self.skipped.append((stage, pid, name, kind, reason, detail, related))

    def apply(
        self, stage: Stage, pid: str, name: str, kind: str, amounts: list[int],
        positions: list[int], weights: list[int], saving: int, detail: Detail,
        shipping: int = 0,
    ) -> int:
        """Allocate ``saving`` over the lines at ``positions`` by ``weights`` (plus the
        shipping fee), subtract each share from ``amounts``; return the shipping share."""
        ids = self.ids
        keys = [ids[i] for i in positions]
        if shipping:
            keys.append(SHIPPING)
            weights = [*weights, shipping]
        shares = split(saving, keys, weights)
        for i, fen in zip(positions, shares, strict=False):  # shipping's share is last
            amounts[i] -= fen
        allocation = tuple([(key, fen) for key, fen in zip(keys, shares, strict=True) if fen])
        self.applied.append((stage, pid, name, kind, saving, allocation, detail))
        return shares[-1] if shipping else 0


class PricingPipeline:
    """Prices carts against a fixed set of promotions; build once, price many."""

    def __init__(
        self,
        activities: Iterable[Activity] = (),
        *,
        line_rules: Iterable[LinePriceRule] = (),
        points_policy: PointsPolicy | None = None,
        policy: PipelinePolicy | None = None,
    ) -> None:
        self.activities = tuple(sorted(activities, key=lambda a: a.id))
        ids = [a.id for a in self.activities]
        if len(set(ids)) != len(ids):
            raise NotAllowed("activities", "two activities share an id", rule="ACT-3")
        self.line_rules = tuple(sorted(line_rules, key=lambda r: r.id))
        self.points_policy = points_policy if points_policy is not None else PointsPolicy()
        self.policy = policy if policy is not None else PipelinePolicy()
        exclusive = set(_ACTIVITY_MONEY_KINDS)
        if self.policy.gift_coupons_exclusive:
            exclusive.add(BenefitKind.GIFT_COUPON)
        self._exclusive_kinds = frozenset(exclusive)
        self._describe = {a.id: a.benefit.describe() for a in self.activities}
        # What does not change between carts, worked out once (the pipeline is frozen).
        self._compiled = [
            (
                act,
                act.benefit.kind,
                act.benefit.kind.value,
                None if act.window.permanent else act.window,
                None if act.customers.audience is Audience.EVERYONE else act.customers,
                act.benefit.kind in self._exclusive_kinds,
            )
            for act in self.activities
        ]
        self._currencies = {
            a.id: cur for a in self.activities if (cur := a.benefit.currency) is not None
        }
        self._currency_set = frozenset(self._currencies.values())
        self._scopes = _ScopeIndex(a.products for a in self.activities)

    def without(self, activity_id: str) -> PricingPipeline:
        """The same pipeline minus one activity (for what-if comparisons)."""
        return PricingPipeline(
            (a for a in self.activities if a.id != activity_id),
            line_rules=self.line_rules,
            points_policy=self.points_policy,
            policy=self.policy,
        )

    # ------------------------------------------------------------------ price
    def price(
        self,
        cart: Cart,
        *,
        now: datetime,
        buyer: Buyer = GUEST,
        coupon: CouponOffer | None = None,
        points: int = 0,
        strict_coupon: bool = True,
    ) -> PriceBreakdown:
        """Price ``cart`` for ``buyer`` at ``now``.

        ``coupon`` is the coupon the buyer chose; with ``strict_coupon`` a coupon
        that cannot be used is refused (``NotAllowed``) as a checkout would,
        otherwise it is reported as skipped.  ``points`` is how many points the
        buyer asks to spend; stage 4 uses as many as the rules allow.
        """
        aware(now)
        lines = cart.lines
        currency = cart.currency
        ids = [line.line_id for line in lines]
        ledger = _Ledger(ids)
        list_amounts = [line.unit_fen * line.quantity for line in lines]
        amounts = list(list_amounts)
        stacking = [REGULAR] * len(lines)
        priced_by = [""] * len(lines)

        units = self._line_rules(cart, buyer, now, amounts, stacking, ledger, priced_by)
        sources: tuple[str, ...] = ()
        if units:  # LTD-2 mode (b): the activity units and the regular units part ways
            cart, sources = _split(cart, units, list_amounts, amounts, stacking, priced_by)
            lines = cart.lines
            ledger.ids = [line.line_id for line in lines]
        joining = _Joining(stacking)
        after_rules = list(amounts)
        shipping = cart.shipping_fen
        shipping = self._activities(cart, buyer, now, amounts, after_rules, joining, shipping,
                                    ledger)
        after_activities = list(amounts)
        ship_activities = shipping
        if coupon is not None:
            shipping = self._coupon(coupon, cart, currency, amounts, joining, shipping, ledger,
                                    strict_coupon)
        after_coupon = list(amounts)
        ship_coupon = shipping
        self._membership(buyer, amounts, joining, ledger)
        after_membership = list(amounts)
        points_used = 0
        if points:
            shipping, points_used = self._points(buyer, points, amounts, joining, shipping,
                                                 ledger)
        return PriceBreakdown(
            currency,
            lines,
            (REGULAR.family,) * len(lines) if joining.regular
            else tuple(s.family for s in stacking),
            (tuple(list_amounts), tuple(after_activities), tuple(after_coupon),
             tuple(after_membership), tuple(amounts)),
            (cart.shipping_fen, ship_activities, ship_coupon, ship_coupon, shipping),
            tuple(ledger.applied),
            tuple(ledger.skipped),
            tuple(ledger.gifts),
            points_used,
            tuple(priced_by) if any(priced_by) else (),
            sources,
            buyer,
        )

    # ----------------------------------------------------------- stage 1a
    def _line_rules(
        self, cart: Cart, buyer: Buyer, now: datetime, amounts: list[int],
        stacking: list[Stacking], ledger: _Ledger, priced_by: list[str],
    ) -> dict[int, int]:
        """Stage 1a; returns, for lines only partly at the activity price, how many
        of their units are (the pipeline then splits them, ``_split``)."""
        if not self.line_rules:
            return {}
        owner: dict[int, LinePriceRule] = {}
        priced: dict[int, LinePrice] = {}
        skips: dict[str, tuple[LinePriceRule, LineSkip, tuple[str, ...]]] = {}
        for rule in self.line_rules:
            outcomes = price_lines(rule, cart.lines, buyer, now)
            for i, line in enumerate(cart.lines):
                outcome = outcomes[i]
                if outcome is None:
                    continue
                if isinstance(outcome, LineSkip):
                    skips.setdefault(rule.id, (rule, outcome, ()))
                    continue
                if not 0 <= outcome.amount_fen <= amounts[i]:
                    raise NotAllowed(
                        f"line price from {rule.id!r}",
                        f"{format_yuan(outcome.amount_fen)} is not between 0 and the list "
                        f"amount {format_yuan(amounts[i])}",
                        rule="PIPE-1",
                    )
                _check_units(rule.id, line, outcome)
                current = priced.get(i)
                if current is not None and current.amount_fen <= outcome.amount_fen:
                    loser, winner = rule, owner[i]
                else:
                    if current is not None:
                        loser, winner = owner[i], rule
                        skips.setdefault(loser.id, (loser, LineSkip(
                            SkipReason.EXCLUSIVE, f"line {line.line_id} priced by {rule.id}"),
                            (rule.id,)))
                    owner[i], priced[i] = rule, outcome
                    continue
                skips.setdefault(loser.id, (loser, LineSkip(
                    SkipReason.EXCLUSIVE, f"line {line.line_id} priced by {winner.id}"),
                    (winner.id,)))
        by_rule: dict[str, dict[int, int]] = {}
        units: dict[int, int] = {}
        for i, outcome in priced.items():
            saving = amounts[i] - outcome.amount_fen
            by_rule.setdefault(owner[i].id, {})[i] = saving
            stacking[i] = outcome.stacking
            priced_by[i] = owner[i].id
            if outcome.units is not None and outcome.units < cart.lines[i].quantity:
                units[i] = outcome.units
        for rule in self.line_rules:
            savings = by_rule.get(rule.id)
            if savings:
                detail = "; ".join(
                    d for i in sorted(savings) if (d := priced[i].detail)
                )
                # A line-price saving is already per line: allocate it as is.
                ledger.apply(Stage.ACTIVITIES, rule.id, rule.name, rule.kind, amounts,
                             list(savings), list(savings.values()), sum(savings.values()),
                             detail)
            elif rule.id in skips:
                _, skip, related = skips[rule.id]
                ledger.skip(Stage.ACTIVITIES, rule.id, rule.name, rule.kind, skip.reason,
                            skip.detail, related)
        return units

    # ----------------------------------------------------------- stage 1b
    def _activities(
        self, cart: Cart, buyer: Buyer, now: datetime, amounts: list[int],
        base: list[int], joining: _Joining, shipping: int, ledger: _Ledger,
    ) -> int:
        lines = cart.lines
        counts = [line.quantity for line in lines]
        stage = Stage.ACTIVITIES
        exclusive: list[tuple[Activity, Candidate]] = []
        stacked: list[tuple[Activity, int]] = []
        in_scope_of = self._scopes.masks(lines)
        allowed = joining.mask
        if self._currency_set and self._currency_set != {cart.currency}:
            act_id, cur = next((a, c) for a, c in self._currencies.items() if c != cart.currency)
            raise CurrencyMismatch(
                f"activity {act_id!r}", f"in {cur}, the cart is in {cart.currency}"
            )
        for j, (act, kind, kind_value, window, audience, is_exclusive) in enumerate(
            self._compiled
        ):
            if window is not None and not window.is_active(now):
                ledger.skip(stage, act.id, act.name, kind_value, SkipReason.OUTSIDE_WINDOW,
                            window.describe())
                continue
            if audience is not None and not audience.admits(
                buyer.customer_id, buyer.level_id, buyer.first_order
            ):
                ledger.skip(stage, act.id, act.name, kind_value,
                            SkipReason.CUSTOMER_NOT_ELIGIBLE, audience.describe())
                continue
            in_scope = in_scope_of[j]
            if not in_scope:
                ledger.skip(stage, act.id, act.name, kind_value, SkipReason.EXCLUDED_PRODUCT,
                            act.products.describe())
                continue
            eligible = in_scope & allowed(kind)
            if not eligible:
                ledger.skip(stage, act.id, act.name, kind_value, SkipReason.NOT_STACKABLE,
                            "every line in scope is priced by an activity it cannot join")
                continue
            if is_exclusive:
                exclusive.append((act, Candidate(act.id, act.benefit, eligible)))
            else:
                stacked.append((act, eligible))

        if exclusive:
            self._exclusive(exclusive, amounts, base, counts, ledger)
        for act, eligible in stacked:
            if isinstance(act.benefit, FreeShipping):
                shipping = self._free_shipping(act, act.benefit, cart, eligible, base, counts,
                                               shipping, ledger)
            elif isinstance(act.benefit, GiftCoupons):
                self._gift(act, act.benefit, eligible, base, ledger)
        return shipping

    def _exclusive(
        self, exclusive: list[tuple[Activity, Candidate]], amounts: list[int],
        base: list[int], counts: list[int], ledger: _Ledger,
    ) -> None:
        cands = [c for _, c in exclusive]
        scored = any(isinstance(act.benefit, GiftCoupons) for act, _ in exclusive)
        if scored:
            cands = [c._replace(benefit=_GiftAwareScore(c.benefit)) for c in cands]
        choices = choose(cands, base, counts)
        for (act, cand), choice in zip(exclusive, choices, strict=True):
            kind = _KIND_VALUE[act.benefit.kind]
            if choice.saving and isinstance(act.benefit, GiftCoupons):
                self._gift(act, act.benefit, choice.lines, base, ledger)
                continue
            if choice.saving:
                positions = _positions(choice.lines)
                weights = [base[i] for i in positions]
                saving = choice.saving >> _GIFT_BITS if scored else choice.saving
                ledger.apply(Stage.ACTIVITIES, act.id, act.name, kind, amounts, positions,
                             weights, saving,
                             ("{0} on {1:yuan}", (self._describe[act.id], sum(weights))))
                continue
            alone = choice.alone
            if alone:
                winners = tuple(sorted(
                    other.candidate.key for other in choices if other.lines & cand.lines
                ))
                lost = ", ".join(winners)
                detail: Detail = (
                    ("would grant its gift; its lines went to {0}, better for the buyer",
                     (lost,))
                    if isinstance(act.benefit, GiftCoupons) else
                    ("would save {0:yuan}; its lines went to {1}, better for the buyer",
                     (alone >> _GIFT_BITS if scored else alone, lost))
                )
                ledger.skip(Stage.ACTIVITIES, act.id, act.name, kind, SkipReason.EXCLUSIVE,
                            detail, winners)
            else:
                total = _sum_at(cand.lines, base)
                ledger.skip(Stage.ACTIVITIES, act.id, act.name, kind,
                            SkipReason.THRESHOLD_NOT_MET,
                            ("{0}; participating goods {1:yuan}",
                             (self._describe[act.id], total)))

    def _free_shipping(
        self, act: Activity, benefit: FreeShipping, cart: Cart, eligible: int,
        base: list[int], counts: list[int], shipping: int, ledger: _Ledger,
    ) -> int:
        stage, kind = Stage.ACTIVITIES, _KIND_VALUE[benefit.kind]
        if cart.region is not None and cart.region in benefit.excluded_regions:
            ledger.skip(stage, act.id, act.name, kind, SkipReason.REGION_EXCLUDED,
                        f"region {cart.region} is excluded")
            return shipping
        methods = benefit.delivery_methods
        if methods is not None and cart.delivery_method not in methods:
            ledger.skip(stage, act.id, act.name, kind, SkipReason.DELIVERY_METHOD,
                        f"{cart.delivery_method} not in {', '.join(sorted(methods))}")
            return shipping
        total = _sum_at(eligible, base)
        if not benefit.saving(total, 0):
            ledger.skip(stage, act.id, act.name, kind, SkipReason.THRESHOLD_NOT_MET,
                        ("{0}; participating goods {1:yuan}", (self._describe[act.id], total)))
            return shipping
        if shipping == 0:
            waived = [r[1] for r in ledger.applied if any(k == SHIPPING for k, _ in r[5])]
            reason = SkipReason.ALREADY_FREE if waived else SkipReason.NOTHING_TO_DISCOUNT
            ledger.skip(stage, act.id, act.name, kind, reason,
                        "shipping is already free", tuple(waived))
            return shipping
        ledger.apply(stage, act.id, act.name, kind, [], [], [], shipping,
                     self._describe[act.id], shipping=shipping)
        return 0

    def _gift(
        self, act: Activity, benefit: GiftCoupons, eligible: int, base: list[int],
        ledger: _Ledger,
    ) -> None:
        total = _sum_at(eligible, base)
        tier = benefit.tier_for(total)
        if tier is None:
            ledger.skip(Stage.ACTIVITIES, act.id, act.name, _KIND_VALUE[benefit.kind],
                        SkipReason.THRESHOLD_NOT_MET,
                        ("{0}; participating goods {1:yuan}", (self._describe[act.id], total)))
            return
        ledger.applied.append((
            Stage.ACTIVITIES, act.id, act.name, _KIND_VALUE[benefit.kind], 0, (),
            ("{0}× {1} after completion", (tier.quantity, tier.coupon_batch)),
        ))
        ledger.gifts.append(Gift("coupon", tier.coupon_batch, tier.quantity, act.id))

    # ----------------------------------------------------------- stage 2
    def _coupon(
        self, coupon: CouponOffer, cart: Cart, currency: str, amounts: list[int],
        joining: _Joining, shipping: int, ledger: _Ledger, strict: bool,
    ) -> int:
        if coupon.currency != currency:
            raise CurrencyMismatch(
                f"coupon {coupon.id!r}", f"in {coupon.currency}, the cart is in {currency}"
            )
        stage, kind = Stage.COUPONS, _COUPON
        lines = cart.lines
        if coupon.scope.everything:
            in_scope = list(range(len(lines)))
        else:
            in_scope = [i for i, line in enumerate(lines)
                        if coupon.scope.covers(line.product_id, line.sku_id, line.categories)]
        if joining.regular:
            eligible = in_scope
        else:
            joins = set(joining.positions(BenefitKind.COUPON))
            eligible = [i for i in in_scope if i in joins]
        base = sum(amounts[i] for i in eligible)
        benefit = coupon.benefit

        def refuse(reason: SkipReason, detail: str) -> int:
            if strict:
                raise NotAllowed(f"coupon {coupon.id!r}", detail, rule=_COUPON_RULE[reason])
            ledger.skip(stage, coupon.id, coupon.name, kind, reason, detail)
            return shipping

        if not in_scope:
            return refuse(SkipReason.EXCLUDED_PRODUCT,
                          f"no line is in its scope ({coupon.scope.describe()})")
        if not eligible:
            return refuse(SkipReason.NOT_STACKABLE,
                          "every line in scope is priced by an activity that excludes coupons")
        if base < coupon.threshold_fen:
            return refuse(SkipReason.THRESHOLD_NOT_MET,
                          f"needs {format_yuan(coupon.threshold_fen)} of goods in scope after "
                          f"activities, has {format_yuan(base)}")
        positions = eligible
        if isinstance(benefit, FreeShippingCoupon):
            if shipping == 0:
                return refuse(SkipReason.ALREADY_FREE, "shipping is already free")
            ledger.apply(stage, coupon.id, coupon.name, kind, amounts, [], [], shipping,
                         coupon.describe(), shipping=shipping)
            return 0
        if isinstance(benefit, ExchangeItem):
            target = [i for i in eligible if lines[i].sku_id == benefit.sku]
            if not target:
                return refuse(SkipReason.EXCLUDED_PRODUCT, f"the cart has no {benefit.sku}")
            i = min(target, key=lambda t: lines[t].line_id)  # not cart order: deterministic
            positions = [i]
            saving = divide_half_up(amounts[i], lines[i].quantity)  # one unit's worth
        elif isinstance(benefit, FixedAmount):
            saving = min(coupon.amount_fen, base)
        elif isinstance(benefit, PercentOff):
            saving = benefit.rate.discount_of(base)
            if coupon.cap_fen is not None:
                saving = min(saving, coupon.cap_fen)
        else:  # pragma: no cover - the union is closed
            raise TypeError(benefit)
        if saving <= 0:
            return refuse(SkipReason.NOTHING_TO_DISCOUNT, "the goods in scope are already free")
        ledger.apply(stage, coupon.id, coupon.name, kind, amounts, positions,
                     [amounts[i] for i in positions], saving,
                     coupon.describe())
        return shipping

    # ----------------------------------------------------------- stage 3
    def _membership(
        self, buyer: Buyer, amounts: list[int], joining: _Joining, ledger: _Ledger,
    ) -> None:
        rate = buyer.member_discount
        kind = _MEMBERSHIP
        if rate is None:
            if buyer.level_id is not None:
                ledger.skip(Stage.MEMBERSHIP, f"level:{buyer.level_id}", buyer.level_id, kind,
                            SkipReason.NO_MEMBER_DISCOUNT, "this level has no discount")
            return
        pid = f"level:{buyer.level_id}"
        name = f"{buyer.level_name or buyer.level_id or 'member'} {rate.label()}"
        positions = joining.positions(BenefitKind.MEMBERSHIP)
        weights = [amounts[i] for i in positions]
        base = sum(weights)
        saving = rate.discount_of(base)
        if not positions:
            ledger.skip(Stage.MEMBERSHIP, pid, name, kind, SkipReason.NOT_STACKABLE,
                        "every line is priced by an activity that excludes the member discount")
        elif saving <= 0:
            ledger.skip(Stage.MEMBERSHIP, pid, name, kind, SkipReason.NOTHING_TO_DISCOUNT,
                        f"{rate.label()} of {format_yuan(base)} rounds to 0.00")
        else:
            ledger.apply(Stage.MEMBERSHIP, pid, name, kind, amounts, positions, weights, saving,
                         ("{0} of {1:yuan}", (rate.label(), base)))

    # ----------------------------------------------------------- stage 4
    def _points(
        self, buyer: Buyer, points: int, amounts: list[int], joining: _Joining,
        shipping: int, ledger: _Ledger,
    ) -> tuple[int, int]:
        kind = _POINTS
        name = f"{points} points"
        policy = self.points_policy
        if not policy.enabled:
            ledger.skip(Stage.POINTS, "points", name, kind, SkipReason.POINTS_DISABLED,
                        "points deduction is switched off")
            return shipping, 0
        positions = joining.positions(BenefitKind.POINTS)
        if not positions:
            ledger.skip(Stage.POINTS, "points", name, kind, SkipReason.NOT_STACKABLE,
                        "every line is priced by an activity that excludes points")
            return shipping, 0
        weights = [amounts[i] for i in positions]
        base = sum(weights) + shipping  # PIPE-1: points may pay shipping
        deduction = policy.deduction(base, points, buyer.points_balance)
        if deduction.fen <= 0:
            ledger.skip(Stage.POINTS, "points", name, kind, SkipReason.LIMIT_REACHED,
                        f"limited by {deduction.capped_by}: no whole yuan on "
                        f"{format_yuan(base)}")
            return shipping, 0
        detail: Detail = ("{0} points = {1:yuan}", (deduction.points, deduction.fen))
        if deduction.capped_by not in (None, "requested"):
            detail = ("{0} points = {1:yuan} (limited by {2})",
                      (deduction.points, deduction.fen, deduction.capped_by))
        ship_share = ledger.apply(Stage.POINTS, "points", f"{deduction.points} points", kind,
                                  amounts, positions, weights, deduction.fen, detail,
                                  shipping=shipping)
        return shipping - ship_share, deduction.points


#: With exclusive gift coupons, a money saving counts above any number of gifts.
_GIFT_BITS = 32


class _GiftAwareScore:
    """Scores for the exclusivity search when gift coupons compete (policy switch).

    A gift has no money value, so it ranks below any money saving and above
    nothing: score = fen << 32, or 1 when a gift tier is reached.
    """

    __slots__ = ("benefit",)

    def __init__(self, benefit: Measurable) -> None:
        self.benefit = benefit

    def saving(self, amount: int, count: int) -> int:
        benefit = self.benefit
        if isinstance(benefit, GiftCoupons):
            return 1 if benefit.tier_for(amount) is not None else 0
        return benefit.saving(amount, count) << _GIFT_BITS


class _ScopeIndex:
    """Which promotions cover a line, by product, SKU and category (ACT-4, CPN-1).

    An inverted index built once per pipeline: pricing a cart costs the lines
    times the promotions that actually match them, not lines × all promotions.
    """

    def __init__(self, scopes: Iterable[ProductScope]) -> None:
        self.everything: list[int] = []
        self.by_product: dict[str, list[int]] = {}
        self.by_sku: dict[str, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        self.size = 0
        for j, scope in enumerate(scopes):
            self.size += 1
            if scope.everything:
                self.everything.append(j)
            for ids, index in ((scope.products, self.by_product), (scope.skus, self.by_sku),
                               (scope.categories, self.by_category)):
                for key in ids:
                    index.setdefault(key, []).append(j)

    def masks(self, lines: Sequence[CartLine]) -> list[int]:
        """For each promotion, the bitmask of the lines it covers."""
        masks = [0] * self.size
        full = (1 << len(lines)) - 1
        for j in self.everything:
            masks[j] = full
        by_product, by_sku, by_category = self.by_product, self.by_sku, self.by_category
        for i, line in enumerate(lines):
            bit = 1 << i
            for j in by_product.get(line.product_id, ()):
                masks[j] |= bit
            for j in by_sku.get(line.sku_id, ()):
                masks[j] |= bit
            for category in line.categories:
                for j in by_category.get(category, ()):
                    masks[j] |= bit
        return masks


_COUPON_RULE = {
    SkipReason.EXCLUDED_PRODUCT: "CPN-1",
    SkipReason.NOT_STACKABLE: "PIPE-5",
    SkipReason.THRESHOLD_NOT_MET: "CPN-1",
    SkipReason.ALREADY_FREE: "CPN-1",
    SkipReason.NOTHING_TO_DISCOUNT: "CPN-1",
}


def _positions(mask: int) -> list[int]:
    """Indices of the set bits of ``mask``, ascending."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


class _Joining:
    """Which lines a benefit kind may reach, given each line's family (PIPE-5).

    Made once per cart after stage 1a; most carts have only regular lines, and
    then every answer is "all of them" without looking at a line.
    """

    __slots__ = ("_masks", "_positions", "regular", "stacking")

    def __init__(self, stacking: Sequence[Stacking]) -> None:
        self.stacking = stacking
        self.regular = all(s is REGULAR for s in stacking)
        self._masks: dict[BenefitKind, int] = {}
        self._positions: dict[BenefitKind, list[int]] = {}

    def positions(self, kind: BenefitKind) -> list[int]:
        found = self._positions.get(kind)
        if found is None:
            if self.regular:
                found = list(range(len(self.stacking)))
            else:
                found = [i for i, s in enumerate(self.stacking) if kind in s.allowed]
            self._positions[kind] = found
        return found

    def mask(self, kind: BenefitKind) -> int:
        found = self._masks.get(kind)
        if found is None:
            found = sum(1 << i for i in self.positions(kind))
            self._masks[kind] = found
        return found


def _check_units(rule_id: str, line: CartLine, outcome: LinePrice) -> None:
    """A partial line price (``units``) must leave the other units at the list price."""
    units = outcome.units
    if units is None:
        return
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= line.quantity:
        raise NotAllowed(f"line price from {rule_id!r}",
                         f"{units!r} units at the activity price is not between 1 and the "
                         f"line's {line.quantity}", rule="PIPE-1")
    activity_part = outcome.amount_fen - (line.quantity - units) * line.unit_fen
    if activity_part < 0:
        raise NotAllowed(f"line price from {rule_id!r}",
                         f"{format_yuan(outcome.amount_fen)} is less than the "
                         f"{line.quantity - units} units left at the list price", rule="PIPE-1")


#: The id of the regular part of a split line: ``<line id>#list``.
SPLIT_SUFFIX = "#list"


def _split(
    cart: Cart, units: dict[int, int], list_amounts: list[int], amounts: list[int],
    stacking: list[Stacking], priced_by: list[str],
) -> tuple[Cart, tuple[str, ...]]:
    """Split each line only partly at its activity price (LTD-2 mode (b)) in two: the
    activity units keep the line id, the family and the stage-1a saving; the other
    units become a regular line ``<id>#list`` at the list price, which later stages
    treat like any other regular line.  The four lists are rewritten in place; the
    amounts of the two parts add up to the line's, to the fen (PIPE-3)."""
    taken = {line.line_id for line in cart.lines}
    lines: list[CartLine] = []
    out_list: list[int] = []
    out_amounts: list[int] = []
    out_stacking: list[Stacking] = []
    out_rules: list[str] = []
    sources: list[str] = []
    for i, line in enumerate(cart.lines):
        n = units.get(i)
        if n is None:
            lines.append(line)
            out_list.append(list_amounts[i])
            out_amounts.append(amounts[i])
            out_stacking.append(stacking[i])
            out_rules.append(priced_by[i])
            sources.append(line.line_id)
            continue
        rest = line.quantity - n
        rest_fen = rest * line.unit_fen
        regular_id = line.line_id + SPLIT_SUFFIX
        while regular_id in taken:
            regular_id += SPLIT_SUFFIX
        taken.add(regular_id)
        lines += [attrs.evolve(line, quantity=n),
                  attrs.evolve(line, quantity=rest, line_id=regular_id)]
        out_list += [n * line.unit_fen, rest_fen]
        out_amounts += [amounts[i] - rest_fen, rest_fen]
        out_stacking += [stacking[i], REGULAR]
        out_rules += [priced_by[i], ""]
        sources += [line.line_id, line.line_id]
    list_amounts[:], amounts[:], stacking[:], priced_by[:] = (
        out_list, out_amounts, out_stacking, out_rules)
    return attrs.evolve(cart, lines=lines), tuple(sources)


def _sum_at(mask: int, amounts: Sequence[int]) -> int:
    return sum(amounts[i] for i in _positions(mask))


__all__ = ["PipelinePolicy", "PricingPipeline"]
