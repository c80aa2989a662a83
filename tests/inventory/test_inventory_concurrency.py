"""Many buyers at once on one inventory, in threads: FS-5 (and ORD-6 under races).

Under the GIL a check-then-act gap is rarely hit by chance, so a test that
merely raced threads could pass without any locking.  The fixture widens the
gap: it pauses right after the stock check and after each recorded movement
(private seams of ``Inventory``), so an unguarded inventory would let every
buyer pass the check for the same units.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mallcore.errors import LimitReached
from mallcore.inventory import Inventory, StockLevel

BUYERS = 48


@pytest.fixture(autouse=True)
def wide_gaps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Yield to other threads between checking and changing, and switch often."""
    check = Inventory._check_available
    record = Inventory._record

    def slow_check(
        self: Inventory, wanted: tuple[tuple[str, int], ...], refused: str, outcome: str
    ) -> None:
        check(self, wanted, refused, outcome)
        time.sleep(0.001)

    def slow_record(self: Inventory, *args: Any) -> None:
        record(self, *args)
        time.sleep(0.0005)

    monkeypatch.setattr(Inventory, "_check_available", slow_check)
    monkeypatch.setattr(Inventory, "_record", slow_record)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread, all released at once; results or exceptions."""
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


def buy(inv: Inventory, ref: str, at_payment: bool) -> Callable[[], object]:
    if at_payment:
        return lambda: inv.take(ref, [("flash", 1), ("gift", 1)])
    return lambda: inv.reserve(ref, [("gift", 1), ("flash", 1)])


# RULES: FS-5, ORD-9
@pytest.mark.parametrize("round_", range(5))
def test_flash_stock_is_never_oversold_by_simultaneous_buyers(round_: int) -> None:
    inv = Inventory("flash-sale")
    inv.receive("flash", 10, ref="flash stock")
    inv.receive("gift", 1000, ref="po")
    results = race([buy(inv, f"o{i}", at_payment=i % 2 == 0) for i in range(BUYERS)])
    won = [r for r in results if r is None]
    lost = [r for r in results if r is not None]
    assert len(won) == 10
    assert all(isinstance(r, LimitReached) and r.rule == "ORD-9" for r in lost)
    flash = inv.level("flash")
    assert flash.available == 0
    assert flash.reserved + flash.sold == 10
    # the all-or-nothing losers left the other SKU untouched
    gift = inv.level("gift")
    assert (gift.reserved + gift.sold, gift.available) == (10, 990)
    assert len(inv.movements) == 2 + 2 * 10


def closer(inv: Inventory, ref: str) -> Callable[[], object]:
    return lambda: inv.release(ref)


# RULES: ORD-6, FS-5
def test_racing_releases_give_stock_back_exactly_once() -> None:
    inv = Inventory()
    inv.receive("flash", 5, ref="po")
    for i in range(5):
        inv.reserve(f"o{i}", [("flash", 1)])
    # auto-close and buyer cancel, several times over, for every order
    results = race([closer(inv, f"o{i % 5}") for i in range(BUYERS)])
    assert results.count(True) == 5
    assert results.count(False) == BUYERS - 5
    assert inv.level("flash") == StockLevel(5, 0, 0, False)


# RULES: FS-5, ORD-9
def test_a_retried_reservation_in_parallel_reserves_once() -> None:
    inv = Inventory()
    inv.receive("flash", 100, ref="po")
    results = race([lambda: inv.reserve("o1", [("flash", 3)]) for _ in range(BUYERS)])
    assert results.count(None) == 1
    assert inv.level("flash") == StockLevel(97, 3, 0, False)
