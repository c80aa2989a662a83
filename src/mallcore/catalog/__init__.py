"""The catalogue (CAT-1..6): products, SKUs, batch edits and CSV import.

Products are immutable values; the ``Catalog`` keeps the rules that span
products (unique slugs and SKU ids) and the SKU index pricing relies on.
"""

from __future__ import annotations

from mallcore.catalog.batch import (
    AddCategories,
    BatchResult,
    Decrease,
    Edit,
    Field,
    Increase,
    PinInOrder,
    ReplaceCategories,
    SetBrand,
    SetField,
    SetPin,
    SetShippingTemplate,
    apply_batch,
)
from mallcore.catalog.catalog import Catalog
from mallcore.catalog.csv_import import ImportReport, RowResult, import_products
from mallcore.catalog.model import (
    MAX_CATEGORIES,
    MAX_NAME_LENGTH,
    MAX_SUMMARY_LENGTH,
    Product,
    ProductKind,
    Sku,
    StockStrategy,
    make_slug,
)

__all__ = [
    "MAX_CATEGORIES",
    "MAX_NAME_LENGTH",
    "MAX_SUMMARY_LENGTH",
    "AddCategories",
    "BatchResult",
    "Catalog",
    "Decrease",
    "Edit",
    "Field",
    "ImportReport",
    "Increase",
    "PinInOrder",
    "Product",
    "ProductKind",
    "ReplaceCategories",
    "RowResult",
    "SetBrand",
    "SetField",
    "SetPin",
    "SetShippingTemplate",
    "Sku",
    "StockStrategy",
    "apply_batch",
    "import_products",
    "make_slug",
]
