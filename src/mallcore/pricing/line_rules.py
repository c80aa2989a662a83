"""The stage-1 plug-in point for activity prices (flash sale, limited-time, pre-sale).

A ``LinePriceRule`` looks at one line and either prices it (a new line amount
plus the ``Stacking`` that says which later benefits it may still join), says
why it could not (``LineSkip``), or ignores the line (``None``).  The pipeline
never needs to know which family a rule belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from mallcore.errors import NotAllowed
from mallcore.pricing.buyer import Buyer
from mallcore.pricing.cart import CartLine
from mallcore.pricing.reasons import SkipReason
from mallcore.promotions.stacking import Stacking


@attrs.frozen
class LinePrice:
    """A line's price from a rule.

    ``amount_fen`` is always the whole line.  ``units``, when set below the line's
    quantity, says only that many units take the activity price and its
    ``stacking``; the others stay at the list price as regular units (LTD-2 mode
    (b)), and the pipeline splits the line in two so that coupons and activities
    can still reach the regular units.
    """

    amount_fen: int  # the whole line, so "first N discounted" modes fit (LTD-2)
    stacking: Stacking
    detail: str = ""
    units: int | None = None


@attrs.frozen
class LineSkip:
    reason: SkipReason
    detail: str = ""


class LinePriceRule(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def price_line(
        self, line: CartLine, buyer: Buyer, now: datetime
    ) -> LinePrice | LineSkip | None: ...


def price_lines(
    rule: LinePriceRule, lines: Sequence[CartLine], buyer: Buyer, now: datetime
) -> Sequence[LinePrice | LineSkip | None]:
    """Every line's outcome from ``rule``, one per line.

    A rule whose judgement spans lines (a per-customer limit or a stock counted
    over the cart's lines of one SKU, FS-2 / FS-5) may offer ``price_lines(lines,
    buyer, now)`` and sees the whole cart; any other is asked line by line.
    """
    whole_cart = getattr(rule, "price_lines", None)
    if whole_cart is None:
        return [rule.price_line(line, buyer, now) for line in lines]
    outcomes: Sequence[LinePrice | LineSkip | None] = whole_cart(lines, buyer, now)
    if len(outcomes) != len(lines):
        raise NotAllowed(f"line prices from {rule.id!r}",
                         f"{len(outcomes)} outcomes for {len(lines)} lines", rule="PIPE-1")
    return outcomes
