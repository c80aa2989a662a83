"""FS-3 (and ORD-6 for flash sales): an unpaid flash order closes after the configured
minutes (default 30) and its stock goes back on sale."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from mallcore.errors import InvalidInput, InvalidTransition, LimitReached, NotAllowed
from mallcore.money import money
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import (
    FlashLimits,
    FlashReservation,
    FlashSale,
    FlashSaleItem,
    FlashSaleRule,
    expired_reservations,
)
from mallcore.promotions.flash_stock import MemoryFlashStock

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
T0 = START + timedelta(minutes=1)
WINDOW = Window(START, START + timedelta(hours=3))


def setup(timeout: timedelta | None = None, stock: int = 2
          ) -> tuple[FlashSaleRule, MemoryFlashStock]:
    items = [FlashSaleItem("red", money("9.90"), stock, per_user_limit=2)]
    sale = (FlashSale("fs", "秒杀", WINDOW, items) if timeout is None
            else FlashSale("fs", "秒杀", WINDOW, items, payment_timeout=timeout))
    store = MemoryFlashStock()
    return FlashSaleRule(sale, store, FlashLimits()), store


# RULES: FS-3, ORD-6
def test_a_submission_must_be_paid_within_thirty_minutes_by_default() -> None:
    rule, _ = setup()
    r = rule.submit("alice", "red", 1, "o1", now=T0)
    assert r == FlashReservation("o1", "fs", "red", "alice", 1, T0, T0 + timedelta(minutes=30))
    assert expired_reservations([r], T0 + timedelta(minutes=29, seconds=59)) == []
    assert expired_reservations([r], T0 + timedelta(minutes=30)) == [r]
    assert not r.expired(T0 + timedelta(minutes=29, seconds=59))
    assert r.expired(T0 + timedelta(minutes=30))


# RULES: FS-3
def test_the_timeout_is_configurable() -> None:
    rule, _ = setup(timeout=timedelta(minutes=5))
    r = rule.submit("alice", "red", 1, "o1", now=T0)
    assert r.pay_by == T0 + timedelta(minutes=5)
    assert expired_reservations([r], T0 + timedelta(minutes=5)) == [r]


# RULES: FS-3, FS-5
def test_closing_expired_orders_puts_their_stock_back_on_sale() -> None:
    rule, store = setup(stock=2)
    a = rule.submit("alice", "red", 2, "a", now=T0)
    with pytest.raises(LimitReached, match="sold out"):
        rule.submit("bob", "red", 1, "b", now=T0 + timedelta(minutes=10))
    assert rule.close_expired([a], T0 + timedelta(minutes=29)) == ()
    assert store.remaining("fs", "red") == 0
    assert rule.close_expired([a], T0 + timedelta(minutes=30)) == (a,)
    assert store.level("fs", "red").remaining == 2
    assert rule.limits.used("fs", "alice", "red") == 0
    # closing twice (scheduler retry, or the buyer cancelled meanwhile) does nothing more
    assert rule.close_expired([a], T0 + timedelta(minutes=31)) == ()
    assert store.remaining("fs", "red") == 2
    # the units sell again
    rule.submit("bob", "red", 1, "b2", now=T0 + timedelta(minutes=31))
    assert store.remaining("fs", "red") == 1


# RULES: FS-3, ORD-6
def test_a_late_payment_for_a_closed_order_is_refused_and_paid_orders_are_not_closed(
) -> None:
    rule, store = setup(stock=3)
    late = rule.submit("alice", "red", 1, "late", now=T0)
    paid = rule.submit("bob", "red", 2, "paid", now=T0)
    assert rule.pay("paid") is True
    assert rule.pay("paid") is False  # repeated notification
    closed = rule.close_expired([late, paid], T0 + timedelta(hours=1))
    assert closed == (late,)
    with pytest.raises(InvalidTransition) as err:
        rule.pay("late")
    assert err.value.rule == "FS-3"
    level = store.level("fs", "red")
    assert (level.remaining, level.reserved, level.sold) == (1, 0, 2)


# RULES: FS-3
def test_close_expired_only_touches_its_own_sale() -> None:
    rule, store = setup()
    mine = rule.submit("alice", "red", 1, "x", now=T0)
    other = attrs.evolve(mine, sale_id="other-sale")  # same ref, another sale's record
    assert rule.close_expired([other], T0 + timedelta(hours=1)) == ()
    assert store.held("x") == 1
    assert rule.close_expired([mine, other], T0 + timedelta(hours=1)) == (mine,)
    assert store.held("x") == 0
    with pytest.raises(InvalidInput):
        expired_reservations([other], datetime(2026, 11, 11, 12, 0))  # naive time


# RULES: FS-1, FS-3
def test_submission_outside_the_window_is_refused() -> None:
    rule, store = setup()
    with pytest.raises(NotAllowed) as err:
        rule.submit("alice", "red", 1, "o1", now=START - timedelta(seconds=1))
    assert err.value.rule == "FS-1"
    assert store.remaining("fs", "red") == 2
    assert rule.limits.used("fs", "alice", "red") == 0
