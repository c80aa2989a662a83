"""What only the Redis store has to prove: one cluster slot per sale, EVALSHA with
reloading, idempotency by ref through the rule, pausing, and the MissingExtra guard."""

from __future__ import annotations

import importlib
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mallcore.errors import NotAllowed
from mallcore.money import money
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import Admission, FlashSale, FlashSaleItem, FlashSaleRule
from mallcore.promotions.flash_stock import FlashLevel

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
DURING = START + timedelta(minutes=1)


# RULES: FS-5
@pytest.mark.parametrize("sale_id", ["fs", "双十一:秒杀", "a}b{c", "x" * 200])
def test_every_key_of_a_sale_is_in_one_cluster_slot(redis_store: Any, sale_id: str) -> None:
    from redis.crc import key_slot  # crc16 of the hash tag, as Redis Cluster computes it

    redis_store.load(sale_id, "red", 5)
    redis_store.submit(sale_id, "red", "alice", 1, "o1", limit=2)
    redis_store.pause(sale_id)
    keys = redis_store.keys(sale_id)
    slots = {key_slot(k.encode()) for k in (*keys.all, *keys.staging())}
    assert len(slots) == 1, slots
    written = [k.decode() for k in redis_store.client.scan_iter(
        match=f"{redis_store.prefix}:{{*", count=1000)]
    assert len(written) == len(keys.all)  # loaded, remaining, reserved, sold, used, refs, paused
    assert {key_slot(k.encode()) for k in written} == slots


# RULES: FS-5
def test_sales_are_spread_over_slots(redis_store: Any) -> None:
    from redis.crc import key_slot

    slots = {key_slot(redis_store.keys(f"sale-{i}").refs.encode()) for i in range(20)}
    assert len(slots) > 10


# RULES: FS-5
def test_the_scripts_run_by_evalsha_and_are_reloaded_after_a_script_flush(
    redis_store: Any,
) -> None:
    redis_store.load("fs", "red", 3)
    redis_store.client.script_flush()
    assert redis_store.submit("fs", "red", "alice", 1, "o1", limit=None).outcome is Admission.HELD
    sha = redis_store._submit.sha
    assert redis_store.client.script_exists(sha) == [True]
    assert redis_store.level("fs", "red") == FlashLevel(3, 2, 1, 0)


# RULES: FS-2, FS-5
def test_a_retried_request_changes_nothing_in_redis(redis_store: Any) -> None:
    sale = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)),
                     [FlashSaleItem("red", money("9.90"), 3, per_user_limit=2)])
    rule = FlashSaleRule(sale, redis_store)
    assert rule.gate is redis_store
    rule.submit("alice", "red", 2, "o1", now=DURING)
    before = {k: redis_store.client.dump(k) for k in redis_store.keys("fs").data}
    for _ in range(3):
        rule.submit("alice", "red", 2, "o1", now=DURING)
    after = {k: redis_store.client.dump(k) for k in redis_store.keys("fs").data}
    assert before == after
    assert redis_store.level("fs", "red") == FlashLevel(3, 1, 2, 0)


# RULES: FS-5
def test_a_paused_sale_refuses_submissions_but_pays_and_closes(redis_store: Any) -> None:
    redis_store.load("fs", "red", 5)
    redis_store.submit("fs", "red", "alice", 1, "o1", limit=None)
    redis_store.submit("fs", "red", "alice", 1, "o2", limit=None)
    redis_store.pause("fs")
    assert redis_store.is_paused("fs")
    for call in (lambda: redis_store.submit("fs", "red", "bob", 1, "o3", limit=None),
                 lambda: redis_store.reserve("fs", "red", 1, "o4"),
                 lambda: redis_store.use("fs", "bob", "red", 1, "o5", limit=None)):
        with pytest.raises(NotAllowed, match="paused") as err:
            call()
        assert err.value.rule == "FS-5"
    # a retry of a known ref still gets its first answer
    assert redis_store.submit("fs", "red", "alice", 1, "o1", limit=None).outcome is Admission.HELD
    assert redis_store.pay("fs", "o1") is True
    assert redis_store.close("fs", "o2", return_limit=True) is True
    redis_store.resume("fs")
    assert redis_store.submit("fs", "red", "bob", 1, "o3", limit=None).outcome is Admission.HELD
    assert redis_store.level("fs", "red") == FlashLevel(5, 3, 1, 1)


# RULES: FS-1, FS-5
def test_prefixes_keep_stores_apart_and_decoded_clients_work(
    redis_client: Any, new_prefix: Any
) -> None:
    import redis

    from mallcore_adapters.redis import RedisFlashStore

    url = os.environ.get("MALLCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    decoded = redis.Redis.from_url(url, decode_responses=True)
    a = RedisFlashStore(redis_client, prefix=new_prefix())
    b = RedisFlashStore(decoded, prefix=new_prefix())
    a.load("fs", "red", 2)
    b.load("fs", "red", 5)
    b.reserve("fs", "red", 1, "o1")
    with pytest.raises(NotAllowed) as reused:
        b.reserve("fs", "red", 2, "o1")
    assert "1 of SKU 'red'" in str(reused.value)
    assert b.confirm("o1") is True
    assert (a.remaining("fs", "red"), b.level("fs", "red")) == (2, FlashLevel(5, 4, 0, 1))
    assert [r.stock for r in b.records("fs")] == ["sold"]
    decoded.close()


# RULES: FS-5
def test_a_ref_known_to_two_sales_through_the_gate_is_refused_by_the_ref_only_ports(
    redis_store: Any,
) -> None:
    redis_store.load("a", "red", 2)
    redis_store.load("b", "red", 2)
    redis_store.submit("a", "red", "alice", 1, "same", limit=None)
    redis_store.submit("b", "red", "alice", 1, "same", limit=None)  # the gate scopes by sale
    with pytest.raises(NotAllowed, match="several sales"):
        redis_store.release("same")
    assert redis_store.pay("a", "same") is True  # naming the sale works
    assert redis_store.close("b", "same", return_limit=True) is True


def test_importing_the_adapter_without_redis_names_the_extra(monkeypatch: Any) -> None:
    from mallcore_adapters import MissingExtra

    for name in [m for m in sys.modules if m == "redis" or m.startswith(("redis.",
                                                                          "mallcore_adapters.redis"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    with pytest.raises(MissingExtra) as caught:
        importlib.import_module("mallcore_adapters.redis")
    assert caught.value.extra == "redis"
    assert "pip install 'mallcore[redis]'" in str(caught.value)
