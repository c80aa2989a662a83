"""Interfaces the adapters implement: repositories, the unit of work, and the outside.

The core depends on these protocols only; ``mallcore.memory`` implements them in
memory for tests and notebooks, and the storage adapter will implement them on a
database.  A unit of work makes one use case atomic: everything it changed is
committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from typing import Protocol

from mallcore.customers.points import PointsAccount
from mallcore.inventory import Inventory
from mallcore.orders.events import Event
from mallcore.orders.order import Order
from mallcore.orders.search import OrderQuery
from mallcore.orders.summary import OrderSummary
from mallcore.vouchers import VoucherBook
from mallcore.vouchers.events import VoucherEvent


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...

    def get(self, number: str) -> Order: ...

    def __iter__(self) -> Iterator[Order]: ...

    def search(self, query: OrderQuery, now: datetime) -> list[OrderSummary]: ...

    def has_paid_order(self, customer_id: str) -> bool: ...


class PointsAccounts(Protocol):
    def get(self, customer_id: str) -> PointsAccount: ...


class CouponRedemptions(Protocol):
    """Coupon codes consumed by orders (CPN-4) and, when the shop allows, given back
    (CPN-5).  ``memory.MemoryCoupons`` is a plain ledger; ``memory.MemoryCouponBatches``
    redeems through the batches' lifecycle (validity, owner, void, reusable uses)."""

    def redeem(self, code: str, *, customer_id: str, order_number: str,
               now: datetime) -> None: ...

    def restore(self, code: str, *, order_number: str, now: datetime) -> None: ...


class UnitOfWork(Protocol):
    orders: OrderRepository
    inventory: Inventory
    points: PointsAccounts
    coupons: CouponRedemptions
    vouchers: VoucherBook

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def collect_events(self) -> list[DomainEvent]: ...


#: Every event the aggregates record.
DomainEvent = Event | VoucherEvent


class EventPublisher(Protocol):
    """Where domain events go after a commit: SMS, payment gateway, analytics."""

    def publish(self, event: DomainEvent) -> None: ...


class NumberSource(Protocol):
    """Order and refund numbers: injected, so tests are deterministic."""

    def next(self, prefix: str) -> str: ...
