"""FS-2: the per-user limit is per SKU (not per sale), used up at order submission,
held under threads; given back when the unpaid order closes (our documented choice)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidTransition, LimitReached, NotAllowed, NotFound
from mallcore.money import money
from mallcore.pricing import Buyer, CartLine, LinePrice, LineSkip, SkipReason
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import (
    FlashLimitLedger,
    FlashLimits,
    FlashSale,
    FlashSaleItem,
    FlashSaleRule,
)
from mallcore.promotions.flash_stock import MemoryFlashStock

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
DURING = START + timedelta(minutes=1)
SALE = FlashSale("fs", "秒杀", Window(START, START + timedelta(hours=1)), [
    FlashSaleItem("red", money("9.90"), 100, per_user_limit=2),
    FlashSaleItem("blue", money("9.90"), 100, per_user_limit=2),
    FlashSaleItem("free", money("9.90"), 100),  # no limit
])


def make_rule(sale: FlashSale = SALE) -> FlashSaleRule:
    return FlashSaleRule(sale, MemoryFlashStock(), FlashLimits())


def line(sku: str, quantity: int) -> CartLine:
    return CartLine(sku, "shirt", quantity, money("50.00"))


# RULES: FS-2
def test_ledger_refuses_past_the_limit_all_or_nothing() -> None:
    ledger: FlashLimitLedger = FlashLimits()
    ledger.use("fs", "alice", "red", 1, "o1", limit=2)
    with pytest.raises(LimitReached) as err:
        ledger.use("fs", "alice", "red", 2, "o2", limit=2)
    assert err.value.rule == "FS-2"
    assert "1 already ordered, 2 asked" in str(err.value)
    assert ledger.used("fs", "alice", "red") == 1  # nothing of the refused 2 was used
    ledger.use("fs", "alice", "red", 1, "o3", limit=2)
    assert ledger.used("fs", "alice", "red") == 2


# RULES: FS-2
def test_the_limit_is_per_sku_not_per_sale_and_per_customer() -> None:
    r = make_rule()
    r.submit("alice", "red", 2, "o1/red", now=DURING)
    r.submit("alice", "blue", 2, "o1/blue", now=DURING)  # another SKU: its own limit
    r.submit("bob", "red", 2, "o2/red", now=DURING)  # another customer
    with pytest.raises(LimitReached):
        r.submit("alice", "red", 1, "o3/red", now=DURING)
    r.submit("alice", "free", 50, "o4/free", now=DURING)  # unlimited SKU
    assert r.limits.used("fs", "alice", "red") == 2
    assert r.stock.remaining("fs", "red") == 96


# RULES: FS-2
def test_submission_uses_the_limit_and_pricing_then_skips_the_line() -> None:
    r = make_rule()
    alice = Buyer("alice")
    assert isinstance(r.price_line(line("red", 2), alice, DURING), LinePrice)
    r.submit("alice", "red", 1, "o1", now=DURING)
    assert isinstance(r.price_line(line("red", 1), alice, DURING), LinePrice)
    over = r.price_line(line("red", 2), alice, DURING)
    assert over == LineSkip(SkipReason.LIMIT_REACHED,
                            "red: limit 2 per customer, 1 already ordered, 2 asked")
    # more than the limit in one line is skipped whole, never split
    assert isinstance(r.price_line(line("blue", 3), alice, DURING), LineSkip)
    # a guest cannot be counted, so only unlimited SKUs are open to guests
    guest = Buyer()
    skip = r.price_line(line("red", 1), guest, DURING)
    assert isinstance(skip, LineSkip) and skip.reason is SkipReason.CUSTOMER_NOT_ELIGIBLE
    assert isinstance(r.price_line(line("free", 3), guest, DURING), LinePrice)


# RULES: FS-2, FS-3
def test_closing_an_unpaid_order_gives_the_limit_back_paying_keeps_it() -> None:
    r = make_rule()
    r.submit("alice", "red", 2, "o1", now=DURING)
    assert r.close_unpaid("o1") is True
    assert r.limits.used("fs", "alice", "red") == 0
    r.submit("alice", "red", 2, "o2", now=DURING)
    assert r.pay("o2") is True
    assert r.close_unpaid("o2") is False  # paid: nothing to close
    assert r.limits.used("fs", "alice", "red") == 2
    with pytest.raises(LimitReached):
        r.submit("alice", "red", 1, "o3", now=DURING)


# RULES: FS-2, FS-3
def test_a_sale_may_keep_the_limit_used_when_an_unpaid_order_closes() -> None:
    keep = FlashSale("fs", "秒杀", SALE.window, SALE.items, return_limit_on_close=False)
    r = make_rule(keep)
    r.submit("alice", "red", 2, "o1", now=DURING)
    assert r.close_unpaid("o1") is True
    assert r.stock.remaining("fs", "red") == 100  # stock back all the same
    assert r.limits.used("fs", "alice", "red") == 2


# RULES: FS-2
def test_a_retried_submission_is_counted_once_and_a_closed_ref_is_spent() -> None:
    r = make_rule()
    first = r.submit("alice", "red", 1, "o1", now=DURING)
    again = r.submit("alice", "red", 1, "o1", now=DURING)
    assert (first.ref, again.ref) == ("o1", "o1")
    assert r.limits.used("fs", "alice", "red") == 1
    assert r.stock.reserved("fs", "red") == 1
    with pytest.raises(NotAllowed):  # same ref, other quantity
        r.submit("alice", "red", 2, "o1", now=DURING)
    r.close_unpaid("o1")
    with pytest.raises(NotAllowed, match="new reference"):
        r.submit("alice", "red", 1, "o1", now=DURING)


# RULES: FS-2
def test_ledger_confirm_and_give_back_are_idempotent_and_guarded() -> None:
    ledger = FlashLimits()
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


# RULES: FS-2, FS-5
def test_a_sold_out_submission_uses_no_limit() -> None:
    sale = FlashSale("fs", "秒杀", SALE.window, [FlashSaleItem("red", money("1"), 1, 5)])
    r = make_rule(sale)
    r.submit("bob", "red", 1, "o1", now=DURING)
    with pytest.raises(LimitReached, match="sold out") as err:
        r.submit("alice", "red", 1, "o2", now=DURING)
    assert err.value.rule == "FS-5"
    assert r.limits.used("fs", "alice", "red") == 0


# RULES: FS-2
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["use", "confirm", "give_back"]),
                          st.sampled_from(["alice", "bob"]), st.integers(1, 3),
                          st.integers(0, 7)), max_size=40),
       st.integers(1, 5))
def test_used_never_passes_the_limit_and_matches_the_open_and_paid_refs(
    ops: list[tuple[str, str, int, int]], limit: int
) -> None:
    ledger = FlashLimits()
    refs: dict[str, tuple[str, int, str]] = {}  # ref -> customer, quantity, state
    for op, customer, quantity, n in ops:
        ref = f"o{n}"
        if op == "use":
            try:
                ledger.use("fs", customer, "red", quantity, ref, limit=limit)
            except (LimitReached, NotAllowed):
                continue
            refs.setdefault(ref, (customer, quantity, "used"))
        elif op == "confirm":
            try:
                if ledger.confirm(ref):
                    c, q, _ = refs[ref]
                    refs[ref] = (c, q, "paid")
            except (NotFound, InvalidTransition):
                pass
        elif ledger.give_back(ref):
            c, q, state = refs[ref]
            assert state == "used"
            refs[ref] = (c, q, "returned")
        for who in ("alice", "bob"):
            used = ledger.used("fs", who, "red")
            assert 0 <= used <= limit
            assert used == sum(q for c, q, s in refs.values() if c == who and s != "returned")


# ------------------------------------------------------------------ threads
@pytest.fixture
def wide_gaps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pause between the limit check and the add, and between stock check and move,
    so an unguarded ledger would let many submissions pass the same check."""
    count = FlashLimits._count
    available = MemoryFlashStock._available

    def slow_count(self: FlashLimits, key: tuple[str, str, str]) -> int:
        got = count(self, key)
        time.sleep(0.002)
        return got

    def slow_available(self: MemoryFlashStock, level: object) -> int:
        got = available(self, level)  # type: ignore[arg-type]
        time.sleep(0.001)
        return got

    monkeypatch.setattr(FlashLimits, "_count", slow_count)
    monkeypatch.setattr(MemoryFlashStock, "_available", slow_available)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all released at once; results or exceptions."""
    results: list[object] = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# RULES: FS-2
@pytest.mark.usefixtures("wide_gaps")
def test_one_customer_racing_many_submissions_gets_exactly_the_limit() -> None:
    ledger = FlashLimits()

    def use(i: int) -> Callable[[], object]:
        return lambda: ledger.use("fs", "alice", "red", 1, f"o{i}", limit=3)

    results = race([use(i) for i in range(50)])
    assert sum(r is None for r in results) == 3
    assert all(r is None or isinstance(r, LimitReached) for r in results)
    assert ledger.used("fs", "alice", "red") == 3


# RULES: FS-2, FS-5
@pytest.mark.usefixtures("wide_gaps")
def test_racing_submissions_hold_both_the_limit_and_the_stock() -> None:
    sale = FlashSale("fs", "秒杀", SALE.window, [FlashSaleItem("red", money("1"), 15, 2)])
    stock = MemoryFlashStock()
    r = FlashSaleRule(sale, stock, FlashLimits())
    customers = [f"c{i}" for i in range(10)]

    def submit(customer: str, n: int) -> Callable[[], object]:
        return lambda: r.submit(customer, "red", 1, f"{customer}/{n}", now=DURING)

    results = race([submit(c, n) for c in customers for n in range(4)])
    won = [x for x in results if not isinstance(x, Exception)]
    assert all(isinstance(x, LimitReached) for x in results if isinstance(x, Exception))
    assert len(won) == 15  # demand (10 × 2) is above the stock, which sells out exactly
    level = stock.level("fs", "red")
    assert (level.remaining, level.reserved) == (0, 15)
    for c in customers:
        used = r.limits.used("fs", c, "red")
        assert used <= 2
        assert used == sum(1 for x in won if getattr(x, "customer_id", None) == c)
