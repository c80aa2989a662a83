"""Read models of an order: the flat ``OrderSummary`` that search runs over (ORD-10)."""

from __future__ import annotations

from mallcore.catalog import Catalog
from mallcore.errors import NotFound
from mallcore.orders.aftersales import AfterSaleStatus
from mallcore.orders.order import Order
from mallcore.orders.summary import OrderSummary


def _phone_digits(phone: str) -> str | None:
    """Search matches phones by digits ("138-0013 8000" is 13800138000)."""
    plus = "+" if phone.strip().startswith("+") else ""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    return plus + digits if digits else None


def summarize(order: Order, catalog: Catalog | None = None) -> OrderSummary:
    """What the order list shows and searches; product details come from the catalogue."""
    names: set[str] = set()
    categories: set[str] = set()
    brands: set[str] = set()
    types: set[str] = set()
    for line in order.lines:
        types.add("physical" if line.needs_shipping else "virtual")
        if catalog is None:
            continue
        try:
            product = catalog.get(line.product_id)
        except NotFound:
            continue
        names.add(product.name)
        categories.update(product.categories)
        if product.brand:
            brands.add(product.brand)
    return OrderSummary(
        number=order.number,
        status=order.status.value,
        logistics=order.logistics.value,
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        total_fen=order.payable_fen,
        payment_methods=frozenset(p.method.value for pay in order.payments for p in pay.parts),
        payment_ids=frozenset(pay.transaction_id for pay in order.payments),
        product_types=frozenset(types),
        activity_types=order.activity_types,
        star=order.star,
        customer_id=order.customer_id,
        phone=_phone_digits(order.address.phone) if order.address else None,
        consignee=order.address.consignee if order.address else None,
        tracking_numbers=frozenset(s.tracking_number for s in order.shipments
                                   if s.tracking_number),
        product_ids=frozenset(line.product_id for line in order.lines),
        product_names=frozenset(names),
        categories=frozenset(categories),
        brands=frozenset(brands),
        sku_ids=frozenset(line.sku_id for line in order.lines),
        open_after_sales=sum(1 for c in order.after_sales if c.status is AfterSaleStatus.REQUESTED),
        refund_requested=order.cancellation_request is not None,
        ship_from=order.ship_from,
    )
