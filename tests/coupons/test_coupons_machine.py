"""A normal batch under random publish / claim / distribute / redeem / restore / void / delete.

The model predicts every outcome (which refusal, or which codes move where) from
its own bookkeeping; the invariants check the batch against the model and
against itself: the quantity is partitioned (claimed + unclaimed + voided),
no code is used twice, the wallet shows exactly the usable codes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from coupons_helpers import DAY, T0, TERMS
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mallcore.coupons.batches import (
    AbsoluteValidity,
    BatchStatus,
    CodeStatus,
    CouponBatch,
    CouponRedeemed,
    CouponRestored,
    RelativeValidity,
    Validity,
)
from mallcore.errors import InvalidTransition, LimitReached, MallcoreError, NotAllowed

CODES = [f"CODE{i:04d}" for i in range(6)]
CUSTOMERS = ["a", "b", "c", "banned"]
ORDERS = [f"o{i}" for i in range(5)]
times = st.builds(lambda d, h: T0 + d * DAY + h * timedelta(hours=1),
                  st.integers(-3, 24), st.integers(0, 23))
# rare: voiding and deleting end the interesting part of a run, so most draws skip them
rarely = st.integers(0, 5).map(lambda n: n == 0)

Expected = type[MallcoreError] | None


class NormalBatchMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.status = BatchStatus.DRAFT
        self.owner: dict[str, str] = {}
        self.window: dict[str, tuple[datetime, datetime]] = {}
        self.used: dict[str, str] = {}
        self.free = list(CODES)
        self.now = T0
        self.claimed_at: dict[str, datetime] = {}
        self.outcomes: Counter[str] = Counter()

    @initialize(relative=st.booleans(), limit=st.sampled_from([None, 1, 2]),
                published=st.integers(0, 4))
    def build(self, relative: bool, limit: int | None, published: int) -> None:
        self.validity: Validity = (
            RelativeValidity(5) if relative else AbsoluteValidity(T0, T0 + 20 * DAY))
        self.limit = limit
        self.batch = CouponBatch.normal("m", "machine", TERMS, self.validity, codes=CODES,
                                        per_customer_limit=limit)
        if published:  # most runs start published; the others exercise the draft
            self.publish(T0)

    # the model

    def expired(self, now: datetime) -> bool:
        return isinstance(self.validity, AbsoluteValidity) and now >= self.validity.ends_at

    def alive(self, code: str) -> bool:
        if self.status is BatchStatus.DELETED:
            return code in self.used
        if self.status is BatchStatus.VOIDED:
            return code in self.owner
        return True

    def held(self, customer: str) -> int:
        return sum(owner == customer for owner in self.owner.values())

    def check(self, expected: Expected, call: str, *args: object, **kwargs: object) -> object:
        """Run the call; it must fail with exactly ``expected``, or succeed when None."""
        self.outcomes[f"{call}: {'ok' if expected is None else expected.__name__}"] += 1
        version = self.batch.version
        try:
            result = getattr(self.batch, call)(*args, **kwargs)
        except MallcoreError as exc:
            assert expected is not None and type(exc) is expected, (call, exc)
            assert self.batch.version == version  # a refusal leaves no trace
            return None
        assert expected is None, (call, "succeeded", expected)
        assert self.batch.version == version + 1
        return result

    def give(self, customer: str, now: datetime) -> str:
        code = self.free.pop(0)
        self.owner[code] = customer
        self.window[code] = self.validity.window(now)
        self.claimed_at[code] = now
        return code

    def handing_out(self, customers: list[str], now: datetime) -> Expected:
        if "banned" in customers:
            return NotAllowed
        if self.status is not BatchStatus.PUBLISHED:
            return InvalidTransition
        if self.expired(now):
            return NotAllowed
        return None

    # rules

    @rule(now=times)
    def publish(self, now: datetime) -> None:
        expected: Expected = None
        if self.status is not BatchStatus.DRAFT:
            expected = InvalidTransition
        elif self.expired(now):
            expected = NotAllowed
        self.check(expected, "publish", now)
        if expected is None:
            self.status = BatchStatus.PUBLISHED

    @rule(now=times, go=rarely)
    def void(self, now: datetime, go: bool) -> None:
        if not go:
            return
        ok = self.status is BatchStatus.PUBLISHED
        self.check(None if ok else InvalidTransition, "void", now)
        if ok:
            self.status = BatchStatus.VOIDED
            self.free.clear()

    @rule(now=times, go=rarely)
    def delete(self, now: datetime, go: bool) -> None:
        if not go:
            return
        ok = self.status is not BatchStatus.DELETED
        self.check(None if ok else InvalidTransition, "delete", now)
        if ok:
            self.status = BatchStatus.DELETED
            self.free.clear()

    @rule(customer=st.sampled_from(CUSTOMERS), now=times)
    def claim(self, customer: str, now: datetime) -> None:
        expected = self.handing_out([customer], now)
        if expected is None and self.limit is not None and self.held(customer) >= self.limit:
            expected = LimitReached
        if expected is None and not self.free:
            expected = LimitReached
        got = self.check(expected, "claim", customer, now=now, blocked=lambda c: c == "banned")
        if expected is None:
            code = self.give(customer, now)
            assert got is not None and got.code == code  # type: ignore[attr-defined]

    @rule(customers=st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=3),
          n=st.integers(1, 3), now=times)
    def distribute(self, customers: list[str], n: int, now: datetime) -> None:
        chosen = list(dict.fromkeys(customers))
        expected = self.handing_out(chosen, now)
        if expected is None and len(chosen) * n > len(self.free):
            expected = LimitReached
        got = self.check(expected, "distribute", customers, n, now=now,
                         blocked=lambda c: c == "banned")
        if expected is None:
            want = {c: tuple(self.give(c, now) for _ in range(n)) for c in chosen}
            assert got == want

    @rule(pick=st.integers(0, 99), customer=st.sampled_from(CUSTOMERS),
          order=st.sampled_from(ORDERS), now=times, hours=st.integers(-30, 200))
    def redeem(self, pick: int, customer: str, order: str, now: datetime, hours: int) -> None:
        """Mostly a held code by its holder some hours after the claim; sometimes anything."""
        code = CODES[pick % len(CODES)]
        held = sorted(self.owner)
        if pick % 4 and held:
            code = held[pick % len(held)]
            now = self.claimed_at[code] + hours * timedelta(hours=1)
            if pick % 5:
                customer = self.owner[code]
        expected: Expected = None
        owner = self.owner.get(code)
        if self.status in (BatchStatus.DRAFT, BatchStatus.DELETED):
            expected = InvalidTransition
        elif owner is None:
            expected = InvalidTransition if self.status is BatchStatus.VOIDED else NotAllowed
        else:
            start, end = self.window[code]
            if owner != customer or code in self.used or not start <= now < end:
                expected = NotAllowed
        self.check(expected, "redeem", code, customer_id=customer, order_number=order, now=now)
        if expected is None:
            self.used[code] = order
            self.now = now

    @rule(pick=st.integers(0, 99), order=st.sampled_from(ORDERS), now=times)
    def restore(self, pick: int, order: str, now: datetime) -> None:
        """Mostly a used code with its own order; sometimes anything."""
        code = CODES[pick % len(CODES)]
        used = sorted(self.used)
        if pick % 3 and used:
            code = used[pick % len(used)]
            if pick % 4:
                order = self.used[code]
        expected: Expected = None
        if self.status is BatchStatus.DELETED:
            expected = InvalidTransition
        elif self.used.get(code) != order:
            expected = NotAllowed
        self.check(expected, "restore", code, order, now=now)
        if expected is None:
            del self.used[code]

    @rule(now=times)
    def look_at(self, now: datetime) -> None:
        self.now = now

    # invariants

    @invariant()
    def quantity_is_partitioned(self) -> None:
        f = self.batch.figures()
        assert f.claimed + f.unclaimed + f.voided == f.issued == len(CODES)
        alive = [c for c in CODES if self.alive(c)]
        assert f.voided == len(CODES) - len(alive)
        assert f.claimed == sum(c in self.owner for c in alive)
        assert f.unclaimed == sum(c not in self.owner for c in alive)
        assert f.used == len(self.used) <= f.claimed
        assert self.batch.remaining == len(self.free) if self.status in (
            BatchStatus.DRAFT, BatchStatus.PUBLISHED) else self.batch.remaining == 0

    @invariant()
    def no_code_is_used_twice(self) -> None:
        net: Counter[str] = Counter()
        for event in self.batch.events:
            if isinstance(event, CouponRedeemed):
                net[event.code] += 1
                assert net[event.code] == 1, f"{event.code} used twice"
            elif isinstance(event, CouponRestored):
                net[event.code] -= 1
                assert net[event.code] == 0
        assert {c for c, n in net.items() if n} == set(self.used)
        assert self.batch.version == len(self.batch.events)

    @invariant()
    def codes_show_the_model(self) -> None:
        for view in self.batch.codes():
            c = view.code
            if c in self.used:
                want = CodeStatus.USED
            elif not self.alive(c):
                want = CodeStatus.VOID
            elif c in self.owner:
                want = CodeStatus.HELD
            else:
                want = CodeStatus.UNCLAIMED
            assert (view.status, view.owner, view.order_number) == (
                want, self.owner.get(c), self.used.get(c))

    @invariant()
    def wallets_hold_exactly_the_usable_codes(self) -> None:
        for customer in CUSTOMERS:
            want = {
                c for c, who in self.owner.items()
                if who == customer and self.alive(c) and c not in self.used
                and self.window[c][0] <= self.now < self.window[c][1]
            }
            assert {e.code for e in self.batch.wallet(customer, self.now)} == want


NormalBatchMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None
)
# RULES: CPN-2, CPN-3, CPN-4, CPN-5, CPN-8
TestNormalBatchMachine = NormalBatchMachine.TestCase
