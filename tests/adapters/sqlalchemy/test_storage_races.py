"""The classic races, closed by the database (FS-5, FS-2, CPN-4, VCH-2, ORD-2).

Every contender runs in its own thread with its own connection and unit of
work, the way app servers do; a barrier releases them together.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from orders_helpers import T0
from sql_shop import SqlShop
from sqlalchemy import Engine, func, select

from mallcore.coupons.batches import CouponBatch
from mallcore.coupons.benefits import FixedAmount
from mallcore.coupons.terms import CouponTerms
from mallcore.coupons.validity import AbsoluteValidity
from mallcore.errors import MallcoreError
from mallcore.money import money
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.promotions.flash_sale import FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.window import Window
from mallcore.services import orders as svc
from mallcore.services._uow import run
from mallcore.services.vouchers import verify_voucher
from mallcore.vouchers.codes import new_code
from mallcore.vouchers.model import VerificationMethod, Voucher
from mallcore.vouchers.terms import Store, Verifier
from mallcore_adapters.sqlalchemy import SqlUnitOfWork, schema
from mallcore_adapters.sqlalchemy.flash import SqlFlashLimits, SqlFlashStock
from mallcore_adapters.sqlalchemy.store import SqlNumbers

pytestmark = pytest.mark.concurrency

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call at once; each result is its return value or the error raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_200_buyers_against_100_flash_units_buy_exactly_100(engine: Engine) -> None:
    # RULES: FS-5, FS-2
    sale = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)),
                     [FlashSaleItem("red", money("1.00"), 100, 2)])
    rule = FlashSaleRule(sale, SqlFlashStock(engine), SqlFlashLimits(engine))
    customers = [f"c{i % 120}" for i in range(200)]  # 80 customers try twice: limit 2 each
    now = START + timedelta(minutes=1)
    results = race([lambda i=i, c=c: rule.submit(c, "red", 1, f"o{i}", now=now)
                    for i, c in enumerate(customers)])
    won = [customers[i] for i, r in enumerate(results) if not isinstance(r, Exception)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 100
    assert all(isinstance(e, MallcoreError) and e.rule in ("FS-5", "FS-2") for e in errors)
    assert rule.stock.remaining("fs", "red") == 0 and rule.stock.reserved("fs", "red") == 100
    assert max(Counter(won).values()) <= 2
    for customer, n in Counter(won).items():
        assert rule.limits.used("fs", customer, "red") == n
    for i, r in enumerate(results):  # pay them all: exactly 100 sold
        if not isinstance(r, Exception):
            rule.pay(f"o{i}")
    assert rule.stock.sold("fs", "red") == 100


def _batch_with_one_code() -> CouponBatch:
    validity = AbsoluteValidity(T0 - timedelta(days=1), T0 + timedelta(days=30))
    batch = CouponBatch.normal("b1", "满50减5", CouponTerms(FixedAmount(money("5.00")),
                                                           money("50.00")),
                               validity, codes=["ONLYONE"], per_customer_limit=None)
    batch.publish(T0 - timedelta(days=1))
    batch.distribute(["c1"], 1, now=T0 - timedelta(hours=1))
    return batch


def test_50_concurrent_redemptions_of_one_code_let_exactly_one_win(engine: Engine) -> None:
    # RULES: CPN-4
    uow = SqlUnitOfWork(engine)
    with uow:
        uow.coupons.add(_batch_with_one_code())
        uow.commit()

    def redeem(i: int) -> str:
        mine = SqlUnitOfWork(engine)
        run(mine, None, lambda: mine.coupons.redeem("ONLYONE", customer_id="c1",
                                                     order_number=f"O{i}", now=T0))
        return f"O{i}"

    results = race([lambda i=i: redeem(i) for i in range(50)])
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1
    assert all(isinstance(r, MallcoreError) for r in results if not isinstance(r, str))
    with engine.connect() as conn:
        rows = conn.execute(select(schema.coupon_redemptions)).all()
    assert [(r.code, r.order_number) for r in rows] == [("ONLYONE", winners[0])]


def test_one_payment_notification_delivered_10_times_pays_once(engine: Engine) -> None:
    # RULES: ORD-2
    shop = SqlShop(engine)
    number = shop.place([("tea", 1)])
    fen = shop.order(number).payable_fen

    def deliver() -> svc.PaymentOutcome:
        return svc.pay_order(SqlUnitOfWork(engine, catalog=shop.catalog), SqlNumbers(engine),
                             number, [PaymentPart(PaymentMethod.WECHAT, fen)],
                             transaction_id="4200001", now=T0)

    results = race([deliver for _ in range(10)])
    assert sorted(results) == sorted([svc.PaymentOutcome.PAID] + [svc.PaymentOutcome.DUPLICATE] * 9)
    order = shop.order(number)
    assert len(order.payments) == 1 and order.paid_fen == fen
    assert shop.level("tea").sold == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.order_payments)).scalar() == 1


def test_20_concurrent_verifications_of_a_3_use_voucher_let_exactly_3_through(
        engine: Engine) -> None:
    # RULES: VCH-2, VCH-3
    code = new_code(lambda nbits: 12345)
    voucher = Voucher("V1", code, order_number="O1", line_id="L1", customer_id="c1", uses=3,
                      valid_from=T0 - timedelta(days=1), valid_until=T0 + timedelta(days=30),
                      issued_at=T0 - timedelta(days=1))
    uow = SqlUnitOfWork(engine)
    with uow:
        uow.vouchers.add(voucher)
        uow.commit()
    store, staff = Store("S1", "东门店"), Verifier("staff", "李雷")

    def verify() -> object:
        return verify_voucher(SqlUnitOfWork(engine), code, verifier=staff, store=store, uses=1,
                              now=T0, how=VerificationMethod.SCAN)

    results = race([verify for _ in range(20)])
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) == 3
    assert all(isinstance(r, MallcoreError) for r in results if isinstance(r, Exception))
    with uow:
        assert uow.vouchers.get("V1").remaining == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.voucher_uses)).scalar() == 3


def test_numbers_are_never_given_twice(engine: Engine) -> None:
    numbers = SqlNumbers(engine)
    results = race([lambda: numbers.next("O") for _ in range(40)])
    assert len(set(results)) == 40 and all(isinstance(r, str) for r in results)


KILLED = """
import os, signal, sys
sys.path[:0] = {paths!r}
from sql_shop import SqlShop
from conftest import postgres_engine
from mallcore_adapters.sqlalchemy import make_engine, SqlUnitOfWork
engine = {engine}
uow = SqlUnitOfWork(engine)
with uow:
    uow.inventory.receive("tea", 7, ref="half-done")
    uow.orders.flush(); uow._inventory.flush()  # rows written, not committed
    print("written", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_process_killed_inside_a_unit_of_work_leaves_nothing(
        engine: Engine, tmp_path: Path) -> None:
    shop = SqlShop(engine)
    before = shop.level("tea")
    if engine.dialect.name == "sqlite":
        build = f"make_engine({engine.url.render_as_string()!r})"
    else:
        with engine.connect() as conn:  # the test's own schema
            schema_name = conn.exec_driver_sql("select current_schema()").scalar()
        build = f"postgres_engine({schema_name!r})"
    here = Path(__file__).parent
    script = KILLED.format(paths=[str(here), str(here.parent.parent / "orders")], engine=build)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "written" in done.stdout
    assert shop.level("tea") == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.stock_movements)
                            .where(schema.stock_movements.c.doc.contains("half-done"))
                            ).scalar() == 0
