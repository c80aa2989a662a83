"""After a drain, what Redis says was sold equals the paid orders in the database
(FS-5); differences are reported, and Redis can be rebuilt from the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mallcore.errors import InvalidInput, NotAllowed
from mallcore.money import money
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import Admission, FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.flash_stock import FlashLevel

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
DURING = START + timedelta(minutes=1)
SALE = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)), [
    FlashSaleItem("red", money("9.90"), 10, per_user_limit=3),
    FlashSaleItem("blue", money("9.90"), 5),
])


def drained(store: Any) -> list[Any]:
    """A sale after some orders, and the database's records of them."""
    from mallcore_adapters.redis import FlashRecord

    rule = FlashSaleRule(SALE, store)
    rule.submit("alice", "red", 2, "o1", now=DURING)
    rule.submit("bob", "red", 1, "o2", now=DURING)
    rule.submit("bob", "blue", 3, "o3", now=DURING)
    rule.submit("carol", "red", 1, "o4", now=DURING)
    with pytest.raises(NotAllowed):
        rule.submit("alice", "red", 2, "o5", now=DURING)  # over the limit: not in the database
    rule.pay("o1")
    rule.pay("o3")
    rule.close_unpaid("o4")
    return [FlashRecord("o1", "red", "alice", 2, "sold"),
            FlashRecord("o2", "red", "bob", 1, "reserved"),
            FlashRecord("o3", "blue", "bob", 3, "sold"),
            FlashRecord("o4", "red", "carol", 1, "released")]


# RULES: FS-5
def test_a_drained_sale_reconciles(redis_store: Any) -> None:
    from mallcore_adapters.redis import reconcile

    records = drained(redis_store)
    report = reconcile(redis_store, "fs", records)
    assert report.ok, str(report)
    assert report.levels["red"] == FlashLevel(10, 7, 1, 2)
    assert "agree" in str(report)


# RULES: FS-5, FS-2
def test_every_kind_of_difference_is_reported(redis_store: Any) -> None:
    from mallcore_adapters.redis import FlashRecord, reconcile

    records = drained(redis_store)
    db = [records[0],  # o1 as is
          FlashRecord("o2", "red", "bob", 1, "sold"),  # paid in the database, not in Redis
          FlashRecord("o4", "red", "carol", 2, "released"),  # another quantity
          FlashRecord("o9", "red", "dave", 1, "sold")]  # Redis never saw it; o3 missing
    report = reconcile(redis_store, "fs", db)
    assert not report.ok
    by_sku = {d.sku_id: d for d in report.skus}
    assert (by_sku["red"].redis_sold, by_sku["red"].database_sold) == (2, 4)
    assert (by_sku["red"].redis_reserved, by_sku["red"].database_reserved) == (1, 0)
    assert (by_sku["blue"].redis_sold, by_sku["blue"].database_sold) == (3, 0)
    refs = {d.ref: (d.redis, d.database) for d in report.refs}
    assert refs == {"o2": ("held", "sold"), "o3": ("sold", None),
                    "o4": ("released", "released"), "o9": (None, "sold")}
    limits = {(d.customer_id, d.sku_id): (d.redis, d.database) for d in report.limits}
    assert limits == {("bob", "blue"): (3, 0), ("dave", "red"): (0, 1)}
    assert report.unbalanced == ()
    text = str(report)
    assert "o9: the database has it sold, Redis does not know it" in text


# RULES: FS-5
def test_an_unbalanced_sku_is_reported(redis_store: Any) -> None:
    from mallcore_adapters.redis import reconcile

    records = drained(redis_store)
    redis_store.client.hincrby(redis_store.keys("fs").remaining, "red", -1)  # a lost unit
    report = reconcile(redis_store, "fs", records)
    assert report.unbalanced == ("red",)


# RULES: FS-5, FS-2
def test_rebuild_restores_a_lost_sale_from_the_database_and_is_idempotent(
    redis_store: Any,
) -> None:
    from mallcore_adapters.redis import rebuild, reconcile

    records = drained(redis_store)
    before = {k: redis_store.client.hgetall(k) for k in redis_store.keys("fs").data[:5]}
    redis_store.client.delete(*redis_store.keys("fs").data)  # Redis lost the sale
    with pytest.raises(NotAllowed, match="not paused") as err:
        rebuild(redis_store, SALE, records)
    assert err.value.rule == "FS-5"
    redis_store.pause("fs")
    for _ in range(2):
        levels = rebuild(redis_store, SALE, records)
        assert levels["red"] == FlashLevel(10, 7, 1, 2)
        assert reconcile(redis_store, "fs", records).ok
        after = {k: redis_store.client.hgetall(k) for k in redis_store.keys("fs").data[:5]}
        assert after == before  # stock and uses exactly as they were
    redis_store.resume("fs")
    rule = FlashSaleRule(SALE, redis_store)
    assert rule.pay("o2") is True  # the rebuilt reservation can be paid
    with pytest.raises(NotAllowed, match="new reference"):
        rule.submit("carol", "red", 1, "o4", now=DURING)  # a closed ref stays spent
    got = redis_store.submit("fs", "red", "alice", 1, "o6", limit=3)
    assert got.outcome is Admission.HELD  # alice: 2 used of 3
    assert redis_store.submit("fs", "red", "alice", 1, "o7", limit=3).outcome is (
        Admission.OVER_LIMIT)


# RULES: FS-5
def test_rebuild_refuses_records_that_oversell_or_name_another_sku(redis_store: Any) -> None:
    from mallcore_adapters.redis import FlashRecord, rebuild

    FlashSaleRule(SALE, redis_store)
    redis_store.pause("fs")
    before = redis_store.level("fs", "blue")
    with pytest.raises(NotAllowed) as err:
        rebuild(redis_store, SALE, [FlashRecord("o1", "blue", "a", 4, "sold"),
                                    FlashRecord("o2", "blue", "b", 2, "reserved")])
    assert err.value.rule == "FS-5"
    with pytest.raises(InvalidInput):
        rebuild(redis_store, SALE, [FlashRecord("o1", "green", "a", 1, "sold")])
    with pytest.raises(InvalidInput):
        rebuild(redis_store, SALE, [FlashRecord("o1", "blue", "a", 1, "sold")] * 2)
    assert redis_store.level("fs", "blue") == before


# RULES: FS-2, FS-3
def test_rebuild_keeps_limits_of_closed_orders_when_the_sale_does(redis_store: Any) -> None:
    from mallcore_adapters.redis import FlashRecord, rebuild, reconcile

    keep = FlashSale("fs", "秒杀", SALE.window, SALE.items, return_limit_on_close=False)
    records = [FlashRecord("o1", "red", "alice", 2, "released")]
    redis_store.pause("fs")
    rebuild(redis_store, keep, records)
    assert redis_store.used("fs", "alice", "red") == 2
    assert reconcile(redis_store, "fs", records, return_limit_on_close=False).ok
    assert not reconcile(redis_store, "fs", records).ok  # the other setting expects 0
