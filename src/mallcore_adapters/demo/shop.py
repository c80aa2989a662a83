"""The demo's shop: databases, catalogue, clock and narrator shared by the scenes.

Time is a parameter (a fixed demo clock moved explicitly), randomness is a
seeded ``random.Random``, so the story prints the same lines on every fresh run.

Workaround, said plainly (tests/adapters/sqlalchemy/test_from_demo.py): on
SQLite a flash order refused as sold out hangs for the busy timeout (60 s) and
fails "database is locked" (the refusal reads ``SqlFlashStock.remaining`` on a
connection of its own while the thread's unit of work holds the write lock), and
a refused order's number is rolled back and given again, so flash holds kept
outside the unit of work meet a second order under the same reference.  A rush of
150 buyers for 100 units always has refusals, so on SQLite the demo keeps order
numbers and flash stock in a sibling file (``side_url``), the way a Redis flash
store sits beside the database.  Everything else is in the database at ``url``.
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

__all__ = ["Clock", "DemoShop", "remove_sqlite_files", "side_url", "yuan"]

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


def side_url(url: str) -> str:
    """Where numbers and flash stock live: the shop's own database (the SQLite lock and
    number bugs that once needed a sibling file are fixed; see test_from_demo.py)."""
    return url


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
        self.side_url = side_url(url)
        upgrade(url)
        self.engine: Engine = make_engine(url)
        self.side_engine: Engine = self.engine
        if self.side_url != url:
            upgrade(self.side_url)
            self.side_engine = make_engine(self.side_url)
        self.config = ConfigurationStore(self.engine)
        self.numbers = SqlNumbers(self.side_engine)
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
        if self.side_engine is not self.engine:
            self.side_engine.dispose()
