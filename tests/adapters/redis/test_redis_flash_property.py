"""Any sequence of operations against Redis answers as the in-memory reference does and
conserves the stock: remaining + reserved + sold == loaded, never below zero (FS-5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from mallcore.errors import MallcoreError
from mallcore.promotions.flash_sale import MemoryFlashGate

SKUS = ("red", "blue")
CUSTOMERS = ("alice", "bob")


def outcome(call: Callable[[], object]) -> object:
    """An answer, or the refusal's kind, rule and words: both stores must give the same."""
    try:
        return call()
    except MallcoreError as exc:
        return (type(exc).__name__, exc.rule, str(exc))


# RULES: FS-2, FS-3, FS-5
def test_redis_answers_as_the_memory_gate_and_conserves_the_stock(
    redis_client: Any, new_prefix: Callable[[], str]
) -> None:
    from mallcore_adapters.redis import RedisFlashStore

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.redis = RedisFlashStore(redis_client, prefix=new_prefix())
            self.memory = MemoryFlashGate()
            for sku, n in zip(SKUS, (5, 3), strict=True):
                self.redis.load("fs", sku, n)
                self.memory.load("fs", sku, n)

        def both(self, call: Callable[[Any], object]) -> None:
            expected = outcome(lambda: call(self.memory))
            got = outcome(lambda: call(self.redis))
            assert got == expected

        # gate refs g0..g5 and plain refs p0..p3 are kept apart, as callers do
        @rule(sku=st.sampled_from(SKUS), customer=st.sampled_from(CUSTOMERS),
              quantity=st.integers(1, 3), n=st.integers(0, 5),
              limit=st.sampled_from([None, 2, 3]))
        def submit(self, sku: str, customer: str, quantity: int, n: int,
                   limit: int | None) -> None:
            self.both(lambda s: s.submit("fs", sku, customer, quantity, f"g{n}", limit=limit))

        @rule(n=st.integers(0, 5))
        def pay(self, n: int) -> None:
            self.both(lambda s: s.pay("fs", f"g{n}"))

        @rule(n=st.integers(0, 5), give_back=st.booleans())
        def close(self, n: int, give_back: bool) -> None:
            self.both(lambda s: s.close("fs", f"g{n}", return_limit=give_back))

        @rule(sku=st.sampled_from(SKUS), quantity=st.integers(1, 3), n=st.integers(0, 3))
        def reserve(self, sku: str, quantity: int, n: int) -> None:
            self.both(lambda s: s.reserve("fs", sku, quantity, f"p{n}"))

        @rule(n=st.integers(0, 3))
        def release(self, n: int) -> None:
            self.both(lambda s: s.release(f"p{n}"))

        @rule(n=st.integers(0, 3))
        def confirm(self, n: int) -> None:
            self.both(lambda s: s.confirm(f"p{n}"))

        @invariant()
        def conserved_and_equal(self) -> None:
            levels, used = self.redis.levels("fs")
            for sku in SKUS:
                level = levels[sku]
                assert min(level.remaining, level.reserved, level.sold) >= 0
                assert level.remaining + level.reserved + level.sold == level.loaded
                assert level == self.memory.level("fs", sku)
                for customer in CUSTOMERS:
                    assert used.get((customer, sku), 0) == self.memory.used("fs", customer, sku)

    run_state_machine_as_test(Machine, settings=settings(
        max_examples=25, stateful_step_count=25, deadline=None))
