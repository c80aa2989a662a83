"""Batch edits (CAT-6): each edit kind, and all-or-nothing refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.catalog import (
    AddCategories,
    Catalog,
    Decrease,
    Field,
    Increase,
    PinInOrder,
    Product,
    ProductKind,
    ReplaceCategories,
    SetBrand,
    SetField,
    SetPin,
    SetShippingTemplate,
    Sku,
    apply_batch,
)
from mallcore.errors import CurrencyMismatch, InvalidInput, NotFound
from mallcore.money import from_fen, money


def make(pid: str, *prices: str, stock: int = 10, **kw: object) -> Product:
    skus = tuple(
        Sku(id=f"{pid}-{i}", price=money(p), stock=stock, attributes={"n": str(i)})
        for i, p in enumerate(prices or ("10.00",))
    )
    fields: dict[str, object] = {"id": pid, "name": f"Product {pid}", "skus": skus}
    fields.update(kw)
    return Product(**fields)  # type: ignore[arg-type]


def prices(catalog: Catalog, pid: str) -> list[str]:
    return [str(s.price.amount) for s in catalog.get(pid).skus]


def snapshot(catalog: Catalog) -> list[Product]:
    return list(catalog.products())


# --- prices, original prices, stock ----------------------------------------------


def test_set_increase_and_decrease_price_on_every_sku() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", "10.00", "12.50"), make("b", "3.00")])
    apply_batch(catalog, ["a", "b"], [Increase(Field.PRICE, money("1.05"))])
    assert prices(catalog, "a") == ["11.05", "13.55"]
    assert prices(catalog, "b") == ["4.05"]
    apply_batch(catalog, ["a"], [Decrease(Field.PRICE, money("0.05"))])
    assert prices(catalog, "a") == ["11.00", "13.50"]
    apply_batch(catalog, ["a", "b"], [SetField(Field.PRICE, money("9.90"))])
    assert prices(catalog, "a") == ["9.90", "9.90"] and prices(catalog, "b") == ["9.90"]
    # the SKU index serves the new prices to pricing
    assert catalog.find_sku("a-1")[1].price == money("9.90")


def test_decreasing_a_price_below_zero_changes_nothing() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", "10.00"), make("b", "5.00", "0.50")])
    before = snapshot(catalog)
    with pytest.raises(InvalidInput) as exc:
        apply_batch(catalog, ["a", "b"], [Decrease(Field.PRICE, money("1.00"))])
    assert exc.value.rule == "CAT-6"
    assert "SKU 'b-1'" in str(exc.value) and "product 'b'" in str(exc.value)
    assert "negative" in str(exc.value)
    assert snapshot(catalog) == before  # product a, valid on its own, is untouched too


def test_decreasing_stock_below_zero_changes_nothing() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", stock=5), make("b", stock=2)])
    before = snapshot(catalog)
    with pytest.raises(InvalidInput) as exc:
        apply_batch(catalog, ["a", "b"], [Decrease(Field.STOCK, 3)])
    assert exc.value.rule == "CAT-6"
    assert "stock of SKU 'b-0' of product 'b'" in str(exc.value)
    assert snapshot(catalog) == before


def test_set_increase_decrease_stock() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", "1", "2", stock=5)])
    apply_batch(catalog, ["a"], [Increase(Field.STOCK, 3)])
    assert [s.stock for s in catalog.get("a").skus] == [8, 8]
    apply_batch(catalog, ["a"], [Decrease(Field.STOCK, 8)])
    assert [s.stock for s in catalog.get("a").skus] == [0, 0]
    apply_batch(catalog, ["a"], [SetField(Field.STOCK, 20)])
    assert catalog.get("a").total_stock == 40


def test_original_price_set_shift_and_clear() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", "10.00")])
    apply_batch(catalog, ["a"], [SetField(Field.ORIGINAL_PRICE, money("15.00"))])
    apply_batch(catalog, ["a"], [Increase(Field.ORIGINAL_PRICE, money("0.99"))])
    assert catalog.get("a").skus[0].original_price == money("15.99")
    apply_batch(catalog, ["a"], [SetField(Field.ORIGINAL_PRICE, None)])
    assert catalog.get("a").skus[0].original_price is None


def test_shifting_a_missing_original_price_is_refused() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a")])
    with pytest.raises(InvalidInput) as exc:
        apply_batch(catalog, ["a"], [Increase(Field.ORIGINAL_PRICE, money("1"))])
    assert exc.value.rule == "CAT-6" and "original price of SKU 'a-0'" in str(exc.value)
    assert catalog.get("a").skus[0].original_price is None


def test_price_edits_take_money_never_floats_or_negatives() -> None:
    # RULES: CAT-6
    with pytest.raises(InvalidInput) as exc:
        Increase(Field.PRICE, 1.5)  # type: ignore[arg-type]
    assert exc.value.rule == "CAT-6"
    with pytest.raises(InvalidInput):
        SetField(Field.PRICE, 9)
    with pytest.raises(InvalidInput):
        SetField(Field.PRICE, money("-1"))
    with pytest.raises(InvalidInput):
        Decrease(Field.PRICE, money("-1"))
    with pytest.raises(InvalidInput):
        SetField(Field.PRICE, None)
    with pytest.raises(InvalidInput):
        Increase(Field.STOCK, -1)
    with pytest.raises(InvalidInput):
        Increase(Field.STOCK, 1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Increase(Field.POINTS_COEFFICIENT, 0.1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Increase("price", money("1"))  # type: ignore[arg-type]


def test_price_edit_in_another_currency_is_refused() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a")])
    before = snapshot(catalog)
    with pytest.raises(CurrencyMismatch) as exc:
        apply_batch(catalog, ["a"], [Increase(Field.PRICE, money("1", "USD"))])
    assert exc.value.rule == "CAT-6"
    with pytest.raises(CurrencyMismatch):
        apply_batch(catalog, ["a"], [SetField(Field.PRICE, money("1", "USD"))])
    assert snapshot(catalog) == before


# --- points -------------------------------------------------------------------------


def test_points_edits_move_the_product_and_every_override() -> None:
    # RULES: CAT-6, PTS-1
    skus = (
        Sku(id="a-0", price=money("1"), attributes={"n": "0"}),
        Sku(id="a-1", price=money("1"), attributes={"n": "1"}, points_coefficient=Decimal("2")),
    )
    catalog = Catalog([Product(id="a", name="A", skus=skus, points_coefficient=Decimal("1"))])
    apply_batch(catalog, ["a"], [Increase(Field.POINTS_COEFFICIENT, Decimal("0.5"))])
    p = catalog.get("a")
    assert [p.coefficient_for(s) for s in p.skus] == [Decimal("1.5"), Decimal("2.5")]
    apply_batch(catalog, ["a"], [Decrease(Field.POINTS_COEFFICIENT, Decimal("1.5"))])
    p = catalog.get("a")
    assert [p.coefficient_for(s) for s in p.skus] == [Decimal("0"), Decimal("1.0")]
    apply_batch(catalog, ["a"], [SetField(Field.POINTS_COEFFICIENT, Decimal("3"))])
    p = catalog.get("a")
    assert [s.points_coefficient for s in p.skus] == [None, None]
    assert p.points_coefficient == Decimal("3")


def test_decreasing_points_below_zero_is_refused() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", points_coefficient=Decimal("0.2"))])
    with pytest.raises(InvalidInput) as exc:
        apply_batch(catalog, ["a"], [Decrease(Field.POINTS_COEFFICIENT, Decimal("0.3"))])
    assert exc.value.rule == "CAT-6" and "product 'a'" in str(exc.value)
    assert catalog.get("a").points_coefficient == Decimal("0.2")


# --- categories, brand, template, pin ----------------------------------------------


def test_add_categories_keeps_existing_and_skips_ones_already_there() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", categories=("tea", "green")), make("b")])
    apply_batch(catalog, ["a", "b"], [AddCategories(["green", "gift", "gift"])])
    assert catalog.get("a").categories == ("tea", "green", "gift")
    assert catalog.get("b").categories == ("green", "gift")


def test_replace_categories() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", categories=("tea", "green"))])
    apply_batch(catalog, ["a"], [ReplaceCategories(["coffee"])])
    assert catalog.get("a").categories == ("coffee",)


def test_adding_categories_past_ten_changes_nothing() -> None:
    # RULES: CAT-6, CAT-2
    catalog = Catalog([make("a"), make("b", categories=tuple(f"c{i}" for i in range(9)))])
    before = snapshot(catalog)
    with pytest.raises(InvalidInput) as exc:
        apply_batch(catalog, ["a", "b"], [AddCategories(["x", "y"])])
    assert exc.value.rule == "CAT-2" and "product 'b'" in str(exc.value)
    assert snapshot(catalog) == before


def test_brand_and_shipping_template() -> None:
    # RULES: CAT-6, CAT-2
    catalog = Catalog([make("a"), make("b")])
    apply_batch(catalog, ["a", "b"], [SetBrand("Lipton"), SetShippingTemplate("express")])
    assert {p.brand for p in catalog.products()} == {"Lipton"}
    assert {p.shipping_template for p in catalog.products()} == {"express"}
    apply_batch(catalog, ["b"], [SetBrand(None)])
    assert catalog.get("b").brand is None
    with pytest.raises(InvalidInput):
        SetBrand("")


def test_shipping_template_on_a_virtual_product_refuses_the_whole_batch() -> None:
    # RULES: CAT-6, CAT-1
    catalog = Catalog([make("a"), make("v", kind=ProductKind.VIRTUAL)])
    before = snapshot(catalog)
    with pytest.raises(InvalidInput) as exc:
        apply_batch(catalog, ["a", "v"], [SetShippingTemplate("express")])
    assert exc.value.rule == "CAT-1" and "'v'" in str(exc.value)
    assert snapshot(catalog) == before


def test_pin_in_selection_order_drives_the_shelf() -> None:
    # RULES: CAT-6
    catalog = Catalog([make(pid, on_shelf=True) for pid in "abcd"])
    result = apply_batch(catalog, ["c", "a"], [PinInOrder()])
    assert [p.pin for p in result.after] == [1, 2]
    assert [p.id for p in catalog.shelf()] == ["c", "a", "b", "d"]
    apply_batch(catalog, ["c"], [SetPin(None)])
    assert [p.id for p in catalog.shelf()] == ["a", "b", "c", "d"]
    apply_batch(catalog, ["d"], [SetPin(0)])
    assert catalog.shelf()[0].id == "d"


# --- selection and result ------------------------------------------------------------


def test_unknown_product_in_the_selection_changes_nothing() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a")])
    before = snapshot(catalog)
    with pytest.raises(NotFound):
        apply_batch(catalog, ["a", "ghost"], [SetBrand("Lipton")])
    assert snapshot(catalog) == before


@pytest.mark.parametrize(
    ("ids", "edits"),
    [
        ([], [SetBrand("x")]),
        (["a", "a"], [SetBrand("x")]),
        ("a", [SetBrand("x")]),
        (["a"], []),
        (["a"], ["brand=x"]),
    ],
)
def test_malformed_batches_are_refused(ids: list[str], edits: list[object]) -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a")])
    before = snapshot(catalog)
    with pytest.raises(InvalidInput) as exc:
        apply_batch(catalog, ids, edits)  # type: ignore[arg-type]
    assert exc.value.rule == "CAT-6"
    assert snapshot(catalog) == before


def test_result_reports_before_after_and_what_changed() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a"), make("b", brand="Lipton")])
    result = apply_batch(catalog, ["a", "b"], [SetBrand("Lipton")])
    assert result.product_ids == ("a", "b")
    assert result.changed == ("a",)
    assert result.before[0].brand is None and result.after[0].brand == "Lipton"


def test_edits_apply_in_order() -> None:
    # RULES: CAT-6
    catalog = Catalog([make("a", "10.00")])
    apply_batch(
        catalog,
        ["a"],
        [SetField(Field.PRICE, money("1.00")), Increase(Field.PRICE, money("0.50"))],
    )
    assert prices(catalog, "a") == ["1.50"]


# --- properties ------------------------------------------------------------------------

fen = st.integers(min_value=0, max_value=10**9)


@given(st.lists(fen, min_size=1, max_size=4), fen)
def test_increase_then_decrease_restores_prices_exactly(start: list[int], step: int) -> None:
    # RULES: CAT-6
    skus = tuple(
        Sku(id=f"s{i}", price=from_fen(f), attributes={"n": str(i)}) for i, f in enumerate(start)
    )
    catalog = Catalog([Product(id="a", name="A", skus=skus)])
    original = catalog.get("a")
    amount = from_fen(step)
    apply_batch(catalog, ["a"], [Increase(Field.PRICE, amount)])
    assert [s.price_fen for s in catalog.get("a").skus] == [f + step for f in start]
    apply_batch(catalog, ["a"], [Decrease(Field.PRICE, amount)])
    assert catalog.get("a") == original


@given(st.lists(st.integers(0, 20), min_size=1, max_size=6), st.integers(0, 20))
def test_stock_decrease_is_all_or_nothing(stocks: list[int], step: int) -> None:
    # RULES: CAT-6
    catalog = Catalog(
        [
            Product(id=f"p{i}", name=f"P{i}", skus=(Sku(id=f"s{i}", price=money("1"), stock=n),))
            for i, n in enumerate(stocks)
        ]
    )
    ids = [f"p{i}" for i in range(len(stocks))]
    try:
        apply_batch(catalog, ids, [Decrease(Field.STOCK, step)])
    except InvalidInput:
        assert min(stocks) < step
        assert [p.skus[0].stock for p in catalog.products()] == stocks
    else:
        assert min(stocks) >= step
        assert [p.skus[0].stock for p in catalog.products()] == [n - step for n in stocks]
