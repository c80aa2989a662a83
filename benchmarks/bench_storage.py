"""Storage throughput: PostgreSQL hot-row flash decrements, SQLite orders placed.

Run with ``nox -s bench`` (or ``python benchmarks/bench_storage.py``).  Figures
are printed and written to ``.bench/storage.json``.  Targets (issue 6):

* PostgreSQL: ≥ 1,000 *successful* flash-stock decrements/s on one hot row at
  64 clients, with zero oversell (every reservation counted, the row checked);
* SQLite: orders placed/s through ``place_order`` on the embedded default.

``--quick`` runs smaller rounds (CI).  The PostgreSQL URL is
``MALLCORE_TEST_POSTGRES_URL`` (default the machine's ``test`` database); each
run uses a schema of its own and drops it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from mallcore.catalog import Catalog, Product, Sku
from mallcore.money import money
from mallcore.pricing import Cart, PricingPipeline
from mallcore.services.orders import place_order
from mallcore_adapters.sqlalchemy import SqlUnitOfWork, make_engine
from mallcore_adapters.sqlalchemy.flash import SqlFlashStock
from mallcore_adapters.sqlalchemy.schema import metadata
from mallcore_adapters.sqlalchemy.store import SqlNumbers

POSTGRES_URL = os.environ.get("MALLCORE_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 11, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def bench_postgres_hot_row(clients: int, stock: int) -> dict[str, object]:
    """``clients`` threads reserve 1 unit each of one SKU until ``stock`` is gone."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine = make_engine(POSTGRES_URL, pool_size=clients, max_overflow=0,
                         connect_args={"options": f"-csearch_path={name}"})
    try:
        metadata.create_all(engine)
        store = SqlFlashStock(engine)
        store.load("fs", "hot", stock)
        successes = [0] * clients
        refusals = [0] * clients
        start_line = threading.Barrier(clients + 1)

        def client(i: int) -> None:
            start_line.wait()
            n = 0
            while True:
                n += 1
                if store.reserve("fs", "hot", 1, f"c{i}-{n}"):
                    successes[i] += 1
                else:
                    refusals[i] += 1
                    return

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        start_line.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        won = sum(successes)
        remaining, reserved = store.remaining("fs", "hot"), store.reserved("fs", "hot")
        return {
            "clients": clients, "stock": stock, "successes": won,
            "refusals": sum(refusals), "seconds": round(elapsed, 3),
            "successes_per_s": round(won / elapsed, 1),
            "oversold": won - stock if won > stock else 0,
            "row_consistent": remaining == 0 and reserved == stock == won,
            "target_per_s": 1000,
        }
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def bench_sqlite_orders(orders: int) -> dict[str, object]:
    """Orders placed one after another on a fresh SQLite file (WAL, BEGIN IMMEDIATE)."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        metadata.create_all(engine)
        catalog = Catalog([Product(id="p-tea", name="Tea", on_shelf=True,
                                   skus=[Sku(id="tea", price=money("50.00"), stock=10**6)])])
        uow = SqlUnitOfWork(engine, catalog=catalog)
        with uow:
            uow.inventory.receive("tea", 10**6, ref="initial")
            uow.commit()
        numbers = SqlNumbers(engine)
        pipeline = PricingPipeline(())
        breakdown = pipeline.price(Cart.from_catalog(catalog, [("tea", 1)],
                                                     shipping=money("5.00")), now=NOW)
        started = time.perf_counter()
        for i in range(orders):
            place_order(uow, numbers, customer_id=f"c{i % 50}", breakdown=breakdown,
                        catalog=catalog, now=NOW)
        elapsed = time.perf_counter() - started
        with uow:
            reserved = uow.inventory.level("tea").reserved
        engine.dispose()
    return {"orders": orders, "seconds": round(elapsed, 3),
            "orders_per_s": round(orders / elapsed, 1), "stock_reserved": reserved}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short rounds (CI)")
    parser.add_argument("--out", default=".bench/storage.json")
    args = parser.parse_args(argv)
    hot = bench_postgres_hot_row(64, 1000 if args.quick else 5000)
    print(f"PostgreSQL hot row, {hot['clients']} clients: {hot['successes']} successes in "
          f"{hot['seconds']} s = {hot['successes_per_s']}/s (target ≥ 1,000/s); "
          f"oversold {hot['oversold']}, row consistent: {hot['row_consistent']}")
    orders = bench_sqlite_orders(100 if args.quick else 500)
    print(f"SQLite: {orders['orders']} orders placed in {orders['seconds']} s = "
          f"{orders['orders_per_s']} orders/s")
    result = {"machine": platform.node(), "python": sys.version.split()[0],
              "quick": args.quick, "postgres_hot_row": hot, "sqlite_orders": orders}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written to {out}")
    failed = hot["oversold"] or not hot["row_consistent"] or orders["stock_reserved"] != \
        orders["orders"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
