"""Configuration checks run when a merchant saves activities (ACT-4).

The pipeline never refuses a cart for a bad configuration: data that slipped
through still prices, one non-shipping activity per line, best for the buyer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mallcore.errors import InvalidConfiguration
from mallcore.promotions.activities import Activity
from mallcore.promotions.scope import ProductScope
from mallcore.promotions.stacking import BenefitKind

CategoriesOf = Callable[[str], frozenset[str]]


def scopes_overlap(a: ProductScope, b: ProductScope, categories_of: CategoriesOf | None) -> bool:
    if a.everything or b.everything:
        return True
    if a.products & b.products or a.skus & b.skus or a.categories & b.categories:
        return True
    if categories_of is None:
        return False
    return any(
        categories_of(product) & other.categories
        for scope, other in ((a, b), (b, a))
        for product in scope.products
    )


def validate_activities(
    activities: Iterable[Activity], *, categories_of: CategoriesOf | None = None
) -> None:
    """Refuse two valid non-shipping activities that share a product (ACT-4).

    ``categories_of`` (product id → category ids) lets a product-scoped
    activity clash with a category-scoped one; without it only shared ids count.
    """
    items = sorted(
        (a for a in activities if a.kind is not BenefitKind.FREE_SHIPPING), key=lambda a: a.id
    )
    for i, first in enumerate(items):
        for second in items[i + 1:]:
            if first.window.overlaps(second.window) and scopes_overlap(
                first.products, second.products, categories_of
            ):
                raise InvalidConfiguration(
                    f"activities {first.id!r} and {second.id!r}",
                    "share products while both are valid; a product may be in one "
                    "non-shipping activity at a time",
                    rule="ACT-4",
                )
