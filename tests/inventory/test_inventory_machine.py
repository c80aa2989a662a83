"""Random sequences of stock movements against a model: ORD-6, ORD-9, PRE-2, FS-5, AS-3.

The model predicts the outcome of every call (which error, or the new
buckets) from its own bookkeeping; the invariants check the aggregate against
itself (conservation, open reservations, per-order sales, the replayed trail).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mallcore.errors import (
    InvalidInput,
    InvalidTransition,
    LimitReached,
    MallcoreError,
    NotAllowed,
    NotFound,
)
from mallcore.inventory import Inventory, Movement, MovementKind, StockLevel

KNOWABLE = ["A", "B", "P"]  # become known when received or configured
SKUS = [*KNOWABLE, "ghost"]  # "ghost" is never received: always NotFound
REFS = [f"o{i}" for i in range(12)]

Pairs = list[tuple[str, int]]
# mostly well-formed lines of known SKUs, so that moves succeed as often as they are refused
items_of = st.lists(
    st.tuples(
        st.sampled_from([*KNOWABLE, *KNOWABLE, "ghost"]),
        st.sampled_from([1, 1, 2, 2, 3, 4, 0]),
    ),
    max_size=3,
)


def replay(movements: Iterable[Movement]) -> dict[str, tuple[int, int, int]]:
    """Rebuild (available, reserved, sold) per SKU from the audit trail alone."""
    moves = {
        MovementKind.RECEIVE: (1, 0, 0),
        MovementKind.RESERVE: (-1, 1, 0),
        MovementKind.RELEASE: (1, -1, 0),
        MovementKind.COMMIT: (0, -1, 1),
        MovementKind.TAKE: (-1, 0, 1),
        MovementKind.RESTOCK: (1, 0, -1),
    }
    levels: dict[str, tuple[int, int, int]] = {}
    for m in movements:
        assert m.quantity > 0
        old = levels.get(m.sku, (0, 0, 0))
        a, r, s = (o + d * m.quantity for o, d in zip(old, moves[m.kind], strict=True))
        levels[m.sku] = (a, r, s)
    return levels


def merged(items: Pairs) -> dict[str, int]:
    out: dict[str, int] = {}
    for sku, quantity in items:
        out[sku] = out.get(sku, 0) + quantity
    return out


class StockMachine(RuleBasedStateMachine):
    """Receive / oversell / reserve / release / commit / take / restock, at random."""

    def __init__(self) -> None:
        super().__init__()
        self.inv = Inventory("shop")
        self.received: dict[str, int] = {}
        self.model: dict[str, list[int]] = {}  # sku -> [available, reserved, sold]
        self.oversell: dict[str, bool] = {}
        self.reservations: dict[str, tuple[str, dict[str, int]]] = {}  # ref -> (state, items)
        self.taken: set[str] = set()
        self.sold_by: dict[str, dict[str, int]] = {}
        self.outcomes: set[str] = set()

    # helpers

    def _snapshot(self) -> object:
        return (
            {sku: self.inv.level(sku) for sku in self.inv.skus()},
            self.inv.movements,
            {ref: (self.inv.reservation(ref), self.inv.sold_under(ref)) for ref in REFS},
        )

    def _short(self, wanted: dict[str, int]) -> bool:
        return any(
            not self.oversell[sku] and quantity > self.model[sku][0]
            for sku, quantity in wanted.items()
        )

    def _expect_reduce(self, used: bool, items: Pairs) -> type[MallcoreError] | None:
        """The refusal a reserve / take must raise, checked in the documented order."""
        if not items or any(quantity < 1 for _, quantity in items):
            return InvalidInput
        if used:
            return NotAllowed
        wanted = merged(items)
        if any(sku not in self.model for sku in wanted):
            return NotFound
        return LimitReached if self._short(wanted) else None

    def _refused(self, expected: type[MallcoreError], call: str, *args: object) -> None:
        before = self._snapshot()
        with pytest.raises(MallcoreError) as err:
            getattr(self.inv, call)(*args)
        assert type(err.value) is expected, err.value
        assert err.value.rule is not None
        assert self._snapshot() == before  # all or nothing
        self.outcomes.add(f"{call}:{expected.__name__}")

    def _sell(self, ref: str, wanted: dict[str, int]) -> None:
        sold = self.sold_by.setdefault(ref, {})
        for sku, quantity in wanted.items():
            self.model[sku][2] += quantity
            sold[sku] = sold.get(sku, 0) + quantity

    # rules

    @rule(sku=st.sampled_from(KNOWABLE), quantity=st.integers(1, 5))
    def receive(self, sku: str, quantity: int) -> None:
        self.inv.receive(sku, quantity, ref="po")
        self.received[sku] = self.received.get(sku, 0) + quantity
        self.model.setdefault(sku, [0, 0, 0])[0] += quantity
        self.oversell.setdefault(sku, False)

    # RULES: PRE-2
    @rule(sku=st.sampled_from(["A", "P"]), allowed=st.booleans())
    def set_oversell(self, sku: str, allowed: bool) -> None:
        if sku in self.model and not allowed and self.model[sku][0] < 0:
            self._refused(NotAllowed, "set_oversell", sku, allowed)
            return
        self.inv.set_oversell(sku, allowed)
        self.model.setdefault(sku, [0, 0, 0])
        self.received.setdefault(sku, 0)
        self.oversell[sku] = allowed

    # RULES: ORD-9
    @rule(ref=st.sampled_from(REFS), items=items_of)
    def reserve(self, ref: str, items: Pairs) -> None:
        expected = self._expect_reduce(ref in self.reservations, items)
        if expected is not None:
            self._refused(expected, "reserve", ref, items)
            return
        self.inv.reserve(ref, items)
        wanted = merged(items)
        for sku, quantity in wanted.items():
            self.model[sku][0] -= quantity
            self.model[sku][1] += quantity
        self.reservations[ref] = ("open", wanted)
        self.outcomes.add("reserve")

    def _open(self) -> list[str]:
        return sorted(ref for ref, (state, _) in self.reservations.items() if state == "open")

    # RULES: ORD-6
    @precondition(lambda self: self._open())
    @rule(data=st.data())
    def release_open(self, data: st.DataObject) -> None:
        self.release(data.draw(st.sampled_from(self._open())))

    # RULES: ORD-9
    @precondition(lambda self: self._open())
    @rule(data=st.data())
    def commit_open(self, data: st.DataObject) -> None:
        self.commit(data.draw(st.sampled_from(self._open())))

    # RULES: ORD-9
    @precondition(lambda self: self.reservations or self.taken)
    @rule(data=st.data(), items=items_of)
    def retry(self, data: st.DataObject, items: Pairs) -> None:
        """A retried order creation or payment notification with a used reference."""
        ref = data.draw(st.sampled_from(sorted({*self.reservations, *self.taken})))
        if ref in self.reservations:
            self.reserve(ref, items)
        if ref in self.taken:
            self.take(ref, items)

    # RULES: ORD-6
    @rule(ref=st.sampled_from(REFS))
    def release(self, ref: str) -> None:
        state, wanted = self.reservations.get(ref, ("none", {}))
        before = self._snapshot()
        released = self.inv.release(ref)
        assert released is (state == "open")
        if not released:
            assert self._snapshot() == before
            return
        for sku, quantity in wanted.items():
            self.model[sku][0] += quantity
            self.model[sku][1] -= quantity
        self.reservations[ref] = ("released", wanted)
        assert self.inv.release(ref) is False  # idempotent
        self.outcomes.add("release")

    # RULES: ORD-9, ORD-6
    @rule(ref=st.sampled_from(REFS))
    def commit(self, ref: str) -> None:
        if ref not in self.reservations:
            self._refused(NotFound, "commit", ref)
            return
        state, wanted = self.reservations[ref]
        if state != "open":
            self._refused(InvalidTransition, "commit", ref)
            return
        self.inv.commit(ref)
        for sku, quantity in wanted.items():
            self.model[sku][1] -= quantity
        self._sell(ref, wanted)
        self.reservations[ref] = ("committed", wanted)
        self.outcomes.add("commit")

    # RULES: ORD-9, PRE-2
    @rule(ref=st.sampled_from(REFS), items=items_of)
    def take(self, ref: str, items: Pairs) -> None:
        expected = self._expect_reduce(ref in self.taken, items)
        if expected is not None:
            self._refused(expected, "take", ref, items)
            return
        self.inv.take(ref, items)
        wanted = merged(items)
        for sku, quantity in wanted.items():
            self.model[sku][0] -= quantity
        self._sell(ref, wanted)
        self.taken.add(ref)
        self.outcomes.add("take")

    # RULES: AS-3
    @precondition(lambda self: any(any(s.values()) for s in self.sold_by.values()))
    @rule(data=st.data())
    def restock(self, data: st.DataObject) -> None:
        ref = data.draw(
            st.sampled_from(sorted(r for r, s in self.sold_by.items() if any(s.values())))
        )
        sold = self.sold_by[ref]
        returnable = sorted(sku for sku, n in sold.items() if n)
        items: Pairs = data.draw(
            st.lists(
                st.sampled_from(returnable).flatmap(
                    lambda sku: st.tuples(st.just(sku), st.integers(1, sold[sku] + 1))
                ),
                min_size=1,
                max_size=2,
            )
        )
        self._restock(ref, items)

    # RULES: AS-3
    @rule(ref=st.sampled_from(REFS), items=items_of)
    def restock_anything(self, ref: str, items: Pairs) -> None:
        self._restock(ref, items)

    def _restock(self, ref: str, items: Pairs) -> None:
        wanted = merged(items)
        sold = self.sold_by.get(ref)
        expected: type[MallcoreError] | None = None
        if not items or any(quantity < 1 for _, quantity in items):
            expected = InvalidInput
        elif sold is None or any(sku not in self.model for sku in wanted):
            expected = NotFound
        elif any(quantity > sold.get(sku, 0) for sku, quantity in wanted.items()):
            expected = LimitReached
        if expected is not None:
            self._refused(expected, "restock", ref, items)
            return
        assert sold is not None
        self.inv.restock(ref, items)
        for sku, quantity in wanted.items():
            self.model[sku][0] += quantity
            self.model[sku][2] -= quantity
            sold[sku] -= quantity
        self.outcomes.add("restock")

    # invariants, after every step

    # RULES: ORD-9, FS-5
    @invariant()
    def stock_is_conserved(self) -> None:
        assert set(self.inv.skus()) == set(self.model)
        for sku in self.inv.skus():
            assert self.inv.level(sku).total == self.received[sku]

    # RULES: FS-5, PRE-2
    @invariant()
    def only_oversell_skus_go_below_zero(self) -> None:
        for sku in self.inv.skus():
            got = self.inv.level(sku)
            assert got.oversell is self.oversell[sku]
            assert got.available >= 0 or got.oversell
            assert got.reserved >= 0
            assert got.sold >= 0

    # RULES: ORD-6, ORD-9
    @invariant()
    def reserved_is_the_open_reservations(self) -> None:
        open_by_sku: dict[str, int] = {}
        for ref in REFS:
            for sku, quantity in self.inv.reservation(ref) or ():
                open_by_sku[sku] = open_by_sku.get(sku, 0) + quantity
        for sku in self.inv.skus():
            assert self.inv.level(sku).reserved == open_by_sku.get(sku, 0)

    # RULES: AS-3
    @invariant()
    def sold_is_what_orders_bought_and_kept(self) -> None:
        by_sku: dict[str, int] = {}
        for ref in REFS:
            for sku, quantity in self.inv.sold_under(ref):
                assert quantity > 0
                by_sku[sku] = by_sku.get(sku, 0) + quantity
        for sku in self.inv.skus():
            assert self.inv.level(sku).sold == by_sku.get(sku, 0)

    @invariant()
    def levels_match_the_model_and_the_trail(self) -> None:
        trail = replay(self.inv.movements)
        for sku in self.inv.skus():
            available, reserved, sold = self.model[sku]
            assert self.inv.level(sku) == StockLevel(available, reserved, sold, self.oversell[sku])
            assert trail.get(sku, (0, 0, 0)) == (available, reserved, sold)
        assert set(trail) <= set(self.model)


StockMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=50, deadline=None)
# RULES: ORD-6, ORD-9, PRE-2, FS-5, AS-3
TestStockMachine = StockMachine.TestCase


def test_the_machine_reaches_every_outcome() -> None:
    """Guards the machine itself: a model that never refuses would prove little."""
    seen: set[str] = set()

    class Recording(StockMachine):
        def teardown(self) -> None:
            seen.update(self.outcomes)

    Recording.TestCase.settings = settings(
        max_examples=500, stateful_step_count=50, deadline=None, database=None, derandomize=True
    )
    Recording.TestCase().runTest()
    expected = {"reserve", "release", "commit", "take", "restock"} | {
        "reserve:InvalidInput",
        "reserve:NotAllowed",
        "reserve:NotFound",
        "reserve:LimitReached",
        "take:InvalidInput",
        "take:NotAllowed",
        "take:NotFound",
        "take:LimitReached",
        "commit:NotFound",
        "commit:InvalidTransition",
        "restock:InvalidInput",
        "restock:NotFound",
        "restock:LimitReached",
        "set_oversell:NotAllowed",
    }
    assert expected <= seen, expected - seen


# RULES: ORD-6, ORD-9
def test_the_trail_replays_to_the_levels() -> None:
    inv = Inventory()
    inv.receive("A", 5, ref="po-1")
    inv.receive("B", 2, ref="po-1")
    inv.reserve("o1", [("A", 2), ("B", 1)])
    inv.reserve("o2", [("A", 1)])
    inv.release("o2")
    inv.commit("o1")
    inv.take("o3", [("A", 2)])
    inv.restock("o1", [("B", 1)])
    assert replay(inv.movements) == {"A": (1, 0, 4), "B": (2, 0, 0)}
    assert {sku: inv.level(sku) for sku in inv.skus()} == {
        "A": StockLevel(1, 0, 4, False),
        "B": StockLevel(2, 0, 0, False),
    }
