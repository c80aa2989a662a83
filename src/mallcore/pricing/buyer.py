"""Who is buying, as far as pricing cares (ACT-5, MEM-3, PTS-4)."""

from __future__ import annotations

import attrs

from mallcore.errors import InvalidInput
from mallcore.money import Rate


@attrs.frozen
class Buyer:
    customer_id: str | None = None
    level_id: str | None = None
    member_discount: Rate | None = None
    first_order: bool = False
    points_balance: int = 0

    def __attrs_post_init__(self) -> None:
        if self.points_balance < 0:
            raise InvalidInput("points balance", "is negative", rule="PTS-4")


GUEST = Buyer()
