"""Products and SKUs as immutable values (CAT-1, CAT-2, CAT-3, ORD-9, PTS-1).

Values are frozen so an order line, a promotion or a batch edit can hold a
product without it changing underneath; edits go through ``attrs.evolve``,
which re-runs every validator, so an invalid product can never exist.
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from types import MappingProxyType
from typing import Any

import attrs

from mallcore.errors import InvalidInput, MallcoreError, NotFound
from mallcore.guards import identifier, whole
from mallcore.money import Money, to_fen

__all__ = [
    "MAX_CATEGORIES",
    "MAX_NAME_LENGTH",
    "MAX_SLUG_LENGTH",
    "MAX_SUMMARY_LENGTH",
    "Product",
    "ProductKind",
    "Sku",
    "StockStrategy",
    "make_slug",
]

MAX_NAME_LENGTH = 100
MAX_SUMMARY_LENGTH = 200
MAX_CATEGORIES = 10
MAX_SLUG_LENGTH = 100
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class ProductKind(enum.Enum):
    """CAT-1: whether the order needs shipping at all."""

    PHYSICAL = "physical"
    VIRTUAL = "virtual"

    @property
    def needs_shipping(self) -> bool:
        return self is ProductKind.PHYSICAL


class StockStrategy(enum.Enum):
    """ORD-9: when stock is taken; a per-product choice between two risks.

    AT_ORDER lets unpaid orders hoard stock; AT_PAYMENT risks overselling, so
    payment must re-check stock.
    """

    AT_ORDER = "at_order"
    AT_PAYMENT = "at_payment"


# --- shared checks ---------------------------------------------------------------


def _optional_label(value: object, what: str, rule: str) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidInput(what, f"{value!r} must be a non-blank text or None", rule=rule)


def _amount(value: object, what: str, rule: str) -> int:
    """Exact, non-negative fen of a Money; floats and other types never pass."""
    if not isinstance(value, Money):
        raise InvalidInput(
            what, f"{value!r} is not Money; build it with mallcore.money.money()", rule=rule
        )
    try:
        fen = to_fen(value, value.currency.code, what=what)
    except MallcoreError as exc:
        raise InvalidInput(what, exc.reason, rule=rule) from exc
    if fen < 0:
        raise InvalidInput(what, f"{value.amount} is negative", rule=rule)
    return fen


def _coefficient(value: object, what: str, rule: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(
            what, f"{value!r} is not a finite Decimal (floats are refused)", rule=rule
        )
    if value < 0:
        raise InvalidInput(what, f"{value} is negative", rule=rule)


# --- slugs -----------------------------------------------------------------------


def _ascii_slug(text: str) -> str | None:
    """Slug of ``text`` if it is ASCII once accents are removed, else None.

    Dropping CJK characters would turn "iPhone 手机壳" and "iPhone 充电器" into
    the same slug; refusing to guess keeps generated slugs distinct.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if not plain.isascii():
        return None
    slug = _NOT_SLUG.sub("-", plain.lower()).strip("-")
    slug = slug[:MAX_SLUG_LENGTH].rstrip("-")
    return slug or None


def make_slug(name: str, product_id: str) -> str:
    """A deterministic URL slug (CAT-2): from the name, else the id, else a digest.

    Non-ASCII names fall back to the product id; an id that gives no ASCII slug
    either falls back to ``p-`` plus a digest of the id, so the result depends
    on the inputs only, never on what the catalogue already holds.
    """
    for text in (name, product_id):
        if isinstance(text, str):
            slug = _ascii_slug(text)
            if slug is not None:
                return slug
    digest = hashlib.sha256(str(product_id).encode("utf-8")).hexdigest()[:12]
    return f"p-{digest}"


# --- SKU -------------------------------------------------------------------------


