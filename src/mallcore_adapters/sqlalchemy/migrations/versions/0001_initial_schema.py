"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "coupon_batches",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_batches")),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("code", "slot", name=op.f("pk_coupon_redemptions")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_table(
        "flash_holds",
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("sale_id", sa.String(length=128), nullable=False),
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_flash_holds")),
    )
    with op.batch_alter_table("flash_holds", schema=None) as batch_op:
        batch_op.create_index("ix_flash_holds_sale_sku", ["sale_id", "sku_id"], unique=False)

    op.create_table(
        "flash_limit_counts",
        sa.Column("sale_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "sale_id", "customer_id", "sku_id", name=op.f("pk_flash_limit_counts")
        ),
    )
    op.create_table(
        "flash_limit_uses",
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("sale_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_flash_limit_uses")),
    )
    op.create_table(
        "flash_stock",
        sa.Column("sale_id", sa.String(length=128), nullable=False),
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("loaded", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sale_id", "sku_id", name=op.f("pk_flash_stock")),
    )
    op.create_table(
        "number_sequences",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_number_sequences")),
    )
    op.create_table(
        "orders",
        sa.Column("number", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts_as_paid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "points_accounts",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_points_accounts")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings")),
    )
    op.create_table(
        "stock_levels",
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sku_id", name=op.f("pk_stock_levels")),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    op.create_table(
        "stock_reservations",
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_stock_reservations")),
    )
    op.create_table(
        "stock_sold",
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_stock_sold")),
    )
    op.create_table(
        "stock_taken",
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_stock_taken")),
    )
    op.create_table(
        "vouchers",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("order_number", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vouchers_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vouchers_order_number"), ["order_number"], unique=False
        )

    op.create_table(
        "coupon_codes",
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("batch_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["coupon_batches.id"],
            name=op.f("fk_coupon_codes_batch_id_coupon_batches"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_coupon_codes")),
    )
    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_codes_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "order_payments",
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("order_number", sa.String(length=128), nullable=False),
        sa.Column("fen", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_order_payments_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_order_payments")),
    )
    with op.batch_alter_table("order_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_payments_order_number"), ["order_number"], unique=False
        )

    op.create_table(
        "order_refunds",
        sa.Column("refund_number", sa.String(length=128), nullable=False),
        sa.Column("order_number", sa.String(length=128), nullable=False),
        sa.Column("fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_order_refunds_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("refund_number", name=op.f("pk_order_refunds")),
    )
    with op.batch_alter_table("order_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_refunds_order_number"), ["order_number"], unique=False
        )

    op.create_table(
        "order_summaries",
        sa.Column("number", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("logistics", sa.String(length=32), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("star", sa.String(length=32), nullable=True),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("consignee_lc", sa.String(length=200), nullable=True),
        sa.Column("open_after_sales", sa.Integer(), nullable=False),
        sa.Column("refund_requested", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["number"], ["orders.number"], name=op.f("fk_order_summaries_number_orders")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_order_summaries")),
    )
    with op.batch_alter_table("order_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_summaries_placed_at"), ["placed_at"], unique=False
        )

    op.create_table(
        "order_terms",
        sa.Column("number", sa.String(length=128), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["number"], ["orders.number"], name=op.f("fk_order_terms_number_orders")
        ),
        sa.PrimaryKeyConstraint("number", "field", "value", name=op.f("pk_order_terms")),
    )
    with op.batch_alter_table("order_terms", schema=None) as batch_op:
        batch_op.create_index("ix_order_terms_field_value", ["field", "value"], unique=False)

    op.create_table(
        "voucher_uses",
        sa.Column("voucher_id", sa.String(length=128), nullable=False),
        sa.Column("use_number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["vouchers.id"], name=op.f("fk_voucher_uses_voucher_id_vouchers")
        ),
        sa.PrimaryKeyConstraint("voucher_id", "use_number", name=op.f("pk_voucher_uses")),
    )


def downgrade() -> None:

    op.drop_table("voucher_uses")
    with op.batch_alter_table("order_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_order_terms_field_value")

    op.drop_table("order_terms")
    with op.batch_alter_table("order_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_summaries_placed_at"))

    op.drop_table("order_summaries")
    with op.batch_alter_table("order_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_refunds_order_number"))

    op.drop_table("order_refunds")
    with op.batch_alter_table("order_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_payments_order_number"))

    op.drop_table("order_payments")
    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_codes_batch_id"))

    op.drop_table("coupon_codes")
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vouchers_order_number"))
        batch_op.drop_index(batch_op.f("ix_vouchers_customer_id"))

    op.drop_table("vouchers")
    op.drop_table("stock_taken")
    op.drop_table("stock_sold")
    op.drop_table("stock_reservations")
    op.drop_table("stock_movements")
    op.drop_table("stock_levels")
    op.drop_table("settings")
    op.drop_table("promotions")
    op.drop_table("products")
    op.drop_table("points_accounts")
    op.drop_table("outbox")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    op.drop_table("number_sequences")
    op.drop_table("flash_stock")
    op.drop_table("flash_limit_uses")
    op.drop_table("flash_limit_counts")
    with op.batch_alter_table("flash_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_flash_holds_sale_sku")

    op.drop_table("flash_holds")
    op.drop_table("customers")
    op.drop_table("coupon_redemptions")
    op.drop_table("coupon_batches")
