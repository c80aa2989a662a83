"""What the buyer wants to buy, as the pipeline sees it: lines and a shipping fee."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from mallcore.errors import CurrencyMismatch, InvalidInput
from mallcore.money import DEFAULT_CURRENCY, Money, from_fen, to_fen

if TYPE_CHECKING:
    from mallcore.catalog import Catalog


def _frozen(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen
class CartLine:
    """One SKU at a unit price.  ``line_id`` defaults to the SKU and keys allocations."""

    sku_id: str
    product_id: str
    quantity: int
    unit_price: Money
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen)
    line_id: str = attrs.field(default=attrs.Factory(lambda self: self.sku_id, takes_self=True))
    unit_fen: int = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.line_id or not self.sku_id:
            raise InvalidInput("cart line", "needs a SKU and a non-empty line id")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InvalidInput(f"line {self.line_id!r}", "quantity must be a whole number")
        if self.quantity < 1:
            raise InvalidInput(f"line {self.line_id!r}", f"quantity {self.quantity} is below 1")
        fen = to_fen(self.unit_price, self.unit_price.currency.code, what=f"price of {self.sku_id}")
        if fen < 0:
            raise InvalidInput(f"price of {self.sku_id!r}", "is negative", rule="CAT-3")
        object.__setattr__(self, "unit_fen", fen)

    @property
    def currency(self) -> str:
        return str(self.unit_price.currency.code)

    @property
    def amount_fen(self) -> int:
        return self.unit_fen * self.quantity


def _lines(values: Iterable[CartLine]) -> tuple[CartLine, ...]:
    return tuple(values)


def _zero_shipping() -> Money:
    return from_fen(0, DEFAULT_CURRENCY)


@attrs.frozen
class Cart:
    """Lines, a shipping fee charged after stage 1 (PIPE-1), and where it goes."""

    lines: tuple[CartLine, ...] = attrs.field(converter=_lines)
    shipping: Money = attrs.field(factory=_zero_shipping)
    region: str | None = None
    delivery_method: str = "express"
    shipping_fen: int = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.lines:
            raise InvalidInput("cart", "has no lines")
        currency = self.lines[0].currency
        seen: set[str] = set()
        for line in self.lines:
            if line.currency != currency:
                raise CurrencyMismatch(
                    f"line {line.line_id!r}",
                    f"priced in {line.currency}, the cart is in {currency}",
                )
            if line.line_id in seen:
                raise InvalidInput(f"line {line.line_id!r}", "appears twice in the cart")
            seen.add(line.line_id)
        fen = to_fen(self.shipping, currency, what="shipping")
        if fen < 0:
            raise InvalidInput("shipping", "is negative")
        object.__setattr__(self, "shipping_fen", fen)

    @property
    def currency(self) -> str:
        return self.lines[0].currency

    @classmethod
    def from_catalog(
        cls,
        catalog: Catalog,
        items: Iterable[tuple[str, int]],
        *,
        shipping: Money | None = None,
        region: str | None = None,
        delivery_method: str = "express",
    ) -> Cart:
        """Build lines from SKU ids and quantities at the catalogue's current prices."""
        lines = []
        for sku_id, quantity in items:
            product, sku = catalog.find_sku(sku_id)
            lines.append(CartLine(
                sku_id=sku.id,
                product_id=product.id,
                quantity=quantity,
                unit_price=sku.price,
                categories=frozenset(product.categories),
            ))
        currency = lines[0].currency if lines else DEFAULT_CURRENCY
        return cls(
            lines,
            shipping if shipping is not None else from_fen(0, currency),
            region,
            delivery_method,
        )
