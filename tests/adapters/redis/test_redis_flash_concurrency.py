"""FS-5 and FS-2 under real concurrency against Redis: 200 buyers, 100 flash units,
from threads and from processes.  Exactly 100 sold; no customer past the limit.

100 buyers are customers of their own; the other 100 share 10 customer ids (10
buyers each) with a limit of 2, so at most 120 could be admitted: the stock is
always what runs out, and the shared customers race their own limit.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mallcore.errors import LimitReached
from mallcore.money import money
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.flash_stock import FlashLevel

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
DURING = START + timedelta(minutes=1)
UNITS, BUYERS, LIMIT = 100, 200, 2
URL = os.environ.get("MALLCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SALE = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)),
                 [FlashSaleItem("buds", money("99.00"), UNITS, per_user_limit=LIMIT)])


def customer_of(i: int) -> str:
    return f"solo-{i}" if i % 2 else f"shared-{i % 10}"


def buy(rule: FlashSaleRule, i: int) -> tuple[int, str, str]:
    """(buyer, customer, "sold" or the refusal's rule) for buyer ``i``: submit, then pay."""
    customer = customer_of(i)
    try:
        rule.submit(customer, "buds", 1, f"order-{i}/buds", now=DURING)
    except LimitReached as exc:
        return i, customer, str(exc.rule)
    assert rule.pay(f"order-{i}/buds") is True
    return i, customer, "sold"


def check(store: Any, results: list[tuple[int, str, str]]) -> None:
    assert len(results) == BUYERS
    outcomes = Counter(r for _, _, r in results)
    assert outcomes["sold"] == UNITS, outcomes
    assert set(outcomes) <= {"sold", "FS-2", "FS-5"}
    assert store.level("fs", "buds") == FlashLevel(UNITS, 0, 0, UNITS)
    per_customer = Counter(c for _, c, r in results if r == "sold")
    assert max(per_customer.values()) <= LIMIT
    for customer in {c for _, c, _ in results}:
        assert store.used("fs", customer, "buds") == per_customer[customer]
    # a solo customer can only have been refused because the stock ran out
    assert all(r != "FS-2" for _, c, r in results if c.startswith("solo"))


# RULES: FS-2, FS-5
@pytest.mark.concurrency
def test_two_hundred_threads_for_a_hundred_units(redis_store: Any, prefix: str) -> None:
    import redis

    from mallcore_adapters.redis import RedisFlashStore

    # an app server's client: a blocking pool, threads wait for a free connection
    pool = redis.BlockingConnectionPool.from_url(URL, max_connections=64, timeout=30)
    client = redis.Redis(connection_pool=pool)
    rule = FlashSaleRule(SALE, RedisFlashStore(client, prefix=prefix))
    results: list[tuple[int, str, str]] = []
    lock = threading.Lock()
    gate = threading.Barrier(BUYERS)

    def run(i: int) -> None:
        gate.wait()
        got = buy(rule, i)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(BUYERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    check(redis_store, results)


_worker_rule: FlashSaleRule | None = None


def _start_worker(url: str, prefix: str) -> None:
    import redis

    from mallcore_adapters.redis import RedisFlashStore

    global _worker_rule  # noqa: PLW0603 - one rule per worker process
    _worker_rule = FlashSaleRule(SALE, RedisFlashStore(redis.Redis.from_url(url), prefix=prefix))


def _buy_in_worker(i: int) -> tuple[int, str, str]:
    assert _worker_rule is not None
    return buy(_worker_rule, i)


# RULES: FS-2, FS-5
@pytest.mark.concurrency
def test_two_hundred_buyers_from_eight_processes_for_a_hundred_units(
    redis_store: Any, prefix: str
) -> None:
    FlashSaleRule(SALE, redis_store)  # loads the stock once
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(8, mp_context=context, initializer=_start_worker,
                             initargs=(URL, prefix)) as pool:
        results = list(pool.map(_buy_in_worker, range(BUYERS), chunksize=5))
    check(redis_store, results)
