"""FS-5: flash stock is never oversold, under any concurrency; the ``FlashStock`` contract
(FS-1 own stock, FS-3 release) that the Redis and SQL implementations must also meet."""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from mallcore.promotions.flash_stock import FlashLevel, FlashStock, MemoryFlashStock

SKUS = ("red", "blue")


def loaded(**stock: int) -> MemoryFlashStock:
    s = MemoryFlashStock()
    for sku, n in stock.items():
        s.load("fs", sku, n)
    return s


def conserved(s: MemoryFlashStock, sku: str) -> FlashLevel:
    level = s.level("fs", sku)
    assert level.remaining >= 0 and level.reserved >= 0 and level.sold >= 0
    assert level.remaining + level.reserved + level.sold == level.loaded
    return level


# ------------------------------------------------------------------ contract
# RULES: FS-1
def test_load_is_set_once_and_idempotent_for_the_same_number() -> None:
    s: FlashStock = MemoryFlashStock()
    assert s.load("fs", "red", 10) is True
    assert s.load("fs", "red", 10) is False
    with pytest.raises(NotAllowed) as err:
        s.load("fs", "red", 11)
    assert err.value.rule == "FS-1"
    assert s.load("fs2", "red", 3) is True  # another sale: its own stock
    assert (s.remaining("fs", "red"), s.remaining("fs2", "red")) == (10, 3)
    with pytest.raises(InvalidInput):
        s.load("fs", "blue", 0)
    with pytest.raises(NotFound) as missing:
        s.remaining("fs", "blue")
    assert missing.value.rule == "FS-1"
    with pytest.raises(NotFound):
        s.reserve("fs", "blue", 1, "o1")


# RULES: FS-5
def test_reserve_holds_units_or_answers_false_and_a_repeated_ref_keeps_its_first_answer(
) -> None:
    s = loaded(red=3)
    assert s.reserve("fs", "red", 2, "o1") is True
    assert s.reserve("fs", "red", 2, "o2") is False  # 1 left
    assert s.reserve("fs", "red", 2, "o1") is True  # retry: not reserved twice
    assert conserved(s, "red") == FlashLevel(3, 1, 2, 0)
    assert s.release("o1") is True
    assert s.reserve("fs", "red", 2, "o2") is False  # its first answer stands
    assert s.reserve("fs", "red", 2, "o1") is True  # first answer, nothing held again
    assert conserved(s, "red") == FlashLevel(3, 3, 0, 0)
    assert s.held("o1") == 0
    with pytest.raises(NotAllowed) as err:
        s.reserve("fs", "red", 1, "o1")  # same ref, another quantity
    assert err.value.rule == "FS-5"
    with pytest.raises(InvalidInput):
        s.reserve("fs", "red", 0, "o3")


# RULES: FS-3, FS-5
def test_release_and_confirm_move_units_once() -> None:
    s = loaded(red=5)
    s.reserve("fs", "red", 2, "paid")
    s.reserve("fs", "red", 2, "closed")
    assert s.confirm("paid") is True
    assert s.confirm("paid") is False  # a repeated payment notification
    assert s.release("paid") is False  # paid units stay sold
    assert s.release("closed") is True
    assert s.release("closed") is False
    assert s.release("never") is False
    assert conserved(s, "red") == FlashLevel(5, 3, 0, 2)
    with pytest.raises(InvalidTransition) as late:
        s.confirm("closed")  # a late payment for a closed order
    assert late.value.rule == "FS-3"
    with pytest.raises(NotFound):
        s.confirm("never")
    assert s.reserve("fs", "red", 4, "big") is False
    with pytest.raises(InvalidTransition):
        s.confirm("big")  # nothing was held


# RULES: FS-5
def test_a_copy_has_its_own_lock_and_the_same_numbers() -> None:
    import copy
    import pickle
    s = loaded(red=4)
    s.reserve("fs", "red", 1, "o1")
    for other in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert other.level("fs", "red") == s.level("fs", "red")
        assert other.confirm("o1") is True
    assert s.level("fs", "red") == FlashLevel(4, 3, 1, 0)


# ------------------------------------------------------------------ property
op_strategy = st.one_of(
    st.tuples(st.just("reserve"), st.sampled_from(SKUS), st.integers(1, 4), st.integers(0, 9)),
    st.tuples(st.just("release"), st.just(""), st.just(0), st.integers(0, 9)),
    st.tuples(st.just("confirm"), st.just(""), st.just(0), st.integers(0, 9)),
)


