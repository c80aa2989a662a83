"""Who is buying, as far as pricing cares (ACT-5, MEM-3, PTS-4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from mallcore.errors import InvalidInput
from mallcore.money import Rate

if TYPE_CHECKING:
    from mallcore.customers.customer import Customer
    from mallcore.customers.membership import LevelLadder


@attrs.frozen
class Buyer:
    customer_id: str | None = None
    level_id: str | None = None
    member_discount: Rate | None = None
    first_order: bool = False
    points_balance: int = 0
    level_name: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.points_balance < 0:
            raise InvalidInput("points balance", "is negative", rule="PTS-4")


GUEST = Buyer()


def buyer_for(
    customer: Customer, ladder: LevelLadder, *, first_order: bool = False, points_balance: int = 0
) -> Buyer:
    """The pricing view of a customer: the discount of the level their record names (MEM-3)."""
    level = ladder.get(customer.level_id)
    return Buyer(customer.id, level.id, level.discount, first_order, points_balance, level.name)