def _freeze_attributes(
    value: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    """Sorted pairs: hashable, and equal whatever order the caller gave."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput("SKU attributes", f"{value!r} is not a mapping", rule="CAT-3")
    pairs = list(value.items()) if isinstance(value, Mapping) else list(value)
    seen: set[str] = set()
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise InvalidInput(
                "SKU attributes", f"{pair!r} is not a (name, value) pair", rule="CAT-3"
            )
        key, text = pair
        if not isinstance(key, str) or not key.strip() or not isinstance(text, str):
            raise InvalidInput(
                "SKU attributes", f"{pair!r} must be a (name, value) of texts", rule="CAT-3"
            )
        if key in seen:
            raise InvalidInput("SKU attributes", f"attribute {key!r} given twice", rule="CAT-3")
        seen.add(key)
    return tuple(sorted(pairs))


@attrs.frozen(kw_only=True)
class Sku:
    """CAT-3: one sellable variant with its own price, stock and alert."""

    id: str = attrs.field()
    price: Money = attrs.field()
    original_price: Money | None = attrs.field(default=None)
    stock: int = attrs.field(default=0)
    low_stock_alert: int = attrs.field(default=0)
    points_coefficient: Decimal | None = attrs.field(default=None)
    attributes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_freeze_attributes)

    @id.validator
    def _check_id(self, _: Any, value: object) -> None:
        identifier(value, "SKU id", "CAT-3")

    @price.validator
    def _check_price(self, _: Any, value: object) -> None:
        _amount(value, f"price of SKU {self.id!r}", "CAT-3")

    @original_price.validator
    def _check_original(self, _: Any, value: object) -> None:
        if value is None:
            return
        _amount(value, f"original price of SKU {self.id!r}", "CAT-3")
        if isinstance(value, Money) and value.currency != self.price.currency:
            raise InvalidInput(
                f"original price of SKU {self.id!r}",
                f"{value.currency.code} differs from the price's {self.price.currency.code}",
                rule="CAT-3",
            )

    @stock.validator
    def _check_stock(self, _: Any, value: object) -> None:
        whole(value, f"stock of SKU {self.id!r}", "CAT-3")

    @low_stock_alert.validator
    def _check_alert(self, _: Any, value: object) -> None:
        whole(value, f"low-stock alert of SKU {self.id!r}", "CAT-3")

    @points_coefficient.validator
    def _check_points(self, _: Any, value: object) -> None:
        if value is not None:
            _coefficient(value, f"points coefficient of SKU {self.id!r}", "CAT-3")

    @property
    def currency(self) -> str:
        return self.price.currency.code

    @property
    def price_fen(self) -> int:
        return to_fen(self.price, self.currency)

    @property
    def attribute_map(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self.attributes))

    @property
    def is_low_on_stock(self) -> bool:
        """At or below the alert: a sold-out SKU with alert 0 still needs restocking."""
        return self.stock <= self.low_stock_alert


# --- Product ---------------------------------------------------------------------


def _tuple_of_skus(value: Iterable[Sku]) -> tuple[Sku, ...]:
    if isinstance(value, Sku):
        return (value,)
    if not isinstance(value, Iterable):
        raise InvalidInput("SKUs", f"{value!r} is not a sequence of SKUs", rule="CAT-3")
    return tuple(value)


def _tuple_of_categories(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(
            "categories", f"{value!r} is not a sequence of category names", rule="CAT-2"
        )
    return tuple(value)


def _default_slug(product: Product) -> str:
    return make_slug(product.name, product.id)


@attrs.frozen(kw_only=True)
class Product:
    """CAT-1..3, ORD-9, PTS-1: what a merchant sells, with its SKUs.

    ``slug`` defaults to one generated from the name (see ``make_slug``);
    ``pin`` is the position among pinned products (lower first, CAT-6).
    """

    id: str = attrs.field()
    kind: ProductKind = attrs.field(default=ProductKind.PHYSICAL)
    name: str = attrs.field()
    slug: str = attrs.field(default=attrs.Factory(_default_slug, takes_self=True))
    skus: tuple[Sku, ...] = attrs.field(converter=_tuple_of_skus)
    summary: str = attrs.field(default="")
    categories: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_categories)
    brand: str | None = attrs.field(default=None)
    shipping_template: str | None = attrs.field(default=None)
    on_shelf: bool = attrs.field(default=False)
    stock_strategy: StockStrategy = attrs.field(default=StockStrategy.AT_ORDER)
    points_coefficient: Decimal = attrs.field(default=Decimal(0))
    pin: int | None = attrs.field(default=None)

    @id.validator
    def _check_id(self, _: Any, value: object) -> None:
        identifier(value, "product id", "CAT-2")

    @kind.validator
    def _check_kind(self, _: Any, value: object) -> None:
        if not isinstance(value, ProductKind):
            raise InvalidInput(
                f"kind of product {self.id!r}", f"{value!r} is not a ProductKind", rule="CAT-1"
            )

    @name.validator
    def _check_name(self, _: Any, value: object) -> None:
        what = f"name of product {self.id!r}"
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(what, "is blank", rule="CAT-2")
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidInput(
                what, f"has {len(value)} characters, at most {MAX_NAME_LENGTH}", rule="CAT-2"
            )

    @slug.validator
    def _check_slug(self, _: Any, value: object) -> None:
        what = f"slug of product {self.id!r}"
        if not isinstance(value, str) or not _SLUG.fullmatch(value):
            raise InvalidInput(
                what,
                f"{value!r} is not lowercase ASCII letters and digits joined by single hyphens",
                rule="CAT-2",
            )
        if len(value) > MAX_SLUG_LENGTH:
            raise InvalidInput(
                what, f"has {len(value)} characters, at most {MAX_SLUG_LENGTH}", rule="CAT-2"
            )

    @skus.validator
    def _check_skus(self, _: Any, value: tuple[object, ...]) -> None:
        what = f"SKUs of product {self.id!r}"
        if not value:
            raise InvalidInput(what, "a product needs at least one SKU", rule="CAT-3")
        ids: set[str] = set()
        combos: set[tuple[tuple[str, str], ...]] = set()
        for sku in value:
            if not isinstance(sku, Sku):
                raise InvalidInput(what, f"{sku!r} is not a Sku", rule="CAT-3")
            if sku.id in ids:
                raise InvalidInput(what, f"SKU id {sku.id!r} is used twice", rule="CAT-3")
            ids.add(sku.id)
            if len(value) > 1 and sku.attributes in combos:
                raise InvalidInput(
                    what, f"two SKUs share the attributes {dict(sku.attributes)!r}", rule="CAT-3"
                )
            combos.add(sku.attributes)
        currencies = {sku.currency for sku in value if isinstance(sku, Sku)}
        if len(currencies) > 1:
            raise InvalidInput(what, f"mix currencies {sorted(currencies)}", rule="CAT-3")

    @summary.validator
    def _check_summary(self, _: Any, value: object) -> None:
        what = f"summary of product {self.id!r}"
        if not isinstance(value, str):
            raise InvalidInput(what, f"{value!r} is not text", rule="CAT-2")
        if len(value) > MAX_SUMMARY_LENGTH:
            raise InvalidInput(
                what, f"has {len(value)} characters, at most {MAX_SUMMARY_LENGTH}", rule="CAT-2"
            )

    @categories.validator
    def _check_categories(self, _: Any, value: tuple[object, ...]) -> None:
        what = f"categories of product {self.id!r}"
        if len(value) > MAX_CATEGORIES:
            raise InvalidInput(what, f"{len(value)} given, at most {MAX_CATEGORIES}", rule="CAT-2")
        seen: set[str] = set()
        for category in value:
            if not isinstance(category, str) or not category.strip():
                raise InvalidInput(what, f"{category!r} is not a category name", rule="CAT-2")
            if category in seen:
                raise InvalidInput(what, f"{category!r} is listed twice", rule="CAT-2")
            seen.add(category)

    @brand.validator
    def _check_brand(self, _: Any, value: object) -> None:
        _optional_label(value, f"brand of product {self.id!r}", "CAT-2")

    @shipping_template.validator
    def _check_template(self, _: Any, value: object) -> None:
        _optional_label(value, f"shipping template of product {self.id!r}", "CAT-2")

    @on_shelf.validator
    def _check_shelf(self, _: Any, value: object) -> None:
        if not isinstance(value, bool):
            raise InvalidInput(
                f"shelf state of product {self.id!r}", f"{value!r} is not a bool", rule="CAT-4"
            )

    @stock_strategy.validator
    def _check_strategy(self, _: Any, value: object) -> None:
        if not isinstance(value, StockStrategy):
            raise InvalidInput(
                f"stock strategy of product {self.id!r}",
                f"{value!r} is not a StockStrategy",
                rule="ORD-9",
            )

    @points_coefficient.validator
    def _check_points(self, _: Any, value: object) -> None:
        _coefficient(value, f"points coefficient of product {self.id!r}", "CAT-3")

    @pin.validator
    def _check_pin(self, _: Any, value: object) -> None:
        if value is not None:
            whole(value, f"pin of product {self.id!r}", "CAT-6")

    def __attrs_post_init__(self) -> None:
        if not self.kind.needs_shipping and self.shipping_template is not None:
            raise InvalidInput(
                f"shipping template of product {self.id!r}",
                "a virtual product ships nothing, so it takes no shipping template",
                rule="CAT-1",
            )

    @property
    def needs_shipping(self) -> bool:
        return self.kind.needs_shipping

    @property
    def currency(self) -> str:
        return self.skus[0].currency

    @property
    def total_stock(self) -> int:
        return sum(sku.stock for sku in self.skus)

    def sku(self, sku_id: str) -> Sku:
        for sku in self.skus:
            if sku.id == sku_id:
                return sku
        raise NotFound(f"SKU {sku_id!r}", f"not a SKU of product {self.id!r}", rule="CAT-3")

    def with_sku(self, sku: Sku) -> Product:
        """The product with ``sku`` replacing the SKU of the same id."""
        self.sku(sku.id)
        return attrs.evolve(self, skus=tuple(sku if s.id == sku.id else s for s in self.skus))

    def coefficient_for(self, sku: Sku) -> Decimal:
        """PTS-1: a SKU's own coefficient overrides the product's."""
        if sku.points_coefficient is not None:
            return sku.points_coefficient
        return self.points_coefficient

    def list_points(self, sku: Sku, quantity: int = 1) -> int:
        """PTS-1: points earned = list price (yuan) × coefficient × quantity, fractions dropped.

        The list price is the SKU's selling price before any discount, not what
        the buyer ends up paying.
        """
        whole(quantity, "quantity", "CAT-3")
        earned = Decimal(sku.price_fen) * self.coefficient_for(sku) * quantity / 100
        return int(earned.to_integral_value(rounding=ROUND_DOWN))
