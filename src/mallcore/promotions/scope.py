"""Who and what a promotion covers: products (ACT-4, CPN-1) and customers (ACT-5)."""

from __future__ import annotations

import enum

import attrs

from mallcore._convert import frozen
from mallcore.errors import InvalidConfiguration


@attrs.frozen
class ProductScope:
    """All products, or chosen products, SKUs and categories (any match counts)."""

    products: frozenset[str] = attrs.field(default=frozenset(), converter=frozen)
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=frozen)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=frozen)

    @property
    def everything(self) -> bool:
        return not (self.products or self.skus or self.categories)

    def covers(self, product_id: str, sku_id: str, categories: frozenset[str]) -> bool:
        if not (self.products or self.skus or self.categories):
            return True
        return (
            product_id in self.products
            or sku_id in self.skus
            or not self.categories.isdisjoint(categories)
        )

    def describe(self) -> str:
        if self.everything:
            return "all products"
        parts = []
        for label, ids in (("products", self.products), ("skus", self.skus),
                           ("categories", self.categories)):
            if ids:
                parts.append(f"{label} {', '.join(sorted(ids))}")
        return "; ".join(parts)


ALL_PRODUCTS = ProductScope()


class Audience(enum.Enum):
    """The four audiences of ACT-5."""

    EVERYONE = "everyone"
    LEVELS = "levels"
    CUSTOMERS = "customers"
    FIRST_ORDER = "first_order"


@attrs.frozen
class CustomerScope:
    audience: Audience = Audience.EVERYONE
    ids: frozenset[str] = attrs.field(default=frozenset(), converter=frozen)

    def __attrs_post_init__(self) -> None:
        needs_ids = self.audience in (Audience.LEVELS, Audience.CUSTOMERS)
        if needs_ids and not self.ids:
            raise InvalidConfiguration(
                "customer scope", f"{self.audience.value} needs at least one id", rule="ACT-5"
            )
        if not needs_ids and self.ids:
            raise InvalidConfiguration(
                "customer scope", f"{self.audience.value} takes no ids", rule="ACT-5"
            )

    def admits(self, customer_id: str | None, level_id: str | None, first_order: bool) -> bool:
        audience = self.audience
        if audience is Audience.EVERYONE:
            return True
        if audience is Audience.FIRST_ORDER:
            return first_order
        if audience is Audience.LEVELS:
            return level_id in self.ids
        return customer_id in self.ids

    def describe(self) -> str:
        if self.ids:
            return f"{self.audience.value}: {', '.join(sorted(self.ids))}"
        return self.audience.value


EVERYONE = CustomerScope()
