"""An in-memory catalogue with the uniqueness rules no single product can check.

Slugs (CAT-2), product ids and SKU ids are unique across the catalogue; SKU ids
are indexed because pricing looks up every order line by SKU.  Every method
checks everything before changing anything, so a refusal leaves the catalogue
as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import attrs

from mallcore.catalog.model import Product, Sku
from mallcore.errors import InvalidInput, NotFound

__all__ = ["Catalog"]


class Catalog:
    """Products by id, with slug and SKU indexes kept in step."""

    def __init__(self, products: Iterable[Product] = ()) -> None:
        self._products: dict[str, Product] = {}
        self._by_slug: dict[str, str] = {}
        self._by_sku: dict[str, tuple[Product, Sku]] = {}
        for product in products:
            self.add(product)

    # --- reading -------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._products)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._products

    def products(self) -> Iterator[Product]:
        """Every product in the order added (a snapshot: safe to edit while iterating)."""
        return iter(tuple(self._products.values()))

    def get(self, product_id: str) -> Product:
        try:
            return self._products[product_id]
        except KeyError:
            raise NotFound(
                f"product {product_id!r}", "not in the catalogue", rule="CAT-2"
            ) from None

    def by_slug(self, slug: str) -> Product:
        product_id = self._by_slug.get(slug)
        if product_id is None:
            raise NotFound(f"slug {slug!r}", "no product has this slug", rule="CAT-2")
        return self._products[product_id]

    def slug_owner(self, slug: str) -> str | None:
        """The id of the product using ``slug``, if any."""
        return self._by_slug.get(slug)

    def find_sku(self, sku_id: str) -> tuple[Product, Sku]:
        """The product and SKU for ``sku_id``, in constant time."""
        try:
            return self._by_sku[sku_id]
        except KeyError:
            raise NotFound(f"SKU {sku_id!r}", "not in the catalogue", rule="CAT-3") from None

    def shelf(self) -> list[Product]:
        """On-shelf products as a storefront lists them: pinned first, by pin (CAT-6)."""
        listed = [
            (product.pin is None, product.pin or 0, index, product)
            for index, product in enumerate(self._products.values())
            if product.on_shelf
        ]
        return [entry[-1] for entry in sorted(listed, key=lambda e: e[:3])]

    def low_stock(self) -> list[tuple[Product, Sku]]:
        """SKUs at or below their low-stock alert (CAT-3), in catalogue order."""
        return [
            (product, sku)
            for product in self._products.values()
            for sku in product.skus
            if sku.is_low_on_stock
        ]

    # --- changing ------------------------------------------------------------

    def add(self, product: Product) -> Product:
        """Add a new product; its id, slug and SKU ids must all be unused."""
        self._check([product], replacing=False)
        self._commit([product])
        return product

    def replace(self, product: Product) -> Product:
        """Store a new version of an existing product; returns the previous one."""
        previous = self.get(product.id)
        self.replace_all([product])
        return previous

    def replace_all(self, products: Iterable[Product]) -> None:
        """Replace several products at once, or none of them.

        Checking them together lets two products swap slugs or SKU ids.
        """
        batch = list(products)
        self._check(batch, replacing=True)
        self._commit(batch)

    def remove(self, product_id: str) -> Product:
        product = self.get(product_id)
        self._forget(product)
        del self._products[product_id]
        return product

    def put_on_shelf(self, *product_ids: str) -> tuple[Product, ...]:
        """CAT-4: make products visible to buyers; unknown ids change nothing."""
        return self._set_shelf(product_ids, on_shelf=True)

    def take_off_shelf(self, *product_ids: str) -> tuple[Product, ...]:
        """CAT-4: hide products from buyers; unknown ids change nothing."""
        return self._set_shelf(product_ids, on_shelf=False)

    # --- internals -----------------------------------------------------------

    def _set_shelf(self, product_ids: Sequence[str], *, on_shelf: bool) -> tuple[Product, ...]:
        updated = tuple(
            attrs.evolve(self.get(product_id), on_shelf=on_shelf) for product_id in product_ids
        )
        self.replace_all(updated)
        return updated

    def _check(self, batch: Sequence[Product], *, replacing: bool) -> None:
        for product in batch:
            if not isinstance(product, Product):
                raise InvalidInput("product", f"{product!r} is not a Product", rule="CAT-2")
        incoming = {product.id for product in batch}
        if len(incoming) != len(batch):
            raise InvalidInput("products", "the same product id is given twice", rule="CAT-2")
        slugs: dict[str, str] = {}
        skus: dict[str, str] = {}
        for product in batch:
            if replacing:
                self.get(product.id)
            elif product.id in self._products:
                raise InvalidInput(
                    f"product id {product.id!r}", "already in the catalogue", rule="CAT-2"
                )
            owner = slugs.get(product.slug) or self._owner_of_slug(product.slug, incoming)
            if owner is not None:
                raise InvalidInput(
                    f"slug {product.slug!r} of product {product.id!r}",
                    f"already used by product {owner!r}",
                    rule="CAT-2",
                )
            slugs[product.slug] = product.id
            for sku in product.skus:
                owner = skus.get(sku.id) or self._owner_of_sku(sku.id, incoming)
                if owner is not None:
                    raise InvalidInput(
                        f"SKU {sku.id!r} of product {product.id!r}",
                        f"already used by product {owner!r}",
                        rule="CAT-3",
                    )
                skus[sku.id] = product.id

    def _owner_of_slug(self, slug: str, leaving: set[str]) -> str | None:
        """Who holds ``slug`` once the products being replaced give theirs up."""
        owner = self._by_slug.get(slug)
        return None if owner in leaving else owner

    def _owner_of_sku(self, sku_id: str, leaving: set[str]) -> str | None:
        entry = self._by_sku.get(sku_id)
        if entry is None or entry[0].id in leaving:
            return None
        return entry[0].id

    def _commit(self, batch: Sequence[Product]) -> None:
        for product in batch:
            old = self._products.get(product.id)
            if old is not None:
                self._forget(old)
        for product in batch:
            self._products[product.id] = product
            self._by_slug[product.slug] = product.id
            for sku in product.skus:
                self._by_sku[sku.id] = (product, sku)

    def _forget(self, product: Product) -> None:
        del self._by_slug[product.slug]
        for sku in product.skus:
            del self._by_sku[sku.id]
