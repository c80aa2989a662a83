"""Batch edits (CAT-6) as small value objects, applied all-or-nothing.

Edits are data, not callbacks, so a caller can show, log or replay them; a
batch computes every new product first and stores them only if all are valid,
so "decrease stock by 5" on a selection never leaves half the products edited.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from mallcore.catalog.catalog import Catalog
from mallcore.catalog.model import (
    Product,
    Sku,
    _amount,
    _coefficient,
    _optional_label,
    _tuple_of_categories,
)
from mallcore.errors import CurrencyMismatch, InvalidInput
from mallcore.guards import whole
from mallcore.money import Money, from_fen

__all__ = [
    "AddCategories",
    "BatchResult",
    "Decrease",
    "Edit",
    "Field",
    "Increase",
    "PinInOrder",
    "ReplaceCategories",
    "SetBrand",
    "SetField",
    "SetPin",
    "SetShippingTemplate",
    "apply_batch",
]


class Field(enum.Enum):
    """The numeric fields a batch may set, increase or decrease (CAT-6)."""

    PRICE = "price"
    ORIGINAL_PRICE = "original_price"
    STOCK = "stock"
    POINTS_COEFFICIENT = "points_coefficient"


_MONEY_FIELDS = (Field.PRICE, Field.ORIGINAL_PRICE)
FieldValue = Money | int | Decimal


def _check_value(field: Field, value: object, what: str) -> None:
    """A value of the field's own type: Money for prices, int for stock, Decimal for points."""
    if not isinstance(field, Field):
        raise InvalidInput(what, f"{field!r} is not a batch Field", rule="CAT-6")
    if field in _MONEY_FIELDS:
        _amount(value, what, "CAT-6")
    elif field is Field.STOCK:
        whole(value, what, "CAT-6")
    else:
        _coefficient(value, what, "CAT-6")


@attrs.frozen
class SetField:
    """重置: every SKU gets ``value``; ``None`` clears the original price."""

    field: Field
    value: FieldValue | None

    def __attrs_post_init__(self) -> None:
        if self.value is None and self.field is Field.ORIGINAL_PRICE:
            return
        _check_value(self.field, self.value, f"new {getattr(self.field, 'value', self.field)}")


@attrs.frozen
class Increase:
    """增加: add ``amount`` (never negative) to every SKU's field."""

    field: Field
    amount: FieldValue

    def __attrs_post_init__(self) -> None:
        _check_value(self.field, self.amount, "increase")


@attrs.frozen
class Decrease:
    """减少: subtract ``amount``; refused if any SKU would go below zero."""

    field: Field
    amount: FieldValue

    def __attrs_post_init__(self) -> None:
        _check_value(self.field, self.amount, "decrease")


@attrs.frozen
class AddCategories:
    """新增分类: add the categories a product does not have yet."""

    categories: tuple[str, ...] = attrs.field(converter=_tuple_of_categories)


@attrs.frozen
class ReplaceCategories:
    """重置分类: the product's categories become exactly these."""

    categories: tuple[str, ...] = attrs.field(converter=_tuple_of_categories)


@attrs.frozen
class SetBrand:
    brand: str | None = attrs.field()

    @brand.validator
    def _check(self, _: Any, value: object) -> None:
        _optional_label(value, "brand", "CAT-6")


@attrs.frozen
class SetShippingTemplate:
    template: str | None = attrs.field()

    @template.validator
    def _check(self, _: Any, value: object) -> None:
        _optional_label(value, "shipping template", "CAT-6")


@attrs.frozen
class SetPin:
    """Every selected product gets the same pin; ``None`` unpins."""

    pin: int | None = attrs.field()

    @pin.validator
    def _check(self, _: Any, value: object) -> None:
        if value is not None:
            whole(value, "pin", "CAT-6")


@attrs.frozen
class PinInOrder:
    """置顶排序: pin the selection in the order given, from ``start`` upwards."""

    start: int = attrs.field(default=1)

    @start.validator
    def _check(self, _: Any, value: object) -> None:
        whole(value, "first pin", "CAT-6")


Edit = (
    SetField
    | Increase
    | Decrease
    | AddCategories
    | ReplaceCategories
    | SetBrand
    | SetShippingTemplate
    | SetPin
    | PinInOrder
)
_EDIT_TYPES = (
    SetField,
    Increase,
    Decrease,
    AddCategories,
    ReplaceCategories,
    SetBrand,
    SetShippingTemplate,
    SetPin,
    PinInOrder,
)


@attrs.frozen
class BatchResult:
    """The selection before and after, in the order the ids were given."""

    before: tuple[Product, ...]
    after: tuple[Product, ...]

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(product.id for product in self.after)

    @property
    def changed(self) -> tuple[str, ...]:
        """Ids of products the batch actually changed (an edit may be a no-op)."""
        return tuple(new.id for old, new in zip(self.before, self.after, strict=True) if old != new)


def apply_batch(catalog: Catalog, product_ids: Sequence[str], edits: Sequence[Edit]) -> BatchResult:
    """Apply ``edits`` in order to every product of ``product_ids``, or to none."""
    ids = _selection(product_ids)
    edit_list = _edits(edits)
    before = tuple(catalog.get(product_id) for product_id in ids)
    after = []
    for position, original in enumerate(before):
        product = original
        for edit in edit_list:
            product = _apply(product, edit, position)
        after.append(product)
    catalog.replace_all(after)
    return BatchResult(before=before, after=tuple(after))


