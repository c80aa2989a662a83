"""``mallcore demo``: the narration states the key facts, the database agrees with it,
two fresh runs print the same lines, and the command exits 0 from a shell."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from mallcore.orders.aftersales import AfterSaleStatus
from mallcore.orders.refunds import RefundStatus
from mallcore.orders.search import OrderQuery
from mallcore.orders.status import CloseReason, OrderStatus
from mallcore.vouchers import VoucherStatus
from mallcore_adapters.demo import run_demo
from mallcore_adapters.demo.shop import BUDS_SKU, PASS_SKU, TEA_SKU
from mallcore_adapters.sqlalchemy import SqlUnitOfWork, make_engine
from mallcore_adapters.sqlalchemy.flash import SqlFlashStock
from mallcore_adapters.sqlalchemy.store import ConfigurationStore

PASS_ORDER, TEA_ORDER = "O000001", "O000002"
SALE = "fs-buds"
AFTER = datetime(2027, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))  # the story is over


def _run(url: str, *, fresh: bool = True) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run_demo(url, fresh=fresh) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """One fresh run shared by the tests that read it: (url, narration)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'shop.db'}"
    return url, _run(url)


@pytest.fixture(scope="module")
def engine(demo: tuple[str, str]) -> Iterator[Engine]:
    engine = make_engine(demo[0])
    yield engine
    engine.dispose()


def _uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine, catalog=ConfigurationStore(engine).load_catalog())


# ------------------------------------------------------------------ what it says
def test_the_boat_pass_narration(demo: tuple[str, str]) -> None:
    # RULES: VCH-1, VCH-3, VCH-4, VCH-7
    text = demo[1]
    assert f"order {PASS_ORDER}, ¥100.00, pending_payment" in text
    assert "voucher V000001 issued with 3 uses" in text
    assert "refused before any lookup" in text
    assert "new voucher V000002 with 1 use" in text
    assert "refund R000001 of ¥33.33" in text
    assert f"order {PASS_ORDER}: paid, paid ¥100.00, refunded ¥33.33, kept ¥66.67" in text


def test_the_return_narration(demo: tuple[str, str]) -> None:
    # RULES: AS-1, AS-3, AS-5
    text = demo[1]
    assert "− 茶叶满100减10 ¥10.00 − coupon ¥5.00 + shipping ¥8.00 = ¥121.00" in text
    assert "order shipped, logistics shipped" in text
    assert "asking ¥113.00" in text
    assert (f"order {TEA_ORDER} closed (fully_refunded), paid ¥121.00, refunded ¥113.00"
            in text)


def test_the_flash_sale_narration(demo: tuple[str, str]) -> None:
    # RULES: FS-2, FS-3, FS-5
    text = demo[1]
    assert "150 buyers rush in" in text
    assert "100 orders at ¥99.00, 50 turned away sold out" in text
    assert "flash stock: 0 left, 100 reserved, 0 sold" in text
    assert "limit 1 per customer, 1 already ordered" in text
    assert "60 of them pay ¥99.00" in text
    assert "the other 40 orders time out" in text
    assert "flash stock 40 left, 0 reserved, 60 sold" in text
    assert f"shop stock {BUDS_SKU}: 240 available, 0 reserved, 60 sold" in text


def test_the_search_narration(demo: tuple[str, str]) -> None:
    # RULES: ORD-10
    text = demo[1]
    assert "102 orders placed 11-11 to 12-13: 41 closed, 61 paid" in text
    assert f"waybill SF1402367258931: {TEA_ORDER}, closed, ¥121.00" in text
    assert "flash-sale orders paid: 60 orders" in text
    assert text.rstrip().endswith("done.")


def test_two_fresh_runs_tell_the_same_story(demo: tuple[str, str], tmp_path: Path) -> None:
    """Only who wins the flash sale varies, and it is never printed."""
    url, first = demo
    second = _run(f"sqlite:///{tmp_path / 'shop.db'}")
    first_dir = str(Path(url.removeprefix("sqlite:///")).parent)
    assert second.replace(str(tmp_path), "DIR") == first.replace(first_dir, "DIR")


