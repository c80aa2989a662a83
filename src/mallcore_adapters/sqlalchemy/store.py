"""Numbers, and the merchant's configuration: catalogue, customers, promotions.

Configuration is read far more than written: each object is one versioned
document, saved whole and loaded whole.  ``SqlNumbers`` hands out order and
refund numbers from a counter row, each in its own short transaction, so a
number is never given twice even across processes (a rolled-back use case may
leave a gap, as database sequences do).  On SQLite the counter joins the open unit
of work (one writer), so a refused use case rolls its number back; ``SqlNumbers``
remembers what it gave and never gives it again, but two *processes* on one SQLite
file may then reuse a number no committed order holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, case, select, update
from sqlalchemy.exc import IntegrityError

from mallcore.catalog import Catalog
from mallcore.errors import StaleState
from mallcore_adapters.sqlalchemy import codec, schema
from mallcore_adapters.sqlalchemy.engine import short_transaction
from mallcore_adapters.sqlalchemy.flash import _insert_ignore

__all__ = ["ConfigurationStore", "SqlNumbers"]


class SqlNumbers:
    """``NumberSource``: ``O000001``, ``R000001`` … shared by every process."""

    def __init__(self, engine: Engine, *, width: int = 6) -> None:
        self.engine = engine
        self.width = width
        # On SQLite a number drawn inside a unit of work rolls back with it; what this
        # object gave out is remembered, so it never gives a number twice.
        self._given: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        t = schema.number_sequences
        floor = self._given.get(prefix, 0)
        with short_transaction(self.engine) as conn:
            _insert_ignore(conn, t, {"prefix": prefix, "last": 0})
            conn.execute(update(t).where(t.c.prefix == prefix).values(
                last=case((t.c.last < floor, floor), else_=t.c.last) + 1))
            value = int(conn.execute(select(t.c.last).where(t.c.prefix == prefix)).scalar_one())
        self._given[prefix] = value
        return f"{prefix}{value:0{self.width}d}"


class ConfigurationStore:
    """Products, customers and promotion settings, one versioned document each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _save(self, table: Any, key: str, key_value: str, value: object,
              **columns: object) -> int:
        """Insert, or replace and bump the version: configuration is the merchant's
        last word (last writer wins); only a race to create the same row is refused."""
        doc = codec.dumps(value)
        with self.engine.begin() as conn:
            current = conn.execute(select(table.c.version)
                                   .where(table.c[key] == key_value)).scalar()
            if current is None:
                try:
                    conn.execute(table.insert().values(
                        {key: key_value, "version": 1, "doc": doc, **columns}))
                except IntegrityError:
                    raise StaleState(f"{table.name} {key_value!r}", "saved concurrently") from None
                return 1
            conn.execute(update(table).where(table.c[key] == key_value)
                         .values(version=current + 1, doc=doc, **columns))
            return int(current) + 1

    def _load_all(self, table: Any, key: str, **where: object) -> list[Any]:
        stmt = select(table.c.doc).order_by(table.c[key])
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        with self.engine.connect() as conn:
            return [codec.loads(doc) for doc in conn.execute(stmt).scalars()]

    # catalogue
    def save_catalog(self, catalog: Catalog) -> None:
        for product in catalog.products():
            self._save(schema.products, "id", product.id, product)

    def load_catalog(self) -> Catalog:
        return Catalog(self._load_all(schema.products, "id"))

    # promotions: activities, flash sales, limited-time discounts, pre-sales, batches' terms
    def save_promotion(self, promotion_id: str, promotion: object) -> int:
        return self._save(schema.promotions, "id", promotion_id, promotion,
                          kind=type(promotion).__name__)

    def load_promotions(self, kind: type | None = None) -> list[Any]:
        if kind is None:
            return self._load_all(schema.promotions, "id")
        return self._load_all(schema.promotions, "id", kind=kind.__name__)

    # customers and other settings (level ladder, points policy …), by name
    def save_setting(self, name: str, value: object) -> int:
        return self._save(schema.settings, "name", name, value)

    def load_setting(self, name: str) -> Any:
        with self.engine.connect() as conn:
            doc = conn.execute(select(schema.settings.c.doc)
                               .where(schema.settings.c.name == name)).scalar()
        return None if doc is None else codec.loads(doc)

    def save_customer(self, customer: Any) -> int:
        return self._save(schema.customers, "id", customer.id, customer)

    def load_customers(self) -> list[Any]:
        return self._load_all(schema.customers, "id")