# RULES: FS-5, FS-3
@settings(max_examples=300, deadline=None)
@given(st.lists(op_strategy, max_size=60), st.integers(1, 8), st.integers(1, 8))
def test_any_sequence_never_goes_below_zero_and_conserves_the_stock(
    ops: list[tuple[str, str, int, int]], red: int, blue: int
) -> None:
    s = loaded(red=red, blue=blue)
    model: dict[str, tuple[str, int, str]] = {}  # ref -> sku, quantity, state
    for op, sku, quantity, n in ops:
        ref = f"o{n}"
        first = model.get(ref)
        if op == "reserve":
            if first is not None and (first[0], first[1]) != (sku, quantity):
                with pytest.raises(NotAllowed):
                    s.reserve("fs", sku, quantity, ref)
                continue
            left = s.remaining("fs", sku)
            got = s.reserve("fs", sku, quantity, ref)
            if first is None:
                assert got is (left >= quantity)
                model[ref] = (sku, quantity, "held" if got else "refused")
            else:
                assert got is (first[2] != "refused")
        elif op == "release":
            got = s.release(ref)
            assert got is (first is not None and first[2] == "held")
            if got and first is not None:
                model[ref] = (first[0], first[1], "released")
        elif first is None:
            with pytest.raises(NotFound):
                s.confirm(ref)
        elif first[2] in ("released", "refused"):
            with pytest.raises(InvalidTransition):
                s.confirm(ref)
        else:
            assert s.confirm(ref) is (first[2] == "held")
            model[ref] = (first[0], first[1], "sold")
        for k in SKUS:
            level = conserved(s, k)
            held = sum(q for sk, q, st_ in model.values() if sk == k and st_ == "held")
            sold = sum(q for sk, q, st_ in model.values() if sk == k and st_ == "sold")
            assert (level.reserved, level.sold) == (held, sold)


# ------------------------------------------------------------------ threads
@pytest.fixture
def wide_gap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pause right after the stock check, before the move: without the lock every
    buyer would pass the check for the same units."""
    available = MemoryFlashStock._available

    def slow(self: MemoryFlashStock, level: object) -> int:
        got = available(self, level)  # type: ignore[arg-type]
        time.sleep(0.005)
        return got

    monkeypatch.setattr(MemoryFlashStock, "_available", slow)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def race(calls: list[Callable[[], bool]]) -> list[bool | Exception]:
    results: list[bool | Exception] = [False] * len(calls)
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


def _two_hundred_buyers(s: MemoryFlashStock) -> list[bool | Exception]:
    def buy(i: int) -> Callable[[], bool]:
        return lambda: s.reserve("fs", "red", 1, f"buyer-{i}")

    return race([buy(i) for i in range(200)])


# RULES: FS-5
@pytest.mark.usefixtures("wide_gap")
def test_two_hundred_buyers_for_a_hundred_units_exactly_a_hundred_win() -> None:
    s = loaded(red=100)
    results = _two_hundred_buyers(s)
    assert results.count(True) == 100
    assert results.count(False) == 100
    assert conserved(s, "red") == FlashLevel(100, 0, 100, 0)


# RULES: FS-5
@pytest.mark.usefixtures("wide_gap")
def test_the_race_harness_catches_an_unlocked_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: the same race against a store without its lock oversells, so the
    test above would fail if the lock did not guard the check and the move."""
    s = loaded(red=100)
    monkeypatch.setattr(s, "_lock", contextlib.nullcontext())
    results = _two_hundred_buyers(s)
    assert results.count(True) > 100
    assert s.level("fs", "red").remaining < 0


# RULES: FS-5, FS-3
@pytest.mark.usefixtures("wide_gap")
def test_random_operations_from_many_threads_conserve_the_stock() -> None:
    s = loaded(red=30, blue=20)
    outcomes: list[tuple[str, str, bool]] = []  # (op, ref, answer) of every call
    lock = threading.Lock()
    stop = threading.Event()
    seen_negative: list[FlashLevel] = []

    def watch() -> None:
        while not stop.is_set():
            for sku in SKUS:
                level = s.level("fs", sku)
                if level.remaining < 0 or (
                    level.remaining + level.reserved + level.sold != level.loaded
                ):
                    seen_negative.append(level)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(60):
            # refs repeat: a thread's own, and some shared by every thread (racing retries)
            ref = rng.choice([f"t{seed}-{rng.randrange(25)}", f"shared-{rng.randrange(10)}"])
            op = rng.choice(["reserve", "reserve", "release", "confirm"])
            try:
                if op == "reserve":
                    sku = "red" if hash(ref) % 2 else "blue"
                    got = s.reserve("fs", sku, 1 + len(ref) % 3, ref)
                elif op == "release":
                    got = s.release(ref)
                else:
                    got = s.confirm(ref)
            except (NotFound, InvalidTransition):
                continue
            with lock:
                outcomes.append((op, ref, got))

    watcher = threading.Thread(target=watch)
    watcher.start()
    workers = [threading.Thread(target=worker, args=(seed,)) for seed in range(12)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    watcher.join()
    assert not seen_negative
    def sku_of(ref: str) -> str:
        return "red" if hash(ref) % 2 else "blue"

    sold = {sku: 0 for sku in SKUS}
    for op, ref, got in outcomes:
        if op == "confirm" and got:
            sold[sku_of(ref)] += 1 + len(ref) % 3
    refs = {ref for _, ref, _ in outcomes}
    for sku in SKUS:
        level = conserved(s, sku)
        assert level.sold == sold[sku]
        assert level.reserved == sum(s.held(ref) for ref in refs if sku_of(ref) == sku)
