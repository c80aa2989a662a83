"""CSV import (CAT-4, CAT-5): good rows go in off shelf, bad rows say why."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.catalog import (
    Catalog,
    ImportReport,
    Product,
    ProductKind,
    Sku,
    import_products,
)
from mallcore.errors import InvalidInput
from mallcore.money import money


def csv_text(header: list[str], *rows: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def only_row(report: ImportReport) -> tuple[bool, str]:
    assert len(report.rows) == 1
    row = report.rows[0]
    return row.ok, row.reason or ""


def fails(catalog: Catalog, header: list[str], row: list[str], *words: str) -> str:
    """Import one bad row: it fails with the words, and the catalogue is unchanged."""
    before = list(catalog.products())
    report = import_products(catalog, csv_text(header, row))
    ok, reason = only_row(report)
    assert not ok
    assert report.rows[0].product_id is None
    for word in words:
        assert word in reason, f"{word!r} not in {reason!r}"
    assert list(catalog.products()) == before
    return reason


BASIC = ["name", "slug", "price"]


# --- successes -----------------------------------------------------------------------


def test_minimal_row_gets_default_ids_and_starts_off_shelf() -> None:
    # RULES: CAT-5, CAT-4
    catalog = Catalog()
    report = import_products(catalog, csv_text(BASIC, ["Green tea", "green-tea", "12.50"]))
    assert (report.imported, report.failed) == (1, 0)
    assert report.rows[0].row_number == 2 and report.rows[0].product_id == "green-tea"
    product, sku = catalog.find_sku("green-tea-default")
    assert product.id == "green-tea" and product.slug == "green-tea"
    assert product.on_shelf is False
    assert product.kind is ProductKind.PHYSICAL
    assert sku.price == money("12.50")
    assert (sku.stock, sku.low_stock_alert, sku.original_price) == (0, 0, None)


def test_every_optional_column_is_read() -> None:
    # RULES: CAT-5, CAT-2, CAT-3
    header = [
        "id",
        "kind",
        "name",
        "slug",
        "summary",
        "price",
        "original_price",
        "stock",
        "low_stock_alert",
        "categories",
        "brand",
        "sku",
        "points_coefficient",
    ]
    row = [
        "P-7",
        "virtual",
        "Gift card",
        "gift-card",
        "Any amount",
        "100",
        "120.00",
        "50",
        "5",
        "gifts | cards|",
        "MallCo",
        "GC-100",
        "0.5",
    ]
    catalog = Catalog()
    report = import_products(catalog, csv_text(header, row))
    assert report.imported == 1, report.render()
    product, sku = catalog.find_sku("GC-100")
    assert product.id == "P-7" and product.kind is ProductKind.VIRTUAL
    assert product.summary == "Any amount"
    assert product.categories == ("gifts", "cards")
    assert product.brand == "MallCo"
    assert product.points_coefficient == Decimal("0.5")
    assert sku.price == money("100.00") and sku.original_price == money("120.00")
    assert (sku.stock, sku.low_stock_alert) == (50, 5)


def test_imported_products_are_off_shelf_even_with_a_shelf_column() -> None:
    # RULES: CAT-4
    catalog = Catalog()
    report = import_products(catalog, csv_text([*BASIC, "on_shelf"], ["Tea", "tea", "1", "yes"]))
    assert catalog.get("tea").on_shelf is False
    assert report.ignored_columns == ("on_shelf",)
    assert "on_shelf" in report.render()


def test_chinese_kind_names_and_other_currency() -> None:
    # RULES: CAT-5, CAT-1
    catalog = Catalog()
    text = csv_text([*BASIC, "kind"], ["Ticket", "ticket", "8", "虚拟商品"])
    import_products(catalog, text, currency="USD")
    product = catalog.get("ticket")
    assert product.kind is ProductKind.VIRTUAL
    assert product.skus[0].price == money("8", "USD")


def test_file_objects_bom_and_header_case_are_accepted() -> None:
    # RULES: CAT-5
    catalog = Catalog()
    source = io.StringIO("\ufeffName,Slug,PRICE,Original Price\r\nTea,tea,1.00,2.00\r\n")
    report = import_products(catalog, source)
    assert report.imported == 1, report.render()
    assert catalog.get("tea").skus[0].original_price == money("2.00")


def test_good_rows_are_added_and_bad_rows_fail_with_numbers() -> None:
    # RULES: CAT-5
    catalog = Catalog()
    text = csv_text(
        BASIC,
        ["Tea", "tea", "1.00"],
        ["Bad", "bad", "abc"],
        ["", "", ""],
        ["Coffee", "coffee", "2.00"],
    )
    report = import_products(catalog, text)
    assert [(r.row_number, r.ok) for r in report.rows] == [(2, True), (3, False), (5, True)]
    assert (report.imported, report.failed) == (2, 1)
    assert [p.id for p in catalog.products()] == ["tea", "coffee"]
    rendered = report.render()
    assert "Imported 2 of 3 rows, 1 failed" in rendered
    assert "row 3: FAILED price" in rendered and "'abc'" in rendered
    assert "row 5: imported as coffee" in rendered


def test_quoted_cells_may_hold_commas_and_newlines() -> None:
    # RULES: CAT-5
    catalog = Catalog()
    text = 'name,slug,price,summary\n"Tea, green",tea,1,"line one\nline two"\nX,x,1,\n'
    report = import_products(catalog, text)
    assert [r.row_number for r in report.rows] == [2, 3]
    assert catalog.get("tea").name == "Tea, green"
    assert catalog.get("tea").summary == "line one\nline two"


# --- failing rows ------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [0, 1, 2])
def test_missing_required_value_fails_the_row(missing: int) -> None:
    # RULES: CAT-5
    row = ["Tea", "tea", "1.00"]
    row[missing] = "  "
    reason = fails(Catalog(), BASIC, row, BASIC[missing], "required", "[CAT-5]")
    assert reason.startswith(BASIC[missing])


@pytest.mark.parametrize(
    ("price", "why"),
    [
        ("1.234", "at most 2 decimals"),
        ("abc", "not an amount"),
        ("-1.00", "negative"),
        ("1e3", "not an amount"),
        ("¥12", "not an amount"),
        ("1,000.00", "not an amount"),
    ],
)
def test_bad_price_fails_the_row(price: str, why: str) -> None:
    # RULES: CAT-5, CAT-3
    fails(Catalog(), BASIC, ["Tea", "tea", price], "price", why, "[CAT-5]")


def test_bad_original_price_fails_the_row() -> None:
    # RULES: CAT-5
    fails(Catalog(), [*BASIC, "original_price"], ["Tea", "tea", "1", "0.001"], "original_price")


@pytest.mark.parametrize("stock", ["1.5", "-3", "many"])
def test_bad_stock_or_alert_fails_the_row(stock: str) -> None:
    # RULES: CAT-5, CAT-3
    fails(Catalog(), [*BASIC, "stock"], ["Tea", "tea", "1", stock], "stock", "whole number")
    fails(Catalog(), [*BASIC, "low_stock_alert"], ["Tea", "tea", "1", stock], "low_stock_alert")


def test_bad_points_coefficient_fails_the_row() -> None:
    # RULES: CAT-5, CAT-3
    header = [*BASIC, "points_coefficient"]
    fails(Catalog(), header, ["Tea", "tea", "1", "-0.5"], "points_coefficient")


def test_too_long_name_fails_the_row() -> None:
    # RULES: CAT-5, CAT-2
    reason = fails(Catalog(), BASIC, ["茶" * 101, "tea", "1"], "name", "101", "[CAT-2]")
    assert "at most 100" in reason


def test_too_long_summary_and_too_many_categories_fail_the_row() -> None:
    # RULES: CAT-5, CAT-2
    fails(Catalog(), [*BASIC, "summary"], ["Tea", "tea", "1", "x" * 201], "summary", "201")
    eleven = "|".join(f"c{i}" for i in range(11))
    fails(Catalog(), [*BASIC, "categories"], ["Tea", "tea", "1", eleven], "11 given")


def test_malformed_slug_and_unknown_kind_fail_the_row() -> None:
    # RULES: CAT-5, CAT-2, CAT-1
    fails(Catalog(), BASIC, ["Tea", "Green Tea", "1"], "slug")
    fails(Catalog(), [*BASIC, "kind"], ["Tea", "tea", "1", "digital"], "kind", "'digital'")


def test_slug_taken_in_the_catalogue_fails_the_row() -> None:
    # RULES: CAT-5, CAT-2
    catalog = Catalog(
        [Product(id="old", name="Old tea", slug="tea", skus=(Sku(id="old-1", price=money("1")),))]
    )
    fails(catalog, BASIC, ["Tea", "tea", "1"], "slug 'tea'", "already used by product 'old'")


def test_sku_taken_in_the_catalogue_fails_the_row() -> None:
    # RULES: CAT-5, CAT-3
    catalog = Catalog([Product(id="old", name="Old", skus=(Sku(id="X1", price=money("1")),))])
    fails(catalog, [*BASIC, "sku"], ["Tea", "tea", "1", "X1"], "SKU 'X1'", "product 'old'")


def test_duplicate_slug_within_the_file_names_the_earlier_row() -> None:
    # RULES: CAT-5, CAT-2
    catalog = Catalog()
    text = csv_text(BASIC, ["Tea", "tea", "1"], ["Tea again", "tea", "2"])
    report = import_products(catalog, text)
    assert [r.ok for r in report.rows] == [True, False]
    assert "slug 'tea'" in (report.rows[1].reason or "")
    assert "repeats row 2" in (report.rows[1].reason or "")
    assert catalog.get("tea").name == "Tea"


def test_a_failed_row_does_not_reserve_its_slug() -> None:
    # RULES: CAT-5
    catalog = Catalog()
    report = import_products(catalog, csv_text(BASIC, ["Tea", "tea", "x"], ["Tea", "tea", "1"]))
    assert [r.ok for r in report.rows] == [False, True]


def test_row_with_more_cells_than_the_header_fails() -> None:
    # RULES: CAT-5
    report = import_products(Catalog(), "name,slug,price\nTea,tea,1,extra\n")
    ok, reason = only_row(report)
    assert not ok and "4 cells" in reason and "header has 3" in reason


def test_short_rows_treat_missing_cells_as_empty() -> None:
    # RULES: CAT-5
    report = import_products(Catalog(), "name,slug,price,brand\nTea,tea,1\nX,x\n")
    assert [r.ok for r in report.rows] == [True, False]
    assert "price" in (report.rows[1].reason or "")


# --- refusing the whole file ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "no header"),
        ("name,slug\nTea,tea\n", "lacks required column(s) price"),
        ("name,price,stock\nTea,1,2\n", "slug"),
        ("name,slug,price,price\nTea,tea,1,2\n", "repeats column(s) price"),
        ('name,slug,price\nTea,tea,1\n"Bad,"x"y,1\n', "cannot be read"),
    ],
)
def test_unusable_files_are_refused_before_anything_is_added(text: str, why: str) -> None:
    # RULES: CAT-5
    catalog = Catalog()
    with pytest.raises(InvalidInput) as exc:
        import_products(catalog, text)
    assert exc.value.rule == "CAT-5" and why in str(exc.value)
    assert len(catalog) == 0


def test_unknown_currency_is_refused() -> None:
    # RULES: CAT-5
    with pytest.raises(InvalidInput) as exc:
        import_products(Catalog(), csv_text(BASIC, ["Tea", "tea", "1"]), currency="XXQ")
    assert exc.value.rule == "CAT-5"


# --- property ---------------------------------------------------------------------------------

cell_name = st.sampled_from(["Tea", "Coffee", "", "x" * 101, "茶"])
cell_slug = st.sampled_from(["tea", "coffee", "milk", "", "Bad Slug"])
cell_price = st.sampled_from(["1", "0.99", "12.50", "", "abc", "-1", "1.234", "0"])
cell_stock = st.sampled_from(["", "0", "5", "-1", "2.5"])
rows = st.lists(st.tuples(cell_name, cell_slug, cell_price, cell_stock), max_size=12)


@settings(max_examples=200)
@given(rows)
def test_every_row_is_reported_and_only_good_rows_change_the_catalogue(
    data: list[tuple[str, str, str, str]],
) -> None:
    # RULES: CAT-5, CAT-4
    existing = Product(id="milk", name="Milk", slug="milk", skus=(Sku(id="m", price=money("3")),))
    catalog = Catalog([existing])
    report = import_products(catalog, csv_text([*BASIC, "stock"], *map(list, data)))
    non_blank = [row for row in data if any(cell.strip() for cell in row)]
    assert report.imported + report.failed == len(report.rows) == len(non_blank)
    assert len(catalog) == 1 + report.imported
    assert catalog.get("milk") == existing
    added = [p for p in catalog.products() if p.id != "milk"]
    assert [p.id for p in added] == list(report.product_ids)
    assert all(not p.on_shelf for p in added)
    for row in report.rows:
        assert row.ok == (row.reason is None) == (row.product_id is not None)
