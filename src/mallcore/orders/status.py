"""Order and logistics statuses, and the only edges an order may move along (ORD-1)."""

from __future__ import annotations

import enum


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    DEPOSIT_PAID = "deposit_paid"  # PRE-6: deposit paid, awaiting the balance; not shippable
    PAID = "paid"  # awaiting shipment
    SHIPPED = "shipped"  # awaiting receipt
    COMPLETED = "completed"
    CLOSED = "closed"


#: ORD-1, plus one reading: an order whose every fen has been refunded is closed
#: (from paid, shipped or completed), so nothing more can be refunded or shipped.
#: PRE-6 (deposit pre-sales, beyond the source): pending payment → deposit paid (the
#: deposit) → paid (the balance, inside its window); a deposit-paid order closes when
#: the balance is missed (deposit forfeited or refunded) or the deposit is refunded.
ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.DEPOSIT_PAID, OrderStatus.PAID, OrderStatus.CLOSED}
    ),
    OrderStatus.DEPOSIT_PAID: frozenset({OrderStatus.PAID, OrderStatus.CLOSED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CLOSED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED, OrderStatus.CLOSED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.CLOSED}),
    OrderStatus.CLOSED: frozenset(),
}


class CloseReason(enum.StrEnum):
    BUYER_CANCEL = "buyer_cancel"
    PAYMENT_TIMEOUT = "payment_timeout"
    MERCHANT = "merchant"  # merchant closed an unpaid order
    MERCHANT_CANCEL = "merchant_cancel"  # merchant cancelled a paid order (ORD-8)
    BUYER_CANCEL_AGREED = "buyer_cancel_agreed"  # buyer asked, merchant agreed (ORD-8)
    FULLY_REFUNDED = "fully_refunded"
    OUT_OF_STOCK = "out_of_stock"  # paid under the pay-time strategy, stock gone (ORD-9)
    ITEMS_WITHDRAWN = "items_withdrawn"  # every unit refunded before it shipped
    BALANCE_MISSED = "balance_missed"  # PRE-6: deposit forfeited or refunded, per the terms
    DEPOSIT_REFUNDED = "deposit_refunded"  # PRE-6: the merchant refunded the deposit


class LogisticsStatus(enum.StrEnum):
    NOT_SHIPPED = "not_shipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    SIGNED = "signed"
