"""The stage-1 plug-in point for activity prices (flash sale, limited-time, pre-sale).

A ``LinePriceRule`` looks at one line and either prices it (a new line amount
plus the ``Stacking`` that says which later benefits it may still join), says
why it could not (``LineSkip``), or ignores the line (``None``).  The pipeline
never needs to know which family a rule belongs to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import attrs

from mallcore.pricing.buyer import Buyer
from mallcore.pricing.cart import CartLine
from mallcore.pricing.reasons import SkipReason
from mallcore.promotions.stacking import Stacking


@attrs.frozen
class LinePrice:
    amount_fen: int  # the whole line, so "first N discounted" modes fit (LTD-2)
    stacking: Stacking
    detail: str = ""


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
