"""PRE-6: random deposit / balance / missed / refund / cancel steps at random times,
against a model that predicts every outcome; invariants on money and edges."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mallcore.errors import InvalidInput, InvalidTransition, MallcoreError, NotAllowed
from mallcore.money import from_fen
from mallcore.promotions import Window
from mallcore.promotions.presale_deposit import (
    ALLOWED,
    DepositPlan,
    DepositState,
    DepositTerms,
    EntryKind,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 10, 25, 10, 0, tzinfo=CST)
BAL_START = T0 + timedelta(days=3)
BAL_END = T0 + timedelta(days=5)
S = DepositState

# mostly forward, by minutes to days, so runs cross both window edges; a named edge
# ("start", "end", a second before either) jumps the clock there when it lies ahead
step = st.one_of(
    st.sampled_from([0, 0, 1]),
    st.integers(0, 36 * 60),
    st.sampled_from(["start", "end", "start-1s", "end-1s"]),
)
going_back = st.sampled_from([False] * 9 + [True])
off_by = st.sampled_from([0] * 7 + [1, -1, 100])
# a cancel or refund that would succeed ends the run: most such draws are skipped, so
# that runs reach the balance and its window as often as they end early (a refused
# attempt is always made)
rarely = st.sampled_from([True] + [False] * 9)


class DepositMachine(RuleBasedStateMachine):
    plan: DepositPlan

    @initialize(
        deposit=st.integers(1, 5_000),
        units=st.integers(1, 3),
        extra=st.integers(0, 50_000),
        multiplier=st.sampled_from(["1", "1.5", "2"]),
        forfeit=st.booleans(),
        exact_edges=st.booleans(),
        prepaid=st.booleans(),
    )
    def open(
        self,
        deposit: int,
        units: int,
        extra: int,
        multiplier: str,
        forfeit: bool,
        exact_edges: bool,
        prepaid: bool,
    ) -> None:
        self.start = BAL_START if exact_edges else BAL_START + timedelta(minutes=7)
        terms = DepositTerms(
            from_fen(deposit), Window(self.start, BAL_END), Decimal(multiplier), forfeit
        )
        self.forfeit = forfeit
        self.deposit = deposit * units
        self.total = self.deposit + extra
        self.plan = DepositPlan("o1", terms, units=units, total=from_fen(self.total), created_at=T0)
        self.clock = T0
        self.model = S.AWAITING_DEPOSIT
        self.seen: set[str] = set()
        if prepaid:  # half the runs start with the deposit paid, to spend their steps later
            self.plan.pay_deposit(from_fen(self.deposit), now=T0)
            self.model = S.AWAITING_BALANCE

    # ------------------------------------------------------------------ helpers
    def when(self, back: bool) -> datetime:
        """Now, or (to check that time never goes back) a second before the last change."""
        return self.plan.updated_at - timedelta(seconds=1) if back else self.clock

    @rule(minutes=step)
    def tick(self, minutes: int | str) -> None:
        if isinstance(minutes, str):
            edge, _, early = minutes.partition("-")
            target = (self.start if edge == "start" else BAL_END) - timedelta(
                seconds=1 if early else 0
            )
            self.clock = max(self.clock, target)
        else:
            self.clock += timedelta(minutes=minutes)

    def snapshot(self) -> tuple[object, ...]:
        p = self.plan
        return (p.state, tuple(p.entries), tuple(p.transitions), p.updated_at)

    def expect(
        self, allowed_from: S, now: datetime, other: type[MallcoreError] | None
    ) -> type[MallcoreError] | None:
        """The error the plan must raise, in the order it checks: state, then time."""
        if self.model is not allowed_from:
            return InvalidTransition
        if now < self.plan.updated_at:
            return InvalidInput
        return other

    def attempt(self, name: str, expected: type[MallcoreError] | None, call: object) -> bool:
        before = self.snapshot()
        try:
            call()  # type: ignore[operator]
        except MallcoreError as exc:
            assert expected is not None, f"{name} refused unexpectedly: {exc}"
            assert type(exc) is expected, f"{name}: {type(exc).__name__}, not {expected}"
            assert self.snapshot() == before  # a refusal changes nothing
            self.seen.add(f"{name} refused")
            return False
        assert expected is None, f"{name} should have raised {expected.__name__}"
        self.seen.add(name)
        return True

    # ------------------------------------------------------------------ steps
    @rule(back=going_back, off=off_by)
    def pay_deposit(self, back: bool, off: int) -> None:
        now = self.when(back)
        problem = None
        if now >= BAL_END or off:
            problem = NotAllowed
        expected = self.expect(S.AWAITING_DEPOSIT, now, problem)
        amount = from_fen(max(0, self.deposit + off))
        if self.attempt("deposit", expected, lambda: self.plan.pay_deposit(amount, now=now)):
            self.model = S.AWAITING_BALANCE

    @rule(back=going_back, off=off_by)
    def pay_balance(self, back: bool, off: int) -> None:
        now = self.when(back)
        due = self.total - self.deposit
        problem = None
        if not self.start <= now < BAL_END or off:
            problem = NotAllowed
        expected = self.expect(S.AWAITING_BALANCE, now, problem)
        amount = from_fen(max(0, due + off))
        if self.attempt("balance", expected, lambda: self.plan.pay_balance(amount, now=now)):
            self.model = S.COMPLETED

    @rule(back=going_back)
    def settle_missed(self, back: bool) -> None:
        now = self.when(back)
        expected = self.expect(S.AWAITING_BALANCE, now, NotAllowed if now < BAL_END else None)
        outcome = []
        if self.attempt(
            "missed", expected, lambda: outcome.append(self.plan.settle_missed(now=now))
        ):
            self.model = S.FORFEITED if self.forfeit else S.REFUNDED
            (result,) = outcome
            assert result.state is self.model
            kept, back_to_buyer = (self.deposit, 0) if self.forfeit else (0, self.deposit)
            assert (result.forfeited, result.refunded) == (from_fen(kept), from_fen(back_to_buyer))

    @rule(back=going_back, act=rarely)
    def refund_deposit(self, back: bool, act: bool) -> None:
        now = self.when(back)
        expected = self.expect(S.AWAITING_BALANCE, now, None)
        if expected is None and not act:
            return
        if self.attempt(
            "refund",
            expected,
            lambda: self.plan.refund_deposit(now=now, reason="merchant cancelled"),
        ):
            self.model = S.REFUNDED

    @rule(back=going_back, act=rarely)
    def cancel(self, back: bool, act: bool) -> None:
        now = self.when(back)
        expected = self.expect(S.AWAITING_DEPOSIT, now, None)
        if expected is None and not act:
            return
        if self.attempt("cancel", expected, lambda: self.plan.cancel(now=now)):
            self.model = S.CANCELLED

    # ------------------------------------------------------------------ invariants
    @invariant()
    def state_matches_the_model(self) -> None:
        assert self.plan.state is self.model

    @invariant()
    def states_move_only_along_allowed_edges(self) -> None:
        current = S.AWAITING_DEPOSIT
        times = [self.plan.created_at]
        for source, target, at in self.plan.transitions:
            assert source is current
            assert target in ALLOWED[source]
            current = target
            times.append(at)
        assert current is self.plan.state
        assert times == sorted(times)

    @invariant()
    def money_adds_up(self) -> None:
        p = self.plan
        deposits = [e.fen for e in p.entries if e.kind is EntryKind.DEPOSIT]
        balances = [e.fen for e in p.entries if e.kind is EntryKind.BALANCE]
        assert len(deposits) <= 1 and len(balances) <= 1
        assert p.paid_fen == sum(deposits) + sum(balances)
        assert p.refunded_fen <= p.paid_fen
        assert p.forfeited_fen + p.refunded_fen <= p.paid_fen
        if p.state is S.COMPLETED:
            assert p.paid_fen == p.deposit_fen + p.balance_fen == self.total
            assert deposits == [self.deposit]
        if p.state in (S.AWAITING_DEPOSIT, S.CANCELLED):
            assert p.paid_fen == 0
        if p.state is S.FORFEITED:
            assert (p.forfeited_fen, p.refunded_fen) == (self.deposit, 0)
        if p.forfeited_fen:
            assert p.refunded_fen == 0  # a forfeited deposit is never refunded
        if p.state is S.REFUNDED:
            assert p.refunded_fen == p.paid_fen == self.deposit
        assert p.due_fen == {
            S.AWAITING_DEPOSIT: self.deposit,
            S.AWAITING_BALANCE: self.total - self.deposit,
        }.get(p.state, 0)


# RULES: PRE-6
DepositMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
test_deposit_plan_machine = DepositMachine.TestCase
