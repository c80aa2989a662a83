"""The demo's shop: databases, catalogue, clock and narrator shared by the scenes.

Time is a parameter (a fixed demo clock moved explicitly), randomness is a
seeded ``random.Random``, so the story prints the same lines on every fresh run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from mallcore.catalog import Catalog, Product, ProductKind, Sku
from mallcore.inventory import StockLevel
from mallcore.money import format_yuan, money
from mallcore.orders.order import Order
from mallcore.ports import UnitOfWork
from mallcore_adapters.sqlalchemy import SqlUnitOfWork, make_engine
from mallcore_adapters.sqlalchemy.migrate import upgrade
from mallcore_adapters.sqlalchemy.store import ConfigurationStore, SqlNumbers

__all__ = ["Clock", "DemoShop", "remove_sqlite_files", "yuan"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_START = datetime(2026, 11, 11, 10, 0, tzinfo=SHANGHAI)
SEED = 20261111
RUN_SPACING_DAYS = 100

PASS_SKU = "boat-pass-3"
BUDS_SKU = "buds-white"
TEA_SKU = "tea-250"
INITIAL_STOCK = {PASS_SKU: 50, BUDS_SKU: 300, TEA_SKU: 20}


def yuan(fen: int) -> str:
    return f"¥{format_yuan(fen)}"


def catalog() -> Catalog:
    return Catalog([
        Product(id="boat-pass", name="西湖游船三次卡", kind=ProductKind.VIRTUAL, on_shelf=True,
                skus=[Sku(id=PASS_SKU, price=money("100.00"), stock=INITIAL_STOCK[PASS_SKU])],
                categories=("票券",)),
        Product(id="buds", name="蓝牙耳机", on_shelf=True, categories=("数码",),
                skus=[Sku(id=BUDS_SKU, price=money("199.00"), stock=INITIAL_STOCK[BUDS_SKU])]),
        Product(id="tea", name="龙井茶 250g", on_shelf=True, categories=("茶叶",), brand="西湖",
                skus=[Sku(id=TEA_SKU, price=money("128.00"), stock=INITIAL_STOCK[TEA_SKU])]),
    ])


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def remove_sqlite_files(url: str) -> None:
    """A fresh run: the database file and its write-ahead log and shared memory."""
    path = _sqlite_file(url)
    if path is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


class Clock:
    """The demo's time: fixed, and moved only when the story says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def at(self, when: datetime) -> datetime:
        self.now = when
        return when


class DemoShop:
    """Everything the scenes share; ``say`` is the narration (stdout by default)."""

    def __init__(self, url: str, *, say: Callable[[str], None] = print) -> None:
        self.url = url
        upgrade(url)
        self.engine: Engine = make_engine(url)
        self.config = ConfigurationStore(self.engine)
        self.numbers = SqlNumbers(self.engine)
        self.say = say
        self.run = int(self.config.load_setting("demo_runs") or 0) + 1
        self.config.save_setting("demo_runs", self.run)
        # a kept database gets later days, so each run's orders and sales stand apart
        self.clock = Clock(DEMO_START + timedelta(days=RUN_SPACING_DAYS * (self.run - 1)))
        self.day = self.clock.now.replace(hour=0, minute=0)
        self.flash_day = self.day + timedelta(days=31)  # 12-12 on a fresh run
        self.end = self.flash_day + timedelta(days=1)
        self.tag = "" if self.run == 1 else f"r{self.run}"
        self.rng = random.Random(SEED + self.run)
        self.catalog = catalog()
        self.config.save_catalog(self.catalog)
        self.catalog = self.config.load_catalog()  # the scenes sell what was stored
        uow = self.uow()
        with uow:
            for sku, qty in INITIAL_STOCK.items():
                uow.inventory.receive(sku, qty, ref=f"initial{self.tag}")
            uow.commit()

    def sql(self) -> SqlUnitOfWork:
        """A unit of work of its own (one per thread); services open and commit it."""
        return SqlUnitOfWork(self.engine, catalog=self.catalog)

    def uow(self) -> UnitOfWork:
        """``sql()`` as the core's port.  The cast only quiets mypy: the port declares
        its repositories as mutable attributes, so no adapter's narrower types match
        (MemoryUnitOfWork neither); at run time ``SqlUnitOfWork`` is the port."""
        return cast(UnitOfWork, self.sql())

    def order(self, number: str) -> Order:
        uow = self.uow()
        with uow:
            return uow.orders.get(number)

    def level(self, sku: str) -> StockLevel:
        uow = self.uow()
        with uow:
            return uow.inventory.level(sku)

    def scene(self, title: str) -> None:
        self.say("")
        self.say(f"== {title}")

    def stock_line(self, sku: str) -> str:
        lv = self.level(sku)
        return f"{sku}: {lv.available} available, {lv.reserved} reserved, {lv.sold} sold"

    def close(self) -> None:
        self.engine.dispose()