def _selection(product_ids: Sequence[str]) -> list[str]:
    if isinstance(product_ids, str) or not isinstance(product_ids, Iterable):
        raise InvalidInput(
            "selection", f"{product_ids!r} is not a list of product ids", rule="CAT-6"
        )
    ids = list(product_ids)
    if not ids:
        raise InvalidInput("selection", "no product selected", rule="CAT-6")
    seen: set[str] = set()
    for product_id in ids:
        if product_id in seen:
            raise InvalidInput("selection", f"product {product_id!r} selected twice", rule="CAT-6")
        seen.add(product_id)
    return ids


def _edits(edits: Sequence[Edit]) -> list[Edit]:
    if not isinstance(edits, Iterable):
        raise InvalidInput("edits", f"{edits!r} is not a list of edits", rule="CAT-6")
    edit_list = list(edits)
    if not edit_list:
        raise InvalidInput("edits", "no edit given", rule="CAT-6")
    for edit in edit_list:
        if not isinstance(edit, _EDIT_TYPES):
            raise InvalidInput("edit", f"{edit!r} is not a batch edit", rule="CAT-6")
    return edit_list


def _apply(product: Product, edit: Edit, position: int) -> Product:
    if isinstance(edit, SetField | Increase | Decrease):
        if edit.field is Field.POINTS_COEFFICIENT:
            return _edit_points(product, edit)
        return attrs.evolve(
            product, skus=tuple(_edit_sku(product, sku, edit) for sku in product.skus)
        )
    if isinstance(edit, AddCategories):
        added = tuple(c for c in dict.fromkeys(edit.categories) if c not in product.categories)
        return attrs.evolve(product, categories=product.categories + added)
    if isinstance(edit, ReplaceCategories):
        return attrs.evolve(product, categories=edit.categories)
    if isinstance(edit, SetBrand):
        return attrs.evolve(product, brand=edit.brand)
    if isinstance(edit, SetShippingTemplate):
        return attrs.evolve(product, shipping_template=edit.template)
    if isinstance(edit, SetPin):
        return attrs.evolve(product, pin=edit.pin)
    return attrs.evolve(product, pin=edit.start + position)


def _edit_sku(product: Product, sku: Sku, edit: SetField | Increase | Decrease) -> Sku:
    what = f"{edit.field.value.replace('_', ' ')} of SKU {sku.id!r} of product {product.id!r}"
    new = edit.value if isinstance(edit, SetField) else edit.amount
    down = isinstance(edit, Decrease)
    if edit.field is Field.STOCK:
        assert isinstance(new, int)
        stock = new if isinstance(edit, SetField) else _shift_int(sku.stock, new, down, what)
        return attrs.evolve(sku, stock=stock)
    assert new is None or isinstance(new, Money)
    if new is not None and new.currency.code != product.currency:
        raise CurrencyMismatch(
            what,
            f"{new.currency.code} given, the product is in {product.currency}",
            rule="CAT-6",
        )
    current = sku.price if edit.field is Field.PRICE else sku.original_price
    if not isinstance(edit, SetField):
        assert new is not None
        if current is None:
            raise InvalidInput(
                what, "is not set, so it cannot be increased or decreased", rule="CAT-6"
            )
        new = _shift_money(current, new, down, what)
    if edit.field is Field.PRICE:
        assert new is not None
        return attrs.evolve(sku, price=new)
    return attrs.evolve(sku, original_price=new)


def _edit_points(product: Product, edit: SetField | Increase | Decrease) -> Product:
    """Points move the product's coefficient and every SKU override by the same step.

    Setting resets the overrides, so every SKU then earns at the new coefficient.
    """
    step = edit.value if isinstance(edit, SetField) else edit.amount
    assert isinstance(step, Decimal)
    if isinstance(edit, SetField):
        skus = tuple(attrs.evolve(sku, points_coefficient=None) for sku in product.skus)
        return attrs.evolve(product, points_coefficient=step, skus=skus)
    down = isinstance(edit, Decrease)
    coefficient = _shift_decimal(
        product.points_coefficient, step, down, f"points coefficient of product {product.id!r}"
    )
    skus = tuple(
        sku
        if sku.points_coefficient is None
        else attrs.evolve(
            sku,
            points_coefficient=_shift_decimal(
                sku.points_coefficient,
                step,
                down,
                f"points coefficient of SKU {sku.id!r} of product {product.id!r}",
            ),
        )
        for sku in product.skus
    )
    return attrs.evolve(product, points_coefficient=coefficient, skus=skus)


def _below_zero(what: str, current: object, step: object) -> InvalidInput:
    return InvalidInput(
        what, f"decreasing {current} by {step} would make it negative", rule="CAT-6"
    )


def _shift_money(current: Money, step: Money, down: bool, what: str) -> Money:
    """Exact fen arithmetic: increase then decrease by the same step restores the price."""
    code = current.currency.code
    fen = _amount(current, what, "CAT-6") + (-1 if down else 1) * _amount(step, what, "CAT-6")
    if fen < 0:
        raise _below_zero(what, f"{current.amount} {code}", f"{step.amount} {code}")
    return from_fen(fen, code)


def _shift_int(current: int, step: int, down: bool, what: str) -> int:
    new = current - step if down else current + step
    if new < 0:
        raise _below_zero(what, current, step)
    return new


def _shift_decimal(current: Decimal, step: Decimal, down: bool, what: str) -> Decimal:
    new = current - step if down else current + step
    if new < 0:
        raise _below_zero(what, current, step)
    return new
