"""The points account: FIFO lots, expiry, refund and revoke, the ledger (PTS-3, PTS-4, AS-7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mallcore.customers import EntryKind, LedgerEntry, PointsAccount
from mallcore.errors import InvalidConfiguration, InvalidInput, LimitReached, NotFound

CST = timezone(timedelta(hours=8))


def at(
    year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CST)


def kinds(account: PointsAccount) -> list[tuple[str, int]]:
    return [(entry.kind.value, entry.points) for entry in account.entries]


# RULES: PTS-4
def test_every_change_is_a_ledger_entry_with_its_reason() -> None:
    account = PointsAccount("c1")
    earned = account.earn(100, "order A completed", at(2024, 3, 1), ref="A")
    spent = account.spend(30, "paid order B", at(2024, 3, 2), ref="B")
    assert earned == LedgerEntry(EntryKind.EARN, 100, "order A completed", at(2024, 3, 1), "A", 100)
    assert spent == LedgerEntry(EntryKind.SPEND, -30, "paid order B", at(2024, 3, 2), "B", 70)
    assert account.entries == (earned, spent)
    assert account.balance(at(2024, 3, 2)) == 70


# RULES: PTS-4
def test_spending_more_than_the_balance_is_refused_and_changes_nothing() -> None:
    account = PointsAccount("c1")
    account.earn(50, "order A", at(2024, 3, 1))
    before = account.entries
    with pytest.raises(LimitReached) as err:
        account.spend(51, "order B", at(2024, 3, 2))
    assert err.value.rule == "PTS-4"
    assert "51" in str(err.value) and "50" in str(err.value)
    assert account.entries == before
    assert account.balance(at(2024, 3, 2)) == 50
    account.spend(50, "order B", at(2024, 3, 2))
    assert account.balance(at(2024, 3, 2)) == 0


# RULES: PTS-4
@pytest.mark.parametrize("points", [0, -1, True, 1.0, "5"])
def test_zero_negative_and_non_integer_points_are_refused(points: object) -> None:
    account = PointsAccount("c1")
    account.earn(10, "seed", at(2024))
    account.spend(5, "seed spend", at(2024), ref="o")
    amount: Any = points
    changes: list[Callable[[], LedgerEntry]] = [
        lambda: account.earn(amount, "x", at(2024)),
        lambda: account.spend(amount, "x", at(2024)),
        lambda: account.refund(amount, "x", at(2024), "o"),
        lambda: account.revoke(amount, "x", at(2024), "o"),
    ]
    for change in changes:
        with pytest.raises(InvalidInput) as err:
            change()
        assert err.value.rule == "PTS-4"
    assert kinds(account) == [("earn", 10), ("spend", -5)]


# RULES: PTS-4
@pytest.mark.parametrize("reason", ["", "   ", None, 3])
def test_a_reason_is_required(reason: object) -> None:
    account = PointsAccount("c1")
    with pytest.raises(InvalidInput) as err:
        account.earn(10, reason, at(2024))  # type: ignore[arg-type]
    assert err.value.rule == "PTS-4"
    assert account.entries == ()


# RULES: PTS-4
def test_time_must_be_aware_and_move_forward() -> None:
    account = PointsAccount("c1")
    with pytest.raises(InvalidInput):
        account.earn(10, "naive", datetime(2024, 1, 1))
    with pytest.raises(InvalidInput):
        account.balance(datetime(2024, 1, 1))
    account.earn(10, "order", at(2024, 6, 1))
    with pytest.raises(InvalidInput) as err:
        account.spend(1, "earlier", at(2024, 5, 1))
    assert err.value.rule == "PTS-4"
    with pytest.raises(InvalidInput):
        account.expire(at(2024, 5, 1))
    assert account.balance(at(2024, 6, 1)) == 10


# RULES: PTS-4
def test_an_account_needs_a_customer_and_a_bool_switch() -> None:
    with pytest.raises(InvalidInput):
        PointsAccount("")
    with pytest.raises(InvalidConfiguration):
        PointsAccount("c1", expiry_enabled=1)  # type: ignore[arg-type]


# RULES: PTS-3
def test_spending_takes_the_oldest_lot_first() -> None:
    account = PointsAccount("c1")
    account.earn(100, "2023 order", at(2023, 3, 1))  # expires end of 2024
    account.earn(50, "2024 order", at(2024, 6, 1))  # expires end of 2025
    account.spend(120, "order", at(2024, 7, 1))  # 100 from 2023, 20 from 2024
    assert account.balance(at(2024, 12, 31, 23, 59, 59)) == 30
    assert account.expire(at(2025, 1, 1)) == ()
    assert account.balance(at(2025, 12, 31, 23, 59, 58)) == 30
    assert account.balance(at(2025, 12, 31, 23, 59, 59)) == 0


# RULES: PTS-3
def test_unspent_points_expire_at_the_end_of_the_next_year() -> None:
    account = PointsAccount("c1")
    account.earn(100, "order", at(2023, 1, 1))
    account.spend(40, "order", at(2023, 5, 1))
    assert account.balance(at(2024, 12, 31, 23, 59, 58)) == 60
    (entry,) = account.expire(at(2025, 2, 1))
    assert entry.kind is EntryKind.EXPIRE
    assert entry.points == -60
    assert entry.at == at(2024, 12, 31, 23, 59, 59)  # dated when it happened
    assert entry.balance_after == 0
    assert "2023-01-01" in entry.reason
    assert account.expire(at(2025, 2, 1)) == ()  # nothing twice


# RULES: PTS-3
def test_points_are_cleared_at_23_59_59_itself() -> None:
    account = PointsAccount("c1")
    account.earn(70, "order", at(2018, 1, 1))
    assert account.expire(at(2019, 12, 31, 23, 59, 58)) == ()
    (entry,) = account.expire(at(2019, 12, 31, 23, 59, 59))
    assert (entry.points, entry.at, entry.balance_after) == (-70, at(2019, 12, 31, 23, 59, 59), 0)


# RULES: PTS-3
def test_expired_points_cannot_be_spent() -> None:
    account = PointsAccount("c1")
    account.earn(100, "order", at(2023, 1, 1))
    with pytest.raises(LimitReached):
        account.spend(1, "too late", at(2025, 1, 1))
    assert kinds(account) == [("earn", 100)]  # the refusal did not even settle expiry


# RULES: PTS-3, PTS-4
def test_changes_settle_expiry_first_so_the_ledger_stays_chronological() -> None:
    account = PointsAccount("c1")
    account.earn(100, "order", at(2023, 1, 1))
    account.earn(5, "order", at(2025, 3, 1))
    assert kinds(account) == [("earn", 100), ("expire", -100), ("earn", 5)]
    times = [entry.at for entry in account.entries]
    assert times == sorted(times)


# RULES: PTS-3
def test_nothing_expires_when_expiry_is_disabled() -> None:
    account = PointsAccount("c1", expiry_enabled=False)
    account.earn(100, "order", at(2010))
    assert account.expire(at(2040)) == ()
    assert account.balance(at(2040)) == 100


# RULES: AS-7, PTS-4
def test_refund_gives_spent_points_back_once() -> None:
    account = PointsAccount("c1")
    account.earn(100, "order A", at(2024, 1, 1))
    account.spend(30, "order B", at(2024, 1, 2), ref="B")
    entry = account.refund(30, "order B cancelled", at(2024, 1, 3), "B")
    assert (entry.kind, entry.points, entry.balance_after) == (EntryKind.REFUND, 30, 100)
    with pytest.raises(LimitReached) as err:
        account.refund(1, "again", at(2024, 1, 4), "B")
    assert err.value.rule == "AS-7"
    assert account.balance(at(2024, 1, 4)) == 100


# RULES: AS-7
def test_refund_refuses_unknown_references_and_more_than_was_spent() -> None:
    account = PointsAccount("c1")
    account.earn(100, "order A", at(2024, 1, 1), ref="A")
    account.spend(30, "order B", at(2024, 1, 2), ref="B")
    before = account.entries
    with pytest.raises(NotFound):
        account.refund(10, "x", at(2024, 1, 3), "C")
    with pytest.raises(NotFound):
        account.refund(10, "earned is not spent", at(2024, 1, 3), "A")
    with pytest.raises(LimitReached):
        account.refund(31, "x", at(2024, 1, 3), "B")
    with pytest.raises(InvalidInput):
        account.refund(10, "x", at(2024, 1, 3), "")
    assert account.entries == before
    account.refund(10, "partial", at(2024, 1, 3), "B")
    account.refund(20, "rest", at(2024, 1, 3), "B")
    assert account.balance(at(2024, 1, 3)) == 100


# RULES: AS-7, PTS-3
def test_refunded_points_keep_their_lot_expiry() -> None:
    account = PointsAccount("c1")
    account.earn(100, "2023 order", at(2023, 1, 5))  # expires end of 2024
    account.spend(40, "order", at(2024, 12, 1), ref="o1")
    account.refund(40, "order cancelled", at(2025, 1, 2), "o1")
    # the 60 left lapsed at the end of 2024; the 40 given back lapse at once
    assert kinds(account) == [
        ("earn", 100),
        ("spend", -40),
        ("expire", -60),
        ("refund", 40),
        ("expire", -40),
    ]
    assert account.entries[-1].at == at(2025, 1, 2)
    assert account.balance(at(2025, 1, 2)) == 0


# RULES: AS-7, PTS-3
def test_a_refund_returns_points_to_the_latest_lots_taken_first() -> None:
    account = PointsAccount("c1")
    account.earn(10, "2023", at(2023, 6, 1))  # expires end 2024
    account.earn(10, "2024", at(2024, 6, 1))  # expires end 2025
    account.spend(15, "order", at(2024, 7, 1), ref="o")  # 10 of 2023, 5 of 2024
    account.refund(5, "partial", at(2024, 7, 2), "o")  # back to the 2024 lot
    assert account.balance(at(2025, 1, 1)) == 10
    assert account.balance(at(2025, 12, 31, 23, 59, 59)) == 0


# RULES: AS-7, PTS-4
def test_revoke_takes_back_earned_points_but_never_below_zero() -> None:
    account = PointsAccount("c1")
    account.earn(100, "order A completed", at(2024, 1, 1), ref="A")
    account.spend(80, "order B", at(2024, 1, 2))
    entry = account.revoke(100, "order A fully refunded", at(2024, 1, 3), "A")
    assert (entry.kind, entry.points, entry.balance_after) == (EntryKind.REVOKE, -20, 0)
    assert account.balance(at(2024, 1, 3)) == 0
    # the claim is closed: the 80 already spent are forgiven, not a debt
    with pytest.raises(LimitReached) as err:
        account.revoke(1, "again", at(2024, 1, 4), "A")
    assert err.value.rule == "AS-7"
    account.earn(5, "order C", at(2024, 1, 5))
    assert account.balance(at(2024, 1, 5)) == 5


# RULES: AS-7
def test_revoke_refuses_unknown_references_and_more_than_was_earned() -> None:
    account = PointsAccount("c1")
    account.earn(100, "order A", at(2024, 1, 1), ref="A")
    account.spend(10, "order B", at(2024, 1, 2), ref="B")
    before = account.entries
    with pytest.raises(NotFound):
        account.revoke(10, "x", at(2024, 1, 3), "B")
    with pytest.raises(LimitReached):
        account.revoke(101, "x", at(2024, 1, 3), "A")
    with pytest.raises(InvalidInput):
        account.revoke(1, "x", at(2024, 1, 3), None)  # type: ignore[arg-type]
    assert account.entries == before


# RULES: AS-7, PTS-3
def test_revoke_takes_the_orders_own_lot_first() -> None:
    account = PointsAccount("c1")
    account.earn(100, "2023 order", at(2023, 6, 1), ref="old")  # expires end 2024
    account.earn(100, "2024 order", at(2024, 6, 1), ref="new")  # expires end 2025
    account.revoke(100, "new refunded", at(2024, 7, 1), "new")
    # the 2023 lot is untouched and still expires at the end of 2024
    assert account.balance(at(2024, 12, 31, 23, 59, 58)) == 100
    assert account.balance(at(2024, 12, 31, 23, 59, 59)) == 0


# RULES: AS-7, PTS-4
def test_revoke_with_an_empty_balance_records_zero() -> None:
    account = PointsAccount("c1")
    account.earn(10, "order A", at(2024, 1, 1), ref="A")
    account.spend(10, "order B", at(2024, 1, 2))
    entry = account.revoke(10, "order A refunded", at(2024, 1, 3), "A")
    assert (entry.points, entry.balance_after) == (0, 0)


class AccountMachine(RuleBasedStateMachine):
    """Random earn / spend / refund / revoke / expire over years of time."""

    def __init__(self) -> None:
        super().__init__()
        self.account = PointsAccount("c1")
        self.now = at(2023, 1, 1)
        self.n = 0
        self.refundable: dict[str, int] = {}
        self.revocable: dict[str, int] = {}

    def _ref(self) -> str:
        self.n += 1
        return f"o{self.n}"

    @rule(points=st.integers(1, 300))
    def earn(self, points: int) -> None:
        before = self.account.balance(self.now)
        ref = self._ref()
        self.account.earn(points, "order completed", self.now, ref=ref)
        self.revocable[ref] = points
        assert self.account.balance(self.now) == before + points

    @rule(points=st.integers(1, 600))
    def spend(self, points: int) -> None:
        before = self.account.balance(self.now)
        entries = self.account.entries
        ref = self._ref()
        if points > before:
            with pytest.raises(LimitReached):
                self.account.spend(points, "order paid", self.now, ref=ref)
            assert self.account.entries == entries
        else:
            self.account.spend(points, "order paid", self.now, ref=ref)
            self.refundable[ref] = points
            assert self.account.balance(self.now) == before - points

    @rule(delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
    def wait(self, delta: timedelta) -> None:
        self.now += delta

    @rule()
    def expire(self) -> None:
        before = self.account.balance(self.now)
        self.account.expire(self.now)
        assert self.account.balance(self.now) == before
        assert before == sum(entry.points for entry in self.account.entries)

    @precondition(lambda self: self.refundable)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        ref = data.draw(st.sampled_from(sorted(self.refundable)))
        left = self.refundable[ref]
        points = data.draw(st.integers(1, left + 3))
        before = self.account.balance(self.now)
        if points > left:
            with pytest.raises(LimitReached):
                self.account.refund(points, "cancelled", self.now, ref)
            assert self.account.balance(self.now) == before
            return
        self.account.refund(points, "cancelled", self.now, ref)
        self.refundable[ref] = left - points
        if not self.refundable[ref]:
            del self.refundable[ref]
        assert before <= self.account.balance(self.now) <= before + points

    @precondition(lambda self: self.revocable)
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        ref = data.draw(st.sampled_from(sorted(self.revocable)))
        left = self.revocable[ref]
        points = data.draw(st.integers(1, left + 3))
        before = self.account.balance(self.now)
        if points > left:
            with pytest.raises(LimitReached):
                self.account.revoke(points, "refunded", self.now, ref)
            assert self.account.balance(self.now) == before
            return
        entry = self.account.revoke(points, "refunded", self.now, ref)
        self.revocable[ref] = left - points
        if not self.revocable[ref]:
            del self.revocable[ref]
        assert entry.points == -min(points, before)
        assert self.account.balance(self.now) == before - min(points, before)

    # RULES: PTS-4
    @invariant()
    def ledger_adds_up_and_never_goes_negative(self) -> None:
        running = 0
        previous = None
        for entry in self.account.entries:
            running += entry.points
            assert entry.balance_after == running
            assert entry.balance_after >= 0
            assert entry.reason.strip()
            assert previous is None or entry.at >= previous
            previous = entry.at
        usable = self.account.balance(self.now)
        assert 0 <= usable <= running

    # RULES: PTS-3
    @invariant()
    def nothing_survives_two_years(self) -> None:
        last_earn = max(
            (e.at for e in self.account.entries if e.kind is EntryKind.EARN),
            default=None,
        )
        if last_earn is not None and self.now - last_earn > timedelta(days=731):
            assert self.account.balance(self.now) == 0


AccountMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40)
# RULES: PTS-3, PTS-4, AS-7
TestPointsAccount = AccountMachine.TestCase
