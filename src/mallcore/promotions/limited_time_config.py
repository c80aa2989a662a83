"""Limited-time discount configuration (LTD-2, LTD-6): the discount, its per-person
limit, and the same-SKU overlap check.  ``mallcore.promotions.limited_time`` is the
front door (it re-exports everything here); the readings are documented there.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from mallcore._convert import frozen
from mallcore.errors import CurrencyMismatch, InvalidConfiguration
from mallcore.guards import identifier, text, whole
from mallcore.pricing.cart import CartLine
from mallcore.promotions.conflicts import find_conflicts
from mallcore.promotions.limited_time_price import LimitedTimeItem, Rounding
from mallcore.promotions.scope import EVERYONE, CustomerScope
from mallcore.promotions.stacking import LIMITED_TIME
from mallcore.promotions.window import Schedule

__all__ = [
    "LimitMode",
    "LimitPer",
    "LimitedTimeDiscount",
    "PersonLimit",
    "Schedule",
    "check_no_conflicts",
    "conflicts",
]


class LimitMode(enum.StrEnum):
    """The three per-person limit modes of LTD-2."""

    ALL_OR_NOTHING = "all_or_nothing"  # (a) up to N at the discount, past N none is
    FIRST_N = "first_n"  # (b) the first N discounted, the rest at the list price
    FIRST_N_ONLY = "first_n_only"  # (c) the first N discounted, no more can be ordered


class LimitPer(enum.StrEnum):
    """What the limit counts: each product (default, 每人每种商品) or each SKU."""

    PRODUCT = "product"
    SKU = "sku"


@attrs.frozen
class PersonLimit:
    """LTD-2: at most ``quantity`` units per person per product (or SKU), in ``mode``."""

    quantity: int
    mode: LimitMode
    per: LimitPer = LimitPer.PRODUCT

    def __attrs_post_init__(self) -> None:
        whole(self.quantity, "per-person limit", "LTD-2", minimum=1,
              error=InvalidConfiguration)
        if not isinstance(self.mode, LimitMode):
            raise InvalidConfiguration("per-person limit", f"{self.mode!r} is not a LimitMode",
                                       rule="LTD-2")
        if not isinstance(self.per, LimitPer):
            raise InvalidConfiguration("per-person limit", f"{self.per!r} is not a LimitPer",
                                       rule="LTD-2")

    def key(self, line: CartLine) -> str:
        return line.product_id if self.per is LimitPer.PRODUCT else line.sku_id

    def describe(self) -> str:
        return {
            LimitMode.ALL_OR_NOTHING: f"up to {self.quantity} per person per {self.per} "
                                      "at the discount, none past that",
            LimitMode.FIRST_N: f"the first {self.quantity} per person per {self.per}",
            LimitMode.FIRST_N_ONLY: f"at most {self.quantity} per person per {self.per}",
        }[self.mode]


def _items(values: Iterable[LimitedTimeItem]) -> tuple[LimitedTimeItem, ...]:
    return tuple(values)


@attrs.frozen
class LimitedTimeDiscount:
    """A limited-time discount (限时折扣) as the merchant configured it."""

    id: str
    name: str
    window: Schedule
    items: tuple[LimitedTimeItem, ...] = attrs.field(converter=_items)
    limit: PersonLimit | None = None
    rounding: Rounding = Rounding.NONE
    customers: CustomerScope = EVERYONE
    customer_tags: frozenset[str] = attrs.field(default=frozenset(), converter=frozen)
    labels: frozenset[str] = attrs.field(default=frozenset(), converter=frozen)
    _by_sku: dict[str, LimitedTimeItem] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        identifier(self.id, "limited-time discount id", "ACT-3", error=InvalidConfiguration)
        refused = f"limited-time discount {self.id!r}"
        text(self.name, f"name of {refused}", "ACT-3", error=InvalidConfiguration)
        if not all(callable(getattr(self.window, m, None)) for m in ("is_active", "overlaps")):
            raise InvalidConfiguration(
                refused, f"window {self.window!r} has no is_active(now) / overlaps(other)",
                rule="LTD-1")
        if not self.items:
            raise InvalidConfiguration(refused, "has no SKU", rule="LTD-3")
        by_sku: dict[str, LimitedTimeItem] = {}
        for item in self.items:
            if not isinstance(item, LimitedTimeItem):
                raise InvalidConfiguration(refused, f"{item!r} is not a LimitedTimeItem",
                                           rule="LTD-3")
            if item.sku_id in by_sku:
                raise InvalidConfiguration(refused, f"SKU {item.sku_id!r} is listed twice",
                                           rule="LTD-6")
            by_sku[item.sku_id] = item
        currencies = {item.currency for item in self.items}
        if len(currencies) > 1:
            raise CurrencyMismatch(refused, f"its SKUs mix currencies {sorted(currencies)}")
        if self.limit is not None and not isinstance(self.limit, PersonLimit):
            raise InvalidConfiguration(refused, f"{self.limit!r} is not a PersonLimit",
                                       rule="LTD-2")
        if not isinstance(self.rounding, Rounding):
            raise InvalidConfiguration(refused, f"{self.rounding!r} is not a Rounding",
                                       rule="LTD-5")
        if not isinstance(self.customers, CustomerScope):
            raise InvalidConfiguration(refused, f"{self.customers!r} is not a CustomerScope",
                                       rule="ACT-5")
        for tag in self.customer_tags | self.labels:
            identifier(tag, f"tag of {refused}", "ACT-5", error=InvalidConfiguration)
        object.__setattr__(self, "_by_sku", by_sku)

    def item_for(self, sku_id: str) -> LimitedTimeItem | None:
        return self._by_sku.get(sku_id)

    @property
    def skus(self) -> frozenset[str]:
        return frozenset(self._by_sku)

    @property
    def kind(self) -> str:
        return LIMITED_TIME.family


# ---------------------------------------------------------------- LTD-6
def conflicts(discounts: Iterable[LimitedTimeDiscount]) -> list[tuple[str, str, str]]:
    """LTD-6: ``(sku, id_a, id_b)`` for every two discounts with a SKU in common whose
    windows overlap; ``id_a`` comes before ``id_b`` in ``discounts``.  Sorted by SKU,
    then by position.  Non-overlapping windows are fine.  Two discounts with one id
    are refused (``InvalidConfiguration``): they could not be told apart.

    The finding is ``promotions.conflicts.find_conflicts``, the one cross-family
    finder (LTD-6 lives there); this is its limited-time view, one row per SKU.
    """
    listed = list(discounts)
    position: dict[str, int] = {}
    for i, d in enumerate(listed):
        if d.id in position:
            raise InvalidConfiguration("limited-time discounts", f"two share the id {d.id!r}",
                                       rule="LTD-6")
        position[d.id] = i
    found: list[tuple[str, int, int]] = []
    for conflict in find_conflicts(listed):
        i, j = sorted((position[conflict.first], position[conflict.second]))
        found += [(sku, i, j) for sku in conflict.skus]
    found.sort()
    return [(sku, listed[i].id, listed[j].id) for sku, i, j in found]


def check_no_conflicts(discounts: Iterable[LimitedTimeDiscount]) -> None:
    """Refuse a set of limited-time discounts with an LTD-6 conflict."""
    found = conflicts(discounts)
    if found:
        sku, a, b = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InvalidConfiguration(
            f"limited-time discounts {a!r} and {b!r}",
            f"both sell SKU {sku!r} in overlapping windows{more}", rule="LTD-6")

