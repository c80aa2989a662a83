"""Storage bugs found while writing ``mallcore demo`` (src/mallcore_adapters/demo/).

On SQLite every unit of work starts with ``BEGIN IMMEDIATE`` and so holds the
database's one write lock until it ends.  ``SqlNumbers`` and the flash ports
(``SqlFlashStock`` / ``SqlFlashLimits``) each open their *own* transaction on the
same engine, and the services call them *inside* the unit of work
(``numbers.next`` in every use case that numbers something, ``flash.submit`` at
the end of ``place_order``).  The second ``BEGIN IMMEDIATE`` waits for a lock its
own thread holds: the use case hangs for the busy timeout (60 s) and fails with
"database is locked".  The tests shorten the timeout so they fail in a second.

The demo works around it by keeping numbers and flash stock in a sibling SQLite
file (``demo/shop.py: side_url``); these tests use one file, as documented.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from mallcore.catalog import Catalog, Product, Sku
from mallcore.memory import SequentialNumbers
from mallcore.money import money
from mallcore.pricing import Buyer, Cart, PricingPipeline
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.services import orders as svc
from mallcore.services.flash_checkout import FlashCheckout
from mallcore_adapters.sqlalchemy import SqlUnitOfWork, make_engine
from mallcore_adapters.sqlalchemy import engine as engine_module
from mallcore_adapters.sqlalchemy.flash import SqlFlashLimits, SqlFlashStock
from mallcore_adapters.sqlalchemy.migrate import upgrade
from mallcore_adapters.sqlalchemy.store import SqlNumbers

T0 = datetime(2026, 11, 11, 20, tzinfo=ZoneInfo("Asia/Shanghai"))
CATALOG = Catalog([Product(id="buds", name="耳机", on_shelf=True,
                           skus=[Sku(id="buds-white", price=money("199.00"), stock=5)])])


@pytest.fixture
def sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_MS", 500)  # fail fast, not in 60 s
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine, catalog=CATALOG)
    with uow:
        uow.inventory.receive("buds-white", 5, ref="initial")
        uow.commit()
    yield engine
    engine.dispose()


def _cart_price(rules: list[FlashSaleRule]) -> object:
    cart = Cart.from_catalog(CATALOG, [("buds-white", 1)])
    return PricingPipeline(line_rules=rules).price(cart, now=T0, buyer=Buyer("c1"))


def test_sql_numbers_inside_a_sqlite_unit_of_work(sqlite: Engine) -> None:
    """place_order numbers the order inside its unit of work: SqlNumbers on the same
    SQLite file waits for the lock the unit of work holds."""
    breakdown = _cart_price([])
    number = svc.place_order(SqlUnitOfWork(sqlite, catalog=CATALOG), SqlNumbers(sqlite),
                             customer_id="c1", breakdown=breakdown,  # type: ignore[arg-type]
                             catalog=CATALOG, now=T0)
    assert number == "O000001"


def test_sql_flash_stock_through_place_order_on_sqlite(sqlite: Engine) -> None:
    """FlashCheckout.submit runs inside place_order's unit of work: SqlFlashLimits /
    SqlFlashStock on the same SQLite file wait for the lock it holds (numbers here
    come from memory, so only the flash ports are in play)."""
    sale = FlashSale("fs", "秒杀", Window(T0, T0 + timedelta(hours=1)),
                     [FlashSaleItem("buds-white", money("99.00"), 2, per_user_limit=1)])
    rule = FlashSaleRule(sale, SqlFlashStock(sqlite), SqlFlashLimits(sqlite))
    number = svc.place_order(SqlUnitOfWork(sqlite, catalog=CATALOG), SequentialNumbers(),
                             customer_id="c1", breakdown=_cart_price([rule]),  # type: ignore[arg-type]
                             catalog=CATALOG, now=T0, flash=FlashCheckout([rule]))
    assert number == "O000001"
    assert SqlFlashStock(sqlite).reserved("fs", "buds-white") == 1


def test_close_due_orders_lists_the_orders_of_a_sql_unit_of_work(sqlite: Engine) -> None:
    """close_due_orders (and auto_confirm_due, pending_refunds) iterate ``uow.orders``;
    ``SqlOrders.__iter__`` iterates ``self.rows``, a ``Documents`` that is not iterable
    (TypeError).  Numbers from memory, so the SQLite lock above is not in play."""
    uow = SqlUnitOfWork(sqlite, catalog=CATALOG)
    number = svc.place_order(uow, SequentialNumbers(), customer_id="c1",
                             breakdown=_cart_price([]),  # type: ignore[arg-type]
                             catalog=CATALOG, now=T0)
    assert svc.close_due_orders(uow, T0 + timedelta(hours=1)) == [number]
    with uow:
        assert uow.inventory.level("buds-white").available == 5


def test_a_coupon_batch_can_be_stored(sqlite: Engine) -> None:
    """SqlCouponBatches stores a batch as one codec document, but the batch's code
    ledger keeps its unclaimed codes in a ``collections.deque``, which the codec
    refuses ("storing a deque: collections.deque is not a storable kind"): no
    coupon batch can be added, so no coupon can be claimed or redeemed on SQL."""
    from mallcore.coupons import FixedAmount
    from mallcore.coupons.batches import CouponBatch, CouponTerms, RelativeValidity

    batch = CouponBatch.normal("tea5", "5元茶叶券", CouponTerms(FixedAmount(money("5.00"))),
                               RelativeValidity(7), codes=["TEA5A0001", "TEA5A0002"])
    batch.publish(T0)
    uow = SqlUnitOfWork(sqlite, catalog=CATALOG)
    with uow:
        uow.coupons.add(batch)
        uow.coupons.get("tea5").claim("c1", now=T0)
        uow.commit()
    with uow:
        assert [c.code for c in uow.coupons.wallet("c1", T0)] == ["TEA5A0001"]
