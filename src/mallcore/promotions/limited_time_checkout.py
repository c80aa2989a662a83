"""Limited-time discount lines through orders: activity stock (LTD-4) and the
per-person counts (LTD-2) used at submission, given back when the unpaid order
closes, kept once it is paid.

Both stores are the flash-sale ports, whose contracts fit unchanged (one atomic
check-and-move per call, idempotent per reference, exact under threads); the
SQL and Redis implementations of those ports therefore serve limited-time
discounts too:

* ``ActivityStock`` is ``FlashStock``: per (discount, SKU) the activity stock is
  loaded once and every unit is remaining, reserved (an unpaid order) or sold.
  The discount's stock lives under ``stock_key(discount id)`` (``"ltd:<id>"``),
  so one store can hold flash sales and discounts with the same ids.
* ``PersonCounts`` is ``FlashLimitLedger``: per (discount, customer, product or
  SKU) the units bought at the discount, under the same ``"ltd:<id>"`` key.

Readings (**Interpretation**, LTD-2 and LTD-4):

* **What counts** against the per-person limit is the units bought *at the
  discount* in any of the person's orders (submitted and not closed unpaid).
  Every mode then keeps the discounted units of a person at most N: (a) an order
  that would pass N gets none, (b) the first N are discounted, (c) no order may
  pass N.  Full-price units (mode (a) past N, the rest of a mode (b) line) do not
  use the allowance.
* **At submission** every discounted line uses its units of the allowance
  (atomically, capped at N) and reserves its activity stock, all or nothing; a
  quote made stale by another order of the same person (two tabs) or by the
  last units going to someone else is refused with ``LimitReached`` (LTD-2 or
  LTD-4) and nothing is held: the buyer re-prices.  Before that, a mode (c)
  order past N is refused (``LimitedTimeRule.check_order``), naming the product.
* **Closed unpaid** (timeout, cancel): stock and allowance go back.  **Paid**:
  stock sold, allowance kept.  **Refunded after payment** (after-sales,
  cancellation of a paid order, a missed pre-sale balance): they stay sold and
  used, as for flash sales — the activity stock counts the units sold at the
  activity price, and a refund does not reopen the offer (the refunded goods go
  back to the product's stock).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mallcore.errors import InvalidInput, LimitReached, NotAllowed
from mallcore.guards import aware, identifier, whole
from mallcore.pricing.breakdown import LineAmounts
from mallcore.pricing.buyer import Buyer
from mallcore.pricing.cart import Cart, CartLine
from mallcore.promotions.flash_sale import FlashLimitLedger
from mallcore.promotions.flash_stock import FlashStock
from mallcore.promotions.limited_time import (
    LimitedTimeDiscount,
    LimitedTimeRule,
    LimitPer,
    TagsOf,
    stock_key,
)

__all__ = ["ActivityStock", "LimitedTimeCampaign", "PersonCounts"]

#: LTD-4: the activity stock port is the flash-stock port.
ActivityStock = FlashStock
#: LTD-2: the per-person counts port is the flash limits port.
PersonCounts = FlashLimitLedger


class LimitedTimeCampaign:
    """A limited-time discount with its stores: ``rule`` prices (it reads the stock and
    the counts), ``submit`` / ``pay`` / ``close_unpaid`` carry a line through an order.

    Construction loads the activity stock (a no-op when it already holds the same
    numbers, so every app server may build its own).
    """

    def __init__(self, discount: LimitedTimeDiscount, *, stock: ActivityStock,
                 counts: PersonCounts, tags_of: TagsOf | None = None) -> None:
        self.discount = discount
        self.stock = stock
        self.counts = counts
        self.rule = LimitedTimeRule(
            discount, self._history if discount.limit is not None else None, tags_of,
            stock=stock)

    @property
    def id(self) -> str:
        return self.discount.id

    def _history(self, activity_id: str, customer_id: str, key: str) -> int:
        return self.counts.used(stock_key(activity_id), customer_id, key)

    # ---------------------------------------------------------------- submission
    def check_order(self, cart: Cart | Iterable[CartLine], buyer: Buyer, now: datetime
                    ) -> None:
        """LTD-2 mode (c): refuse an order past the limit (``LimitReached``)."""
        self.rule.check_order(cart, buyer, now)

    def submit(self, order_number: str, customer_id: str, lines: Iterable[LineAmounts],
               now: datetime) -> list[str]:
        """Use the allowance and reserve the activity stock of the discounted ``lines``
        (all or nothing); returns their references (``<order>/<line>``)."""
        aware(now)
        d = self.discount
        customer_id = identifier(customer_id, "customer id", "LTD-2")
        listed = list(lines)
        if listed and not d.window.is_active(now):
            raise NotAllowed(f"limited-time discount {d.id!r}",
                             f"is not on at {now.isoformat()}", rule="LTD-1")
        done: list[str] = []
        try:
            for line in listed:
                ref = f"{order_number}/{line.line_id}"
                self._hold(customer_id, line, ref)
                done.append(ref)
        except BaseException:
            for ref in done:
                self.close_unpaid(ref)
            raise
        return done

    def _hold(self, customer_id: str, line: LineAmounts, ref: str) -> None:
        d = self.discount
        if d.item_for(line.sku_id) is None:
            raise InvalidInput(f"line {line.line_id!r}",
                               f"SKU {line.sku_id!r} is not in limited-time discount {d.id!r}",
                               rule="LTD-3")
        quantity = whole(line.quantity, f"quantity of line {line.line_id!r}", "LTD-4",
                         minimum=1)
        limit = d.limit
        if limit is not None:
            key = line.product_id if limit.per is LimitPer.PRODUCT else line.sku_id
            try:
                self.counts.use(stock_key(d.id), customer_id, key, quantity, ref,
                                limit=limit.quantity)
            except LimitReached:
                before = self.counts.used(stock_key(d.id), customer_id, key)
                raise LimitReached(
                    f"limited-time discount {d.id!r}, {limit.per} {key!r} for customer "
                    f"{customer_id!r}",
                    f"{quantity} at the discount and {before} bought at it before exceed "
                    f"the limit of {limit.quantity} per person; price the cart again",
                    rule="LTD-2") from None
        try:
            held = self.stock.reserve(stock_key(d.id), line.sku_id, quantity, ref)
        except BaseException:
            self.counts.give_back(ref)
            raise
        if not held:
            self.counts.give_back(ref)
            left = self.stock.remaining(stock_key(d.id), line.sku_id)
            raise LimitReached(
                f"activity stock of SKU {line.sku_id!r} in limited-time discount {d.id!r}",
                f"only {max(left, 0)} left, {quantity} asked; price the cart again",
                rule="LTD-4")

    # ---------------------------------------------------------------- afterwards
    def pay(self, ref: str) -> bool:
        """Paid: reserved → sold, the allowance kept.  False on a repeat."""
        sold = self.stock.confirm(ref)
        if self.discount.limit is not None:
            self.counts.confirm(ref)
        return sold

    def close_unpaid(self, ref: str) -> bool:
        """Closed unpaid: the stock and the allowance go back.  True if stock was released."""
        released = self.stock.release(ref)
        if self.discount.limit is not None:
            self.counts.give_back(ref)
        return released
