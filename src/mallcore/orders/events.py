"""Domain events an order records; services hand them to adapters (SMS, payments).

Events are facts in the past tense, immutable, and carry what a handler needs
without reading the order again.
"""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.frozen
class Event:
    order_number: str
    at: datetime


@attrs.frozen
class OrderPlaced(Event):
    customer_id: str
    payable_fen: int


@attrs.frozen
class OrderPaid(Event):
    transaction_id: str
    fen: int
    confirmed_by_merchant: bool


@attrs.frozen
class OrderPriceAdjusted(Event):
    before_fen: int
    after_fen: int


@attrs.frozen
class OrderShipped(Event):
    shipment_id: str
    carrier: str | None
    tracking_number: str | None
    fully_shipped: bool


@attrs.frozen
class OrderCompleted(Event):
    confirmed_by: str


@attrs.frozen
class OrderClosed(Event):
    reason: str


@attrs.frozen
class CancellationRequested(Event):
    reason: str


@attrs.frozen
class CancellationRejected(Event):
    reason: str


@attrs.frozen
class AfterSaleRequested(Event):
    after_sale_id: str
    kind: str
    fen: int


@attrs.frozen
class AfterSaleDecided(Event):
    after_sale_id: str
    decision: str
    reason: str | None = None


@attrs.frozen
class RefundRequested(Event):
    """For the payment adapter: send ``fen`` back by ``method`` (one leg of a refund)."""

    refund_number: str
    method: str
    fen: int
    transaction_id: str | None


@attrs.frozen
class RefundSucceeded(Event):
    refund_number: str
    method: str
    fen: int
    offline: bool = False


@attrs.frozen
class RefundFailed(Event):
    refund_number: str
    method: str
    fen: int
    reason: str


@attrs.frozen
class SurplusPaymentReceived(Event):
    """A payment the order did not need (it had closed, or was paid already):
    recorded and refunded in full."""

    transaction_id: str
    fen: int
    refund_number: str
    order_status: str


@attrs.frozen
class DepositPaid(Event):
    """PRE-6: the deposit of a deposit pre-sale order was paid; the balance is due
    inside its window."""

    transaction_id: str
    fen: int
    balance_fen: int
    balance_ends_at: datetime


@attrs.frozen
class DepositSettled(Event):
    """PRE-6: the deposit's fate once the balance was missed or the merchant refunded it:
    ``outcome`` is ``forfeited`` or ``refunded``."""

    outcome: str
    refunded_fen: int
    forfeited_fen: int
