"""Limited-time discounts (限时折扣, LTD-2..6) as a stage-1 ``LinePriceRule``.

A ``LimitedTimeDiscount`` is the merchant's configuration: a window, SKUs with
their LTD-3 price settings and activity stock (``LimitedTimeItem``), an optional
per-person limit (LTD-2), the LTD-5 rounding option, who may buy (ACT-5 audience
plus customer tags) and display labels.  ``LimitedTimeRule`` prices cart lines
with it; the line then carries ``LIMITED_TIME`` stacking, so it joins only the
member discount and points (PIPE-5).

Readings, documented here once:

* **Limit counting.**  ``PurchaseHistory(activity_id, customer_id, key)`` returns
  the units the person already bought *at this discount* (every order submitted
  and not closed unpaid; ``limited_time_checkout`` keeps that count), the key
  being the product id (default, "每人每种商品") or the SKU id (``LimitPer.SKU``).
  Mode (a) ``ALL_OR_NOTHING``: an order that would take the person past N gets no
  discount at all (earlier orders are paid and stay as they were).  Mode (b)
  ``FIRST_N``: the first N units are discounted, the rest pay the list price as
  *regular* units (``LinePrice.units``: the pipeline splits the line, so coupons
  and activities still reach them, PIPE-5).  Mode (c) ``FIRST_N_ONLY``: an order
  past N cannot be placed.
* **Mode (c) and the pipeline.**  The pipeline refuses nothing itself, so a line
  past the limit is a ``LineSkip(LIMIT_REACHED)`` (full price, explained) and the
  order service calls ``LimitedTimeRule.check_order`` before creating the order;
  it raises ``LimitReached`` (LTD-2).
* **Several SKUs of one product in one cart** share a per-product limit.  A rule
  sees one line at a time, so bind it to the cart (``rule.for_cart(cart)``) to
  count the other lines; the allowance goes to the units with the larger saving
  first (best for the buyer), ties by line id.  An unbound rule judges each line
  on its own (exact whenever each product has one line, or ``LimitPer.SKU``).
* **Guests.**  A per-person limit needs a known customer: a guest is not eligible
  for a limited discount.  Customer tags: the buyer needs at least one of
  ``customer_tags`` (on top of ``customers``); the seed's 活动标签 are labels on the
  activity's products, kept as ``labels`` for display, with no pricing effect.
* **A setting that no longer fits** the SKU's current price (price lowered below a
  reduction or a fixed price since configuring) leaves the line at its price:
  ``LineSkip(NOTHING_TO_DISCOUNT)`` naming LTD-3.
* **Activity stock** (LTD-4) is validated here; with ``stock`` (the ``FlashStock``
  port, under ``stock_key(id)``) a line whose discounted units the stock cannot
  cover is skipped (``LIMIT_REACHED``), as flash sales do.  Holding, selling and
  giving it back is ``promotions.limited_time_checkout``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from datetime import datetime

import attrs

from mallcore.errors import CurrencyMismatch, InvalidConfiguration, InvalidInput, LimitReached
from mallcore.guards import aware, whole
from mallcore.money import format_yuan
from mallcore.pricing.buyer import Buyer
from mallcore.pricing.cart import Cart, CartLine
from mallcore.pricing.line_rules import LinePrice, LineSkip
from mallcore.pricing.reasons import SkipReason
from mallcore.promotions.flash_stock import FlashStock
from mallcore.promotions.limited_time_config import (
    LimitedTimeDiscount,
    LimitMode,
    LimitPer,
    PersonLimit,
    check_no_conflicts,
    conflicts,
)
from mallcore.promotions.limited_time_price import (
    LimitedTimeItem,
    PriceMode,
    Rounding,
    apply_rounding,
    discounted_fen,
)
from mallcore.promotions.stacking import LIMITED_TIME

__all__ = [
    "LimitMode",
    "LimitPer",
    "LimitedTimeDiscount",
    "LimitedTimeItem",
    "LimitedTimeRule",
    "PersonLimit",
    "PriceMode",
    "PurchaseHistory",
    "Rounding",
    "TagsOf",
    "apply_rounding",
    "check_no_conflicts",
    "conflicts",
    "discounted_fen",
    "stock_key",
]

#: ``(activity_id, customer_id, product_or_sku_id) -> units already bought`` (LTD-2).
PurchaseHistory = Callable[[str, str, str], int]
#: ``customer_id -> that customer's tags``.
TagsOf = Callable[[str], AbstractSet[str]]

KIND = "limited_time"


def stock_key(discount_id: str) -> str:
    """The "sale" a discount's activity stock is kept under in a ``FlashStock``
    (LTD-4): prefixed, so a flash sale and a discount with the same id never share
    stock when they share a store."""
    return f"ltd:{discount_id}"


def _describe(obj: object) -> str:
    describe = getattr(obj, "describe", None)
    return str(describe()) if callable(describe) else repr(obj)


@attrs.frozen
class _Unit:
    """One line as this discount would price it, before the limit."""

    line: CartLine
    item: LimitedTimeItem
    raw: int  # LTD-3 unit price
    price: int  # after the LTD-5 rounding

    @property
    def saving(self) -> int:
        return self.line.unit_fen - self.price


def _lines(values: Iterable[CartLine]) -> tuple[CartLine, ...]:
    return tuple(values)


@attrs.frozen
class LimitedTimeRule:
    """Prices lines with a ``LimitedTimeDiscount``; a ``LinePriceRule`` (PIPE-1, PIPE-5).

    ``history`` is required when the discount has a per-person limit, ``tags_of``
    when it targets customer tags.  ``cart_lines`` is set by ``for_cart``.
    """

    discount: LimitedTimeDiscount
    history: PurchaseHistory | None = None
    tags_of: TagsOf | None = None
    cart_lines: tuple[CartLine, ...] = attrs.field(default=(), converter=_lines)
    #: LTD-4: where the activity stock is counted (the flash-stock port); ``None``
    #: prices without looking at it (quotes, tests).
    stock: FlashStock | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        d = self.discount
        if not isinstance(d, LimitedTimeDiscount):
            raise InvalidConfiguration("limited-time rule", f"{d!r} is not a discount",
                                       rule="LTD-3")
        if self.stock is not None:
            for item in d.items:  # a no-op when already loaded with the same numbers
                self.stock.load(stock_key(d.id), item.sku_id, item.stock)
        if d.limit is not None and self.history is None:
            raise InvalidConfiguration(f"limited-time discount {d.id!r}",
                                       "has a per-person limit but no purchase history",
                                       rule="LTD-2")
        if d.customer_tags and self.tags_of is None:
            raise InvalidConfiguration(f"limited-time discount {d.id!r}",
                                       "targets customer tags but no tags_of was given",
                                       rule="ACT-5")

    @property
    def id(self) -> str:
        return self.discount.id

    @property
    def name(self) -> str:
        return self.discount.name

    @property
    def kind(self) -> str:
        return KIND

    def for_cart(self, cart: Cart | Iterable[CartLine]) -> LimitedTimeRule:
        """This rule, aware of the other lines of ``cart`` (per-product limits, LTD-2)."""
        lines = cart.lines if isinstance(cart, Cart) else tuple(cart)
        return attrs.evolve(self, cart_lines=lines)

    # ------------------------------------------------------------ pricing
    def price_line(self, line: CartLine, buyer: Buyer, now: datetime
                   ) -> LinePrice | LineSkip | None:
        d = self.discount
        item = d.item_for(line.sku_id)
        if item is None:
            return None
        if line.currency != item.currency:
            raise CurrencyMismatch(f"line {line.line_id!r}",
                                   f"in {line.currency}, limited-time discount {d.id!r} is "
                                   f"in {item.currency}")
        if not d.window.is_active(now):
            return LineSkip(SkipReason.OUTSIDE_WINDOW, _describe(d.window))
        why_not = self._not_eligible(buyer)
        if why_not:
            return LineSkip(SkipReason.CUSTOMER_NOT_ELIGIBLE, why_not)
        unit = self._unit(line, item)
        if isinstance(unit, str):
            return LineSkip(SkipReason.NOTHING_TO_DISCOUNT, unit)
        quantity = line.quantity
        detail = f"{line.sku_id}: {item.explain(line.unit_fen, unit.raw)}"
        if unit.price != unit.raw:
            detail += f", {d.rounding.label()} → {format_yuan(unit.price)}"
        limit = d.limit
        discounted = quantity
        if limit is not None:
            assert buyer.customer_id is not None  # _not_eligible refuses guests
            share = self._share(unit, limit, buyer.customer_id)
            if isinstance(share, LineSkip):
                return share
            discounted, note = share
            detail += note
        short = self._stock_short(line.sku_id, discounted)
        if short:
            return LineSkip(SkipReason.LIMIT_REACHED, short)
        amount = discounted * unit.price + (quantity - discounted) * line.unit_fen
        return LinePrice(amount, LIMITED_TIME, detail,
                         units=discounted if discounted < quantity else None)

    def check_order(self, cart: Cart | Iterable[CartLine], buyer: Buyer, now: datetime
                    ) -> None:
        """Refuse an order that goes past a mode (c) limit (LTD-2): ``LimitReached``
        naming every product (or SKU) over its limit.

        Call it before creating the order.  Lines the discount does not price at
        ``now`` for ``buyer`` (outside the window, buyer not eligible, no fitting
        price) are sold at their list price and never refused here.
        """
        aware(now)
        d = self.discount
        limit = d.limit
        if limit is None or limit.mode is not LimitMode.FIRST_N_ONLY:
            return
        if not d.window.is_active(now) or self._not_eligible(buyer):
            return
        assert buyer.customer_id is not None
        lines = cart.lines if isinstance(cart, Cart) else tuple(cart)
        totals: dict[str, int] = {}
        for line in lines:
            item = d.item_for(line.sku_id)
            if item is not None and not isinstance(self._unit(line, item), str):
                key = limit.key(line)
                totals[key] = totals.get(key, 0) + line.quantity
        over = []
        for key in sorted(totals):
            before = self._bought(buyer.customer_id, key)
            if before + totals[key] > limit.quantity:
                over.append((key, f"{key!r}: {totals[key]} in this order and {before} bought "
                                  f"before exceed the limit of {limit.quantity} per person"))
        if over:
            raise LimitReached(
                f"limited-time discount {d.id!r}, {limit.per} "
                f"{', '.join(repr(key) for key, _ in over)}",
                "; ".join(why for _, why in over), rule="LTD-2")

    # ------------------------------------------------------------ helpers
    def _not_eligible(self, buyer: Buyer) -> str:
        d = self.discount
        if not d.customers.admits(buyer.customer_id, buyer.level_id, buyer.first_order):
            return f"for {d.customers.describe()}"
        if d.customer_tags:
            assert self.tags_of is not None
            if buyer.customer_id is None:
                return f"for customers tagged {', '.join(sorted(d.customer_tags))}; " \
                       "the buyer is a guest"
            if d.customer_tags.isdisjoint(self.tags_of(buyer.customer_id)):
                return f"for customers tagged {', '.join(sorted(d.customer_tags))}"
        if d.limit is not None and buyer.customer_id is None:
            return "a per-person limit needs a known customer; the buyer is a guest"
        return ""

    def _unit(self, line: CartLine, item: LimitedTimeItem) -> _Unit | str:
        try:
            raw = item.unit_price(line.unit_fen)
        except InvalidConfiguration as exc:
            return f"{exc.refused}: {exc.reason} at its current price [LTD-3]"
        return _Unit(line, item, raw, apply_rounding(raw, self.discount.rounding))

    def _stock_short(self, sku_id: str, units: int) -> str:
        """LTD-4: why the activity stock cannot cover ``units`` ("" when it can)."""
        if self.stock is None:
            return ""
        left = self.stock.remaining(stock_key(self.discount.id), sku_id)
        if left >= units:
            return ""
        if left <= 0:
            return f"{sku_id}: the activity stock is sold out [LTD-4]"
        return f"{sku_id}: only {left} units of activity stock left, {units} asked [LTD-4]"

    def _bought(self, customer_id: str, key: str) -> int:
        assert self.history is not None
        count = self.history(self.discount.id, customer_id, key)
        return whole(count, f"units of {key!r} bought in {self.discount.id!r}", "LTD-2")

    def _group(self, unit: _Unit, limit: PersonLimit) -> list[_Unit]:
        """The lines sharing ``unit``'s limit in the bound cart (just ``unit`` if unbound)."""
        line = unit.line
        if not self.cart_lines:
            return [unit]
        if line not in self.cart_lines:
            raise InvalidInput(f"line {line.line_id!r}",
                               "is not in the cart this limited-time rule is bound to",
                               rule="LTD-2")
        key = limit.key(line)
        group = []
        for other in self.cart_lines:
            item = self.discount.item_for(other.sku_id)
            if other == line:
                group.append(unit)
            elif item is not None and limit.key(other) == key:
                priced = self._unit(other, item)
                if not isinstance(priced, str):
                    group.append(priced)
        return group

    def _share(self, unit: _Unit, limit: PersonLimit, customer_id: str
               ) -> tuple[int, str] | LineSkip:
        """How many of ``unit``'s units are discounted under ``limit`` (LTD-2)."""
        line = unit.line
        key = limit.key(line)
        before = self._bought(customer_id, key)
        group = self._group(unit, limit)
        total = sum(u.line.quantity for u in group)
        n = limit.quantity
        state = f"{before} bought before, {total} in this order"
        if limit.mode is not LimitMode.FIRST_N:
            if before + total > n:
                return LineSkip(SkipReason.LIMIT_REACHED,
                                f"{line.sku_id}: {limit.describe()} ({state})")
            return line.quantity, f" ({limit.describe()}, {state})"
        left = max(0, n - before)
        share = 0
        for other in sorted(group, key=lambda u: (-u.saving, u.line.line_id)):
            take = min(other.line.quantity, left)
            left -= take
            if other.line.line_id == line.line_id:
                share = take
                break
        if share == 0:
            return LineSkip(SkipReason.LIMIT_REACHED,
                            f"{line.sku_id}: {limit.describe()} ({state})")
        note = f" ({limit.describe()}, {state})"
        if share < line.quantity:
            note = (f"; {share} of {line.quantity} at {format_yuan(unit.price)}, "
                    f"{line.quantity - share} at {format_yuan(line.unit_fen)}{note}")
        return share, note
