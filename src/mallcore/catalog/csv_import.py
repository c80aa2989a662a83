"""CSV product import (CAT-4, CAT-5): each row succeeds or fails on its own.

A merchant fixes the failed rows and imports them again, so every failure
carries a reason naming the cell and the rule.  Imported products always start
off shelf (CAT-4): a merchant reviews them before buyers can see them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

import attrs

from mallcore.catalog.catalog import Catalog
from mallcore.catalog.model import Product, ProductKind, Sku
from mallcore.errors import InvalidInput, MallcoreError
from mallcore.money import DEFAULT_CURRENCY, Money, currency_of, format_yuan, from_fen, parse_fen

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "ImportReport", "RowResult", "import_products"]

REQUIRED_COLUMNS = ("name", "slug", "price")
COLUMNS = (
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
)
CATEGORY_SEPARATOR = "|"
_WHOLE = re.compile(r"\d+")
_DECIMAL = re.compile(r"\d+(\.\d+)?")
_KINDS = {
    "physical": ProductKind.PHYSICAL,
    "实物": ProductKind.PHYSICAL,
    "实物商品": ProductKind.PHYSICAL,
    "virtual": ProductKind.VIRTUAL,
    "虚拟": ProductKind.VIRTUAL,
    "虚拟商品": ProductKind.VIRTUAL,
}


@attrs.frozen
class RowResult:
    """One data row; ``row_number`` is the spreadsheet row (the header is row 1)."""

    row_number: int
    ok: bool
    product_id: str | None
    reason: str | None
    rule: str | None = None


@attrs.frozen
class ImportReport:
    rows: tuple[RowResult, ...]
    ignored_columns: tuple[str, ...] = ()

    @property
    def imported(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(row.product_id for row in self.rows if row.product_id is not None)

    def render(self) -> str:
        lines = [
            f"Imported {self.imported} of {len(self.rows)} rows, {self.failed} failed; "
            "imported products are off shelf."
        ]
        if self.ignored_columns:
            lines.append("Ignored unknown columns: " + ", ".join(self.ignored_columns))
        for row in self.rows:
            if row.ok:
                lines.append(f"row {row.row_number}: imported as {row.product_id}")
            else:
                lines.append(f"row {row.row_number}: FAILED {row.reason}")
        return "\n".join(lines)


def import_products(
    catalog: Catalog, source: str | Iterable[str], *, currency: str = DEFAULT_CURRENCY
) -> ImportReport:
    """Add every valid row of ``source`` (CSV text or a text file object) to ``catalog``.

    Blank rows are skipped.  A header without the required columns, or text
    that is not CSV, is refused as a whole before anything is added.
    """
    try:
        currency_of(currency)
    except MallcoreError as exc:
        raise InvalidInput(exc.refused, exc.reason, rule="CAT-5") from exc
    records = _read(source)
    columns, ignored = _header(records[0] if records else [])
    results: list[RowResult] = []
    claimed: dict[tuple[str, str], int] = {}
    for index, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        try:
            if len(cells) > len(columns):
                raise InvalidInput(
                    "row", f"has {len(cells)} cells, the header has {len(columns)}", rule="CAT-5"
                )
            values = {
                name: cell.strip() for name, cell in zip(columns, cells, strict=False) if name
            }
            product = _product(values, currency)
            keys = _claims(product)
            _check_repeats(keys, claimed)
            _check_slug_free(catalog, product.slug)
            catalog.add(product)
        except MallcoreError as exc:
            suffix = f" [{exc.rule}]" if exc.rule else ""
            reason = f"{exc.refused}: {exc.reason}{suffix}"
            results.append(RowResult(index, False, None, reason, exc.rule))
            continue
        claimed.update(dict.fromkeys(keys, index))
        results.append(RowResult(index, True, product.id, None))
    return ImportReport(rows=tuple(results), ignored_columns=ignored)


def _read(source: str | Iterable[str]) -> list[list[str]]:
    """Parse everything first, so broken CSV is refused before any row is added."""
    lines: Iterable[str] = io.StringIO(source, newline="") if isinstance(source, str) else source
    try:
        return list(csv.reader(lines, strict=True))
    except (csv.Error, TypeError) as exc:
        raise InvalidInput("CSV file", f"cannot be read: {exc}", rule="CAT-5") from exc


def _header(cells: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """Column names by position; unknown columns map to "" and are reported."""
    if not any(cell.strip() for cell in cells):
        raise InvalidInput("CSV file", "has no header row", rule="CAT-5")
    names = [cell.strip().lstrip("\ufeff").strip().lower().replace(" ", "_") for cell in cells]
    known = [name if name in COLUMNS else "" for name in names]
    repeated = sorted({name for name in known if name and known.count(name) > 1})
    if repeated:
        raise InvalidInput("CSV header", f"repeats column(s) {', '.join(repeated)}", rule="CAT-5")
    missing = [name for name in REQUIRED_COLUMNS if name not in known]
    if missing:
        raise InvalidInput(
            "CSV header", f"lacks required column(s) {', '.join(missing)}", rule="CAT-5"
        )
    ignored = tuple(raw.strip() for raw, name in zip(cells, known, strict=True) if raw and not name)
    return known, ignored


def _product(values: dict[str, str], currency: str) -> Product:
    for name in REQUIRED_COLUMNS:
        if not values.get(name):
            raise InvalidInput(name, "is required and empty", rule="CAT-5")
    slug = values["slug"]
    kind_text = values.get("kind", "")
    kind = _KINDS.get(kind_text.lower()) if kind_text else ProductKind.PHYSICAL
    if kind is None:
        raise InvalidInput("kind", f"{kind_text!r} is not physical or virtual", rule="CAT-5")
    original = values.get("original_price", "")
    sku = Sku(
        id=values.get("sku") or f"{slug}-default",
        price=_money(values["price"], "price", currency),
        original_price=_money(original, "original_price", currency) if original else None,
        stock=_whole(values.get("stock", ""), "stock"),
        low_stock_alert=_whole(values.get("low_stock_alert", ""), "low_stock_alert"),
    )
    categories = [c.strip() for c in values.get("categories", "").split(CATEGORY_SEPARATOR)]
    return Product(
        id=values.get("id") or slug,
        kind=kind,
        name=values["name"],
        slug=slug,
        skus=(sku,),
        summary=values.get("summary", ""),
        categories=tuple(c for c in categories if c),
        brand=values.get("brand") or None,
        on_shelf=False,
        points_coefficient=_coefficient(values.get("points_coefficient", "")),
    )


def _money(text: str, column: str, currency: str) -> Money:
    fen = parse_fen(text, column, rule="CAT-5")
    if fen < 0:
        raise InvalidInput(column, f"{format_yuan(fen)} is negative", rule="CAT-5")
    return from_fen(fen, currency)


def _whole(text: str, column: str) -> int:
    if not text:
        return 0
    if not _WHOLE.fullmatch(text):
        raise InvalidInput(column, f"{text!r} is not a whole number of 0 or more", rule="CAT-5")
    return int(text)


def _coefficient(text: str) -> Decimal:
    if not text:
        return Decimal(0)
    if not _DECIMAL.fullmatch(text):
        raise InvalidInput(
            "points_coefficient", f"{text!r} is not a number of 0 or more", rule="CAT-5"
        )
    return Decimal(text)


def _claims(product: Product) -> list[tuple[str, str]]:
    return [("slug", product.slug), ("product id", product.id)] + [
        ("SKU id", sku.id) for sku in product.skus
    ]


def _check_slug_free(catalog: Catalog, slug: str) -> None:
    """Checked before the id: an id defaulted from the slug would hide the real clash."""
    owner = catalog.slug_owner(slug)
    if owner is not None:
        raise InvalidInput(f"slug {slug!r}", f"already used by product {owner!r}", rule="CAT-2")


def _check_repeats(keys: list[tuple[str, str]], claimed: dict[tuple[str, str], int]) -> None:
    """Name the earlier row of this file, which helps more than naming a product."""
    for key in keys:
        row = claimed.get(key)
        if row is not None:
            what, value = key
            rule = "CAT-3" if what == "SKU id" else "CAT-2"
            raise InvalidInput(f"{what} {value!r}", f"repeats row {row} of this file", rule=rule)
