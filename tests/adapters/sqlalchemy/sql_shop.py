"""The orders tests' ``Shop`` on a database: same catalogue, stock, points and services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from orders_helpers import T0, Shop, _order_state
from sqlalchemy import Engine

from mallcore.inventory import StockLevel
from mallcore.orders.order import Order
from mallcore_adapters.sqlalchemy import SqlUnitOfWork
from mallcore_adapters.sqlalchemy.store import SqlNumbers


class SqlShop(Shop):
    """``Shop`` whose unit of work is ``SqlUnitOfWork``; reads open their own."""

    def __init__(self, engine: Engine, **kw: Any) -> None:
        super().__init__(**kw)
        memory = self.uow
        self.uow = SqlUnitOfWork(engine, catalog=self.catalog)  # type: ignore[assignment]
        self.numbers = SqlNumbers(engine)  # type: ignore[assignment]
        with self.uow:
            for sku in memory.inventory.skus():
                level = memory.inventory.level(sku)
                if level.available:
                    self.uow.inventory.receive(sku, level.available, ref="initial")
                else:
                    self.uow.inventory.set_oversell(sku, False)
            for customer, account in memory.points._accounts.items():
                balance = account.balance(T0)
                if balance:
                    self.uow.points.get(customer).earn(balance, "welcome gift",
                                                       T0 - timedelta(days=1))
            self.uow.commit()

    def order(self, number: str) -> Order:
        with self.uow:
            return self.uow.orders.get(number)

    def level(self, sku: str) -> StockLevel:
        with self.uow:
            return self.uow.inventory.level(sku)

    def points(self, customer: str = "c1", now: datetime = T0) -> int:
        with self.uow:
            return self.uow.points.get(customer).balance(now)


def _unversioned(order: Order) -> tuple[Any, ...]:
    """The order's state but its number and version (storage counts versions)."""
    order.version = 0  # a read-only copy: this unit of work never commits
    return _order_state(order)[1:]


def state(shop: Shop, numbers: list[str]) -> tuple[Any, ...]:
    """What a use case may change, by value, read in one unit of work."""
    with shop.uow:
        orders = tuple(_unversioned(shop.uow.orders.get(n)) for n in numbers)
        levels = tuple((sku, shop.uow.inventory.level(sku)) for sku in sorted(shop.received))
        points = shop.uow.points.get("c1").entries
    return orders, levels, points
