"""In-memory adapters for every port: tests, notebooks and examples run with no server.

The unit of work is really atomic: it snapshots the state on entry and puts it
back unless ``commit`` was called, so a refused use case leaves nothing behind.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from datetime import datetime
from types import TracebackType

from mallcore.catalog import Catalog
from mallcore.coupons.batches import CouponBatch, WalletEntry, wallet_of
from mallcore.customers.points import PointsAccount
from mallcore.errors import Conflict, NotAllowed, NotFound
from mallcore.inventory import Inventory
from mallcore.orders.order import Order
from mallcore.orders.search import OrderQuery, run
from mallcore.orders.status import CloseReason
from mallcore.orders.summary import OrderSummary
from mallcore.orders.views import summarize
from mallcore.ports import DomainEvent
from mallcore.vouchers import VoucherBook


class MemoryOrders:
    def __init__(self, catalog: Catalog | None = None) -> None:
        self._orders: dict[str, Order] = {}
        self.catalog = catalog

    def add(self, order: Order) -> None:
        if order.number in self._orders:
            raise Conflict(f"order {order.number}", "exists already", rule="ORD-1")
        self._orders[order.number] = order

    def get(self, number: str) -> Order:
        try:
            return self._orders[number]
        except KeyError:
            raise NotFound(f"order {number!r}", "unknown order", rule="ORD-7") from None

    def __iter__(self) -> Iterator[Order]:
        return iter(list(self._orders.values()))

    def __len__(self) -> int:
        return len(self._orders)

    def search(self, query: OrderQuery, now: datetime) -> list[OrderSummary]:
        return run(query, [summarize(o, self.catalog) for o in self._orders.values()], now)

    def has_paid_order(self, customer_id: str) -> bool:
        return any(o.customer_id == customer_id and o.paid_at is not None
                   and o.close_reason is not CloseReason.OUT_OF_STOCK
                   for o in self._orders.values())


class MemoryPoints:
    def __init__(self, *, expiry_enabled: bool = True) -> None:
        self._accounts: dict[str, PointsAccount] = {}
        self.expiry_enabled = expiry_enabled

    def get(self, customer_id: str) -> PointsAccount:
        account = self._accounts.get(customer_id)
        if account is None:
            account = PointsAccount(customer_id, expiry_enabled=self.expiry_enabled)
            self._accounts[customer_id] = account
        return account


class MemoryCoupons:
    """Which single-use coupon went to which order (CPN-4: never twice)."""

    def __init__(self) -> None:
        self.used: dict[str, str] = {}

    def redeem(self, code: str, *, customer_id: str, order_number: str,
               now: datetime) -> None:
        holder = self.used.get(code)
        if holder is not None:
            raise NotAllowed(f"coupon {code!r}", f"already used by order {holder}",
                             rule="CPN-4")
        self.used[code] = order_number

    def restore(self, code: str, *, order_number: str, now: datetime) -> None:
        if self.used.get(code) == order_number:
            del self.used[code]


class MemoryCouponBatches:
    """Coupon codes redeemed through their batches: validity, owner, void, uses (CPN-3..8)."""

    def __init__(self, batches: Iterable[CouponBatch] = ()) -> None:
        self.batches: dict[str, CouponBatch] = {}
        for batch in batches:
            self.add(batch)

    def add(self, batch: CouponBatch) -> None:
        if batch.id in self.batches:
            raise Conflict(f"coupon batch {batch.id}", "exists already", rule="CPN-2")
        self.batches[batch.id] = batch

    def batch_of(self, code: str) -> CouponBatch:
        for batch in self.batches.values():
            try:
                batch.code(code)
            except NotFound:
                continue
            return batch
        raise NotFound(f"coupon {code!r}", "no batch has this code", rule="CPN-4")

    def wallet(self, customer_id: str, now: datetime) -> tuple[WalletEntry, ...]:
        return wallet_of(self.batches.values(), customer_id, now)

    def redeem(self, code: str, *, customer_id: str, order_number: str,
               now: datetime) -> None:
        self.batch_of(code).redeem(code, customer_id=customer_id, order_number=order_number,
                                   now=now)

    def restore(self, code: str, *, order_number: str, now: datetime) -> None:
        self.batch_of(code).restore(code, order_number, now=now)


class MemoryUnitOfWork:
    def __init__(
        self, *, catalog: Catalog | None = None, inventory: Inventory | None = None,
        points: MemoryPoints | None = None,
        coupons: MemoryCoupons | MemoryCouponBatches | None = None,
    ) -> None:
        self.catalog = catalog
        self.orders = MemoryOrders(catalog)
        self.inventory = inventory if inventory is not None else Inventory()
        self.points = points if points is not None else MemoryPoints()
        self.coupons: MemoryCoupons | MemoryCouponBatches = (
            coupons if coupons is not None else MemoryCoupons())
        self.vouchers = VoucherBook()
        self._snapshot: tuple[object, ...] | None = None
        self._committed = False
        self.commits = 0

    def _state(self) -> tuple[object, ...]:
        return (self.orders._orders, self.inventory, self.points._accounts, self.coupons,
                self.vouchers)

    def __enter__(self) -> MemoryUnitOfWork:
        self._snapshot = copy.deepcopy(self._state())
        self._committed = False
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.rollback()
        self._snapshot = None

    def commit(self) -> None:
        self._committed = True
        self.commits += 1

    def rollback(self) -> None:
        if self._snapshot is None:
            return
        orders, inventory, accounts, coupons, vouchers = copy.deepcopy(self._snapshot)
        self.orders._orders = orders  # type: ignore[assignment]
        self.inventory = inventory  # type: ignore[assignment]
        self.points._accounts = accounts  # type: ignore[assignment]
        self.coupons = coupons  # type: ignore[assignment]
        self.vouchers = vouchers  # type: ignore[assignment]

    def collect_events(self) -> list[DomainEvent]:
        events: list[DomainEvent] = []
        for order in self.orders:
            events.extend(order.pull_events())
        for voucher in self.vouchers:
            events.extend(voucher.pull_events())
        return events


class SequentialNumbers:
    """Deterministic numbers: ``O000001``, ``R000001`` …"""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self._counts.get(prefix, 0) + 1
        self._counts[prefix] = n
        return f"{prefix}{n:06d}"


class RecordingPublisher:
    """Keeps every published event: what the SMS and payment adapters would receive."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        self.events.append(event)
