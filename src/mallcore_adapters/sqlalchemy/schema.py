"""The tables, in SQLAlchemy Core: one place, read by the repositories and by Alembic.

Aggregates are stored as versioned documents (``doc``, see ``codec``) beside the
columns that searches filter on.  What must happen exactly once has a table of
its own whose key the database enforces, whatever the Python above it does:

========================  ==========================================================
``order_payments``         one row per gateway transaction id (a repeated
                           notification cannot pay twice)
``order_refunds``          one row per refund number
``orders``                 the order number is the key
``coupon_redemptions``     (code, slot): a single-use code has one slot
``voucher_uses``           (voucher, use number): never more than the voucher's uses
``flash_stock``            conditional ``UPDATE … WHERE remaining >= :n``
``flash_holds`` …          one row per reservation reference (idempotent retries)
========================  ==========================================================
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

__all__ = ["metadata"]

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

_ID = 128


def _id(name: str, *args: object, **kw: object) -> Column[str]:
    return Column(name, String(_ID), *args, **kw)  # type: ignore[arg-type]


def _documents(name: str, key: str, *extra: Column[Any] | Index) -> Table:
    """A table of versioned aggregate documents keyed by ``key``."""
    return Table(
        name, metadata,
        _id(key, primary_key=True),
        Column("version", Integer, nullable=False),
        Column("doc", Text, nullable=False),
        *extra,
    )


# ------------------------------------------------------------------ orders
orders = _documents(
    "orders", "number",
    _id("customer_id", nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True)),
    Column("counts_as_paid", Integer, nullable=False),
)

order_payments = Table(
    "order_payments", metadata,
    _id("transaction_id", primary_key=True),
    _id("order_number", ForeignKey("orders.number"), nullable=False, index=True),
    Column("fen", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

order_refunds = Table(
    "order_refunds", metadata,
    _id("refund_number", primary_key=True),
    _id("order_number", ForeignKey("orders.number"), nullable=False, index=True),
    Column("fen", BigInteger, nullable=False),
    Column("status", String(32), nullable=False),
)

# The order list's read model (ORD-10): one row per order, set-valued fields as terms.
order_summaries = Table(
    "order_summaries", metadata,
    _id("number", ForeignKey("orders.number"), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("logistics", String(32), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False, index=True),
    Column("paid_at", DateTime(timezone=True)),
    Column("total_fen", BigInteger, nullable=False),
    Column("star", String(32)),
    _id("customer_id", nullable=False),
    Column("phone", String(32)),
    Column("consignee_lc", String(200)),
    Column("open_after_sales", Integer, nullable=False),
    Column("refund_requested", Integer, nullable=False),
    Column("doc", Text, nullable=False),
)

order_terms = Table(
    "order_terms", metadata,
    _id("number", ForeignKey("orders.number"), nullable=False),
    Column("field", String(32), nullable=False),
    Column("value", String(400), nullable=False),
    PrimaryKeyConstraint("number", "field", "value"),
    Index("ix_order_terms_field_value", "field", "value"),
)

# ------------------------------------------------------------------ stock (ORD-9)
stock_levels = _documents("stock_levels", "sku_id")
stock_reservations = _documents("stock_reservations", "ref")
stock_sold = _documents("stock_sold", "ref")
stock_taken = Table("stock_taken", metadata, _id("ref", primary_key=True))
stock_movements = Table(
    "stock_movements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("doc", Text, nullable=False),
)

# ------------------------------------------------------------------ customers, points
points_accounts = _documents("points_accounts", "customer_id")
customers = _documents("customers", "id")

# ------------------------------------------------------------------ coupons (CPN)
coupon_batches = _documents("coupon_batches", "id")
coupon_codes = Table(
    "coupon_codes", metadata,
    _id("code", primary_key=True),
    _id("batch_id", ForeignKey("coupon_batches.id"), nullable=False, index=True),
)
coupon_redemptions = Table(
    "coupon_redemptions", metadata,
    _id("code", nullable=False),
    Column("slot", Integer, nullable=False),
    _id("order_number", nullable=False),
    PrimaryKeyConstraint("code", "slot"),
)

# ------------------------------------------------------------------ vouchers (VCH)
vouchers = _documents(
    "vouchers", "id",
    Column("code", String(32), nullable=False, unique=True),
    _id("order_number", nullable=False, index=True),
    _id("customer_id", nullable=False, index=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)
voucher_uses = Table(
    "voucher_uses", metadata,
    _id("voucher_id", ForeignKey("vouchers.id"), nullable=False),
    Column("use_number", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("voucher_id", "use_number"),
)

# ------------------------------------------------------------------ configuration
products = _documents("products", "id")
promotions = _documents("promotions", "id", Column("kind", String(64), nullable=False))
settings = _documents("settings", "name")

# ------------------------------------------------------------------ flash / campaign stock
flash_stock = Table(
    "flash_stock", metadata,
    _id("sale_id", nullable=False),
    _id("sku_id", nullable=False),
    Column("loaded", Integer, nullable=False),
    Column("remaining", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("sold", Integer, nullable=False),
    PrimaryKeyConstraint("sale_id", "sku_id"),
)
flash_holds = Table(
    "flash_holds", metadata,
    _id("ref", primary_key=True),
    _id("sale_id", nullable=False),
    _id("sku_id", nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Index("ix_flash_holds_sale_sku", "sale_id", "sku_id"),
)
flash_limit_counts = Table(
    "flash_limit_counts", metadata,
    _id("sale_id", nullable=False),
    _id("customer_id", nullable=False),
    _id("sku_id", nullable=False),
    Column("used", Integer, nullable=False),
    PrimaryKeyConstraint("sale_id", "customer_id", "sku_id"),
)
flash_limit_uses = Table(
    "flash_limit_uses", metadata,
    _id("ref", primary_key=True),
    _id("sale_id", nullable=False),
    _id("customer_id", nullable=False),
    _id("sku_id", nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("state", String(16), nullable=False),
)

# ------------------------------------------------------------------ numbers, outbox
number_sequences = Table(
    "number_sequences", metadata,
    Column("prefix", String(16), primary_key=True),
    Column("last", BigInteger, nullable=False),
)
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("doc", Text, nullable=False),
)