# ------------------------------------------------------------------ what is stored
def test_the_database_agrees_on_the_boat_pass(engine: Engine) -> None:
    # RULES: VCH-7, AS-5
    uow = _uow(engine)
    with uow:
        order = uow.orders.get(PASS_ORDER)
        vouchers = {v.id: v for v in uow.vouchers.by_order(PASS_ORDER)}
    assert order.status is OrderStatus.PAID
    assert (order.paid_fen, order.refunded_fen) == (10000, 3333)
    assert [r.status for r in order.refunds] == [RefundStatus.SUCCEEDED]
    assert {k: (v.customer_id, v.status, v.used) for k, v in vouchers.items()} == {
        "V000001": ("alice", VoucherStatus.REFUNDED, 1),
        "V000002": ("bob", VoucherStatus.VERIFIED, 1),
    }


def test_the_database_agrees_on_the_return(engine: Engine) -> None:
    # RULES: AS-3, ORD-9
    uow = _uow(engine)
    with uow:
        order = uow.orders.get(TEA_ORDER)
        tea = uow.inventory.level(TEA_SKU)
        boat = uow.inventory.level(PASS_SKU)
    assert (order.status, order.close_reason) == (OrderStatus.CLOSED,
                                                   CloseReason.FULLY_REFUNDED)
    assert (order.paid_fen, order.refunded_fen) == (12100, 11300)
    assert [c.status for c in order.after_sales] == [AfterSaleStatus.REFUNDED]
    assert order.coupon_id == "TEA5A0001"
    assert (tea.available, tea.reserved, tea.sold) == (20, 0, 0)  # the return is back
    assert (boat.available, boat.reserved, boat.sold) == (49, 0, 1)


def test_the_database_agrees_on_the_flash_sale(demo: tuple[str, str],
                                               engine: Engine) -> None:
    # RULES: FS-3, FS-5, ORD-6, ORD-9
    uow = _uow(engine)
    with uow:
        flash = uow.orders.search(OrderQuery(activity_types={"flash_sale"}), AFTER)
        buds = uow.inventory.level(BUDS_SKU)
        statuses = [uow.orders.get(s.number).status for s in flash]
    assert len(flash) == 100 and {s.total_fen for s in flash} == {9900}
    assert (statuses.count(OrderStatus.PAID), statuses.count(OrderStatus.CLOSED)) == (60, 40)
    assert len({s.customer_id for s in flash}) == 100  # one each: the per-user limit
    assert (buds.available, buds.reserved, buds.sold) == (240, 0, 60)
    side_engine = make_engine(demo[0])
    try:
        stock = SqlFlashStock(side_engine)
        assert (stock.remaining(SALE, BUDS_SKU), stock.reserved(SALE, BUDS_SKU),
                stock.sold(SALE, BUDS_SKU)) == (40, 0, 60)
        states = [state for _, _, _, state in stock.holds(SALE)]
        assert (states.count("sold"), states.count("released")) == (60, 40)
    finally:
        side_engine.dispose()


# ------------------------------------------------------------------ the command
def test_the_command_exits_0_fresh_and_kept(tmp_path: Path) -> None:
    """Stale files where the database goes are removed by a fresh run; --keep adds
    a second run on later days to what the database holds."""
    db = tmp_path / "cli.db"
    for junk in (db, tmp_path / "cli.db-wal", tmp_path / "cli.db-shm"):
        junk.write_bytes(b"not a database")
    url = f"sqlite:///{db}"
    for args, run in (([], 1), (["--keep"], 2)):
        done = subprocess.run([sys.executable, "-m", "mallcore", "demo", "--url", url, *args],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert f"(run {run}," in done.stdout
        assert "100 orders at ¥99.00, 50 turned away sold out" in done.stdout
