"""One contract suite, many stores: the ``FlashStock`` and ``FlashLimitLedger`` ports,
the ``FlashGate``, and ``FlashSaleRule`` on top of each (FS-1, FS-2, FS-3, FS-5).

The in-memory stores are the reference; ``RedisFlashStore`` must answer the same.
Each test runs once per store (the Redis ones skip without a server, or fail
under ``CI=true``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mallcore.errors import InvalidInput, InvalidTransition, LimitReached, NotAllowed, NotFound
from mallcore.money import money
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import (
    Admission,
    FlashGate,
    FlashLimits,
    FlashSale,
    FlashSaleItem,
    FlashSaleRule,
    MemoryFlashGate,
)
from mallcore.promotions.flash_stock import FlashLevel, MemoryFlashStock

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
DURING = START + timedelta(minutes=1)
SALE = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)), [
    FlashSaleItem("red", money("9.90"), 100, per_user_limit=2),
    FlashSaleItem("blue", money("9.90"), 100, per_user_limit=2),
    FlashSaleItem("free", money("9.90"), 100),  # no limit
])


def _redis(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("redis_store")


def _sql(request: pytest.FixtureRequest, port: str) -> Any:
    """The SQL ports on a fresh SQLite file (PostgreSQL runs them in tests/adapters/sqlalchemy)."""
    from mallcore_adapters.sqlalchemy import make_engine
    from mallcore_adapters.sqlalchemy.flash import SqlFlashLimits, SqlFlashStock
    from mallcore_adapters.sqlalchemy.schema import metadata

    engine = make_engine(f"sqlite:///{request.getfixturevalue('tmp_path') / 'flash.db'}")
    metadata.create_all(engine)
    request.addfinalizer(engine.dispose)
    return SqlFlashStock(engine) if port == "stock" else SqlFlashLimits(engine)


STOCKS: dict[str, Callable[[pytest.FixtureRequest], Any]] = {
    "sql": lambda request: _sql(request, "stock"),
    "memory": lambda _: MemoryFlashStock(),
    "memory-gate": lambda _: MemoryFlashGate(),
    "redis": _redis,
}
LEDGERS: dict[str, Callable[[pytest.FixtureRequest], Any]] = {
    "sql": lambda request: _sql(request, "limits"),
    "memory": lambda _: FlashLimits(),
    "memory-gate": lambda _: MemoryFlashGate(),
    "redis": _redis,
}
GATES: dict[str, Callable[[pytest.FixtureRequest], Any]] = {
    "memory-gate": lambda _: MemoryFlashGate(),
    "redis": _redis,
}


def _redis_ports(request: pytest.FixtureRequest, sale: FlashSale) -> FlashSaleRule:
    """Redis as two separate objects on the same keys: the rule's two-step path
    through the plain ports, sharing one ref record per line."""
    from mallcore_adapters.redis import RedisFlashStore

    store = _redis(request)
    return FlashSaleRule(sale, store, RedisFlashStore(store.client, prefix=store.prefix))


RULES: dict[str, Callable[[pytest.FixtureRequest, FlashSale], FlashSaleRule]] = {
    "two-step-memory": lambda _, sale: FlashSaleRule(sale, MemoryFlashStock(), FlashLimits()),
    "memory-gate": lambda _, sale: FlashSaleRule(sale, MemoryFlashGate()),
    "redis-gate": lambda request, sale: FlashSaleRule(sale, _redis(request)),
    "redis-two-step": _redis_ports,
}


@pytest.fixture(params=sorted(STOCKS))
def stock(request: pytest.FixtureRequest) -> Any:
    return STOCKS[request.param](request)


@pytest.fixture(params=sorted(LEDGERS))
def ledger(request: pytest.FixtureRequest) -> Any:
    return LEDGERS[request.param](request)


@pytest.fixture(params=sorted(GATES))
def gate(request: pytest.FixtureRequest) -> Any:
    return GATES[request.param](request)


@pytest.fixture(params=sorted(RULES))
def make_rule(request: pytest.FixtureRequest) -> Callable[[FlashSale], FlashSaleRule]:
    return lambda sale=SALE: RULES[request.param](request, sale)


def level(s: Any, sku: str = "red", sale: str = "fs") -> FlashLevel:
    got = FlashLevel(s.remaining(sale, sku) + s.reserved(sale, sku) + s.sold(sale, sku),
                     s.remaining(sale, sku), s.reserved(sale, sku), s.sold(sale, sku))
    assert min(got.remaining, got.reserved, got.sold) >= 0
    return got


# ================================================================ FlashStock
# RULES: FS-1
def test_load_is_set_once_and_idempotent_for_the_same_number(stock: Any) -> None:
    assert stock.load("fs", "red", 10) is True
    assert stock.load("fs", "red", 10) is False
    with pytest.raises(NotAllowed) as err:
        stock.load("fs", "red", 11)
    assert err.value.rule == "FS-1"
    assert stock.load("fs2", "red", 3) is True  # another sale: its own stock
    assert (stock.remaining("fs", "red"), stock.remaining("fs2", "red")) == (10, 3)
    with pytest.raises(InvalidInput):
        stock.load("fs", "blue", 0)
    with pytest.raises(NotFound) as missing:
        stock.remaining("fs", "blue")
    assert missing.value.rule == "FS-1"
    with pytest.raises(NotFound):
        stock.reserve("fs", "blue", 1, "o1")


# RULES: FS-5
def test_reserve_holds_units_or_answers_false_and_a_repeated_ref_keeps_its_first_answer(
    stock: Any,
) -> None:
    stock.load("fs", "red", 3)
    assert stock.reserve("fs", "red", 2, "o1") is True
    assert stock.reserve("fs", "red", 2, "o2") is False  # 1 left
    assert stock.reserve("fs", "red", 2, "o1") is True  # retry: not reserved twice
    assert level(stock) == FlashLevel(3, 1, 2, 0)
    assert stock.release("o1") is True
    assert stock.reserve("fs", "red", 2, "o2") is False  # its first answer stands
    assert stock.reserve("fs", "red", 2, "o1") is True  # first answer, nothing held again
    assert level(stock) == FlashLevel(3, 3, 0, 0)
    with pytest.raises(NotAllowed) as err:
        stock.reserve("fs", "red", 1, "o1")  # same ref, another quantity
    assert err.value.rule == "FS-5"
    with pytest.raises(InvalidInput):
        stock.reserve("fs", "red", 0, "o3")


# RULES: FS-5
def test_a_ref_is_one_reservation_across_sales(stock: Any) -> None:
    stock.load("fs", "red", 3)
    stock.load("fs2", "red", 3)
    assert stock.reserve("fs", "red", 1, "o1") is True
    with pytest.raises(NotAllowed) as err:
        stock.reserve("fs2", "red", 1, "o1")
    assert err.value.rule == "FS-5"
    assert (stock.reserved("fs", "red"), stock.reserved("fs2", "red")) == (1, 0)


# RULES: FS-3, FS-5
def test_release_and_confirm_move_units_once(stock: Any) -> None:
    stock.load("fs", "red", 5)
    stock.reserve("fs", "red", 2, "paid")
    stock.reserve("fs", "red", 2, "closed")
    assert stock.confirm("paid") is True
    assert stock.confirm("paid") is False  # a repeated payment notification
    assert stock.release("paid") is False  # paid units stay sold
    assert stock.release("closed") is True
    assert stock.release("closed") is False
    assert stock.release("never") is False
    assert level(stock) == FlashLevel(5, 3, 0, 2)
    with pytest.raises(InvalidTransition) as late:
        stock.confirm("closed")  # a late payment for a closed order
    assert late.value.rule == "FS-3"
    with pytest.raises(NotFound):
        stock.confirm("never")
    assert stock.reserve("fs", "red", 4, "big") is False
    with pytest.raises(InvalidTransition) as refused:
        stock.confirm("big")  # nothing was held
    assert refused.value.rule == "FS-5"


# ========================================================== FlashLimitLedger
# RULES: FS-2
def test_ledger_refuses_past_the_limit_all_or_nothing(ledger: Any) -> None:
    ledger.use("fs", "alice", "red", 1, "o1", limit=2)
    with pytest.raises(LimitReached) as err:
        ledger.use("fs", "alice", "red", 2, "o2", limit=2)
    assert err.value.rule == "FS-2"
    assert "1 already ordered, 2 asked" in str(err.value)
    assert ledger.used("fs", "alice", "red") == 1
    ledger.use("fs", "alice", "red", 1, "o3", limit=2)
    assert ledger.used("fs", "alice", "red") == 2
    assert ledger.used("fs", "bob", "red") == 0
    ledger.use("fs", "alice", "red", 1, "o1", limit=2)  # a retry: counted once
    assert ledger.used("fs", "alice", "red") == 2
    with pytest.raises(NotAllowed):
        ledger.use("fs", "alice", "red", 2, "o1", limit=5)  # same ref, other quantity


# RULES: FS-2, FS-3
def test_ledger_confirm_and_give_back_are_idempotent_and_guarded(ledger: Any) -> None:
    ledger.use("fs", "alice", "red", 1, "o1", limit=None)
    assert ledger.confirm("o1") is True
    assert ledger.confirm("o1") is False
    assert ledger.give_back("o1") is False  # paid: kept
    ledger.use("fs", "alice", "red", 1, "o2", limit=None)
    assert ledger.give_back("o2") is True
    assert ledger.give_back("o2") is False
    assert ledger.give_back("nope") is False
    assert ledger.used("fs", "alice", "red") == 1
    with pytest.raises(InvalidTransition) as err:
        ledger.confirm("o2")
    assert err.value.rule == "FS-3"
    with pytest.raises(NotFound):
        ledger.confirm("nope")
    with pytest.raises(NotAllowed, match="new reference"):
        ledger.use("fs", "alice", "red", 1, "o2", limit=None)


# ================================================================ FlashGate
def _loaded(gate: Any, **stock: int) -> Any:
    for sku, n in stock.items():
        gate.load("fs", sku, n)
    return gate


# RULES: FS-2, FS-5
def test_a_gate_checks_the_limit_then_the_stock_in_one_step(gate: Any) -> None:
    assert isinstance(gate, FlashGate)
    _loaded(gate, red=3)
    assert gate.submit("fs", "red", "alice", 2, "a1", limit=2).outcome is Admission.HELD
    over = gate.submit("fs", "red", "alice", 1, "a2", limit=2)
    assert (over.outcome, over.used) == (Admission.OVER_LIMIT, 2)
    out = gate.submit("fs", "red", "bob", 2, "b1", limit=2)
    assert (out.outcome, out.remaining) == (Admission.SOLD_OUT, 1)
    assert gate.used("fs", "bob", "red") == 0  # a sold-out submission uses no limit
    assert gate.used("fs", "alice", "red") == 2
    assert level(gate) == FlashLevel(3, 1, 2, 0)
    with pytest.raises(NotFound):
        gate.submit("fs", "blue", "bob", 1, "b2", limit=2)


# RULES: FS-2, FS-5
def test_a_repeated_submission_returns_its_first_answer_and_changes_nothing(gate: Any) -> None:
    _loaded(gate, red=3)
    gate.submit("fs", "red", "alice", 2, "a1", limit=2)
    gate.submit("fs", "red", "alice", 1, "a2", limit=2)  # over the limit
    gate.submit("fs", "red", "bob", 2, "b1", limit=2)  # sold out (1 left)
    assert gate.close("fs", "a1", return_limit=True) is True  # now 3 left, alice at 0
    # the refusals stand, with their first numbers, though they would now pass
    again = gate.submit("fs", "red", "alice", 1, "a2", limit=2)
    assert (again.outcome, again.used) == (Admission.OVER_LIMIT, 2)
    still = gate.submit("fs", "red", "bob", 2, "b1", limit=2)
    assert (still.outcome, still.remaining) == (Admission.SOLD_OUT, 1)
    # a closed submission is spent
    assert gate.submit("fs", "red", "alice", 2, "a1", limit=2).outcome is Admission.SPENT
    assert level(gate) == FlashLevel(3, 3, 0, 0)
    assert gate.used("fs", "alice", "red") == gate.used("fs", "bob", "red") == 0
    gate.submit("fs", "red", "carol", 1, "c1", limit=None)
    assert gate.submit("fs", "red", "carol", 1, "c1", limit=None).outcome is Admission.HELD
    assert level(gate) == FlashLevel(3, 2, 1, 0)
    for args in (("fs", "red", "dave", 1, "c1"), ("fs", "red", "carol", 2, "c1")):
        with pytest.raises(NotAllowed) as err:  # same ref, other customer or quantity
            gate.submit(*args, limit=None)
        assert err.value.rule == "FS-5"


# RULES: FS-2, FS-3, FS-5
def test_a_gate_pays_and_closes_once_and_refuses_a_late_payment(gate: Any) -> None:
    _loaded(gate, red=5)
    gate.submit("fs", "red", "alice", 2, "paid", limit=4)
    gate.submit("fs", "red", "alice", 1, "kept", limit=4)
    gate.submit("fs", "red", "alice", 1, "back", limit=4)
    assert gate.pay("fs", "paid") is True
    assert gate.pay("fs", "paid") is False
    assert gate.close("fs", "paid", return_limit=True) is False  # paid: stays sold
    assert gate.close("fs", "kept", return_limit=False) is True
    assert gate.close("fs", "back", return_limit=True) is True
    assert gate.close("fs", "back", return_limit=True) is False
    assert level(gate) == FlashLevel(5, 3, 0, 2)
    assert gate.used("fs", "alice", "red") == 3  # paid 2 + kept 1; "back" returned
    with pytest.raises(InvalidTransition) as late:
        gate.pay("fs", "back")
    assert late.value.rule == "FS-3"
    with pytest.raises(NotFound):
        gate.pay("fs", "never")
    assert gate.close("fs", "never", return_limit=True) is False
    gate.load("other", "red", 1)
    with pytest.raises(NotFound):
        gate.pay("other", "paid")  # a ref belongs to its sale
    assert gate.close("other", "kept", return_limit=True) is False


# RULES: FS-5
def test_a_gate_refuses_a_ref_made_by_the_plain_ports(gate: Any) -> None:
    _loaded(gate, red=5)
    gate.reserve("fs", "red", 1, "plain")
    with pytest.raises(NotAllowed) as err:
        gate.submit("fs", "red", "alice", 1, "plain", limit=None)
    assert err.value.rule == "FS-5"
    assert level(gate) == FlashLevel(5, 4, 1, 0)


# ====================================================== FlashSaleRule on each
# RULES: FS-2
def test_the_rule_limits_per_sku_and_per_customer(make_rule: Any) -> None:
    r = make_rule()
    r.submit("alice", "red", 2, "o1/red", now=DURING)
    r.submit("alice", "blue", 2, "o1/blue", now=DURING)  # another SKU: its own limit
    r.submit("bob", "red", 2, "o2/red", now=DURING)  # another customer
    with pytest.raises(LimitReached) as err:
        r.submit("alice", "red", 1, "o3/red", now=DURING)
    assert err.value.rule == "FS-2"
    assert str(err.value) == ("flash SKU 'red' in sale 'fs' for customer 'alice': limit 2 per "
                              "customer, 2 already ordered, 1 asked [FS-2]")
    r.submit("alice", "free", 50, "o4/free", now=DURING)  # unlimited SKU
    assert r.limits.used("fs", "alice", "red") == 2
    assert r.stock.remaining("fs", "red") == 96


# RULES: FS-2, FS-3
def test_the_rule_gives_the_limit_back_on_close_and_keeps_it_once_paid(make_rule: Any) -> None:
    r = make_rule()
    r.submit("alice", "red", 2, "o1", now=DURING)
    assert r.close_unpaid("o1") is True
    assert r.limits.used("fs", "alice", "red") == 0
    r.submit("alice", "red", 2, "o2", now=DURING)
    assert r.pay("o2") is True
    assert r.pay("o2") is False
    assert r.close_unpaid("o2") is False
    assert r.limits.used("fs", "alice", "red") == 2
    with pytest.raises(LimitReached):
        r.submit("alice", "red", 1, "o3", now=DURING)
    with pytest.raises(InvalidTransition) as late:
        r.pay("o1")
    assert late.value.rule == "FS-3"
    assert (r.stock.sold("fs", "red"), r.stock.reserved("fs", "red")) == (2, 0)


# RULES: FS-2, FS-3
def test_the_rule_may_keep_the_limit_used_on_close(make_rule: Any) -> None:
    keep = FlashSale("fs", "秒杀", SALE.window, SALE.items, return_limit_on_close=False)
    r = make_rule(keep)
    r.submit("alice", "red", 2, "o1", now=DURING)
    assert r.close_unpaid("o1") is True
    assert r.stock.remaining("fs", "red") == 100
    assert r.limits.used("fs", "alice", "red") == 2


# RULES: FS-2, FS-5
def test_a_retried_submission_is_counted_once_and_a_closed_ref_is_spent(make_rule: Any) -> None:
    r = make_rule()
    r.submit("alice", "red", 1, "o1", now=DURING)
    r.submit("alice", "red", 1, "o1", now=DURING)
    assert r.limits.used("fs", "alice", "red") == 1
    assert r.stock.reserved("fs", "red") == 1
    with pytest.raises(NotAllowed):  # same ref, other quantity
        r.submit("alice", "red", 2, "o1", now=DURING)
    r.close_unpaid("o1")
    with pytest.raises(NotAllowed, match="new reference"):
        r.submit("alice", "red", 1, "o1", now=DURING)
    assert (r.stock.reserved("fs", "red"), r.limits.used("fs", "alice", "red")) == (0, 0)


# RULES: FS-2, FS-5
def test_a_sold_out_submission_is_refused_uses_no_limit_and_its_retry_holds_nothing(
    make_rule: Any,
) -> None:
    sale = FlashSale("fs", "秒杀", SALE.window, [FlashSaleItem("red", money("1"), 1, 5)])
    r = make_rule(sale)
    r.submit("bob", "red", 1, "o1", now=DURING)
    with pytest.raises(LimitReached, match="sold out") as err:
        r.submit("alice", "red", 1, "o2", now=DURING)
    assert err.value.rule == "FS-5"
    assert str(err.value) == "flash SKU 'red' in sale 'fs': red: sold out [FS-5]"
    assert r.limits.used("fs", "alice", "red") == 0
    r.close_unpaid("o1")  # a unit is back, yet the refused ref stays refused
    with pytest.raises(NotAllowed):
        r.submit("alice", "red", 1, "o2", now=DURING)
    assert (r.stock.remaining("fs", "red"), r.limits.used("fs", "alice", "red")) == (1, 0)


# RULES: FS-1, FS-2
def test_the_gate_path_is_taken_only_for_one_store_holding_both() -> None:
    gate = MemoryFlashGate()
    assert FlashSaleRule(SALE, gate).gate is gate
    assert FlashSaleRule(SALE, gate, gate).gate is gate
    assert FlashSaleRule(SALE, gate, FlashLimits()).gate is None  # two stores: two steps
    assert FlashSaleRule(SALE, MemoryFlashStock(), FlashLimits()).gate is None
    with pytest.raises(InvalidInput) as err:
        FlashSaleRule(SALE, MemoryFlashStock())
    assert err.value.rule == "FS-2"
