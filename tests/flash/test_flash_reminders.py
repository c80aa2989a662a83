"""FS-4: reminders go to subscribed buyers a configured time before the start —
once per (sale, customer, occurrence), for the SMS adapter."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone

import attrs
import pytest

from mallcore.errors import InvalidConfiguration, InvalidInput
from mallcore.money import money
from mallcore.promotions import Window
from mallcore.promotions.flash_sale import (
    FlashReminder,
    FlashSale,
    FlashSaleItem,
    FlashSubscription,
    reminders_due,
)

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
ITEMS = [FlashSaleItem("red", money("9.90"), 10), FlashSaleItem("blue", money("9.90"), 10)]
TEN = timedelta(minutes=10)


def sale(remind: timedelta | None = TEN, sale_id: str = "fs") -> FlashSale:
    return FlashSale(sale_id, "秒杀", Window(START, START + timedelta(hours=1)), ITEMS,
                     remind_before=remind)


@attrs.frozen
class DailyAtTen:
    """A stand-in recurring window (LTD-1 style): 10:00-11:00 every day from START."""

    days: int = 3
    sloppy: bool = False  # answers every start, ignoring the period it was asked about

    def is_active(self, now: datetime) -> bool:
        return any(s <= now < s + timedelta(hours=1) for s in self._starts())

    def describe(self) -> str:
        return "daily 10:00-11:00"

    def starts_between(self, after: datetime, until: datetime) -> Iterable[datetime]:
        return [s for s in self._starts() if self.sloppy or after < s <= until]

    def _starts(self) -> Iterator[datetime]:
        return (START + timedelta(days=d) for d in range(self.days))


def poll(sales: list[FlashSale], subs: list[FlashSubscription], since: datetime,
         until: datetime, step: timedelta) -> list[FlashReminder]:
    """A scheduler polling (t, t + step] back to back."""
    out: list[FlashReminder] = []
    t = since
    while t < until:
        out += reminders_due(sales, subs, t, t + step)
        t += step
    return out


# RULES: FS-4
def test_a_subscriber_is_reminded_the_configured_time_before_the_start() -> None:
    subs = [FlashSubscription("fs", "alice", "red")]
    due = reminders_due([sale()], subs, START - TEN - timedelta(minutes=1), START - TEN)
    assert due == [FlashReminder("fs", "alice", ("red",), START, START - TEN)]
    # (since, until] is half-open: the next period does not send it again
    assert reminders_due([sale()], subs, START - TEN, START - TEN + timedelta(minutes=1)) == []
    assert reminders_due([sale()], subs, START - timedelta(hours=2), START - TEN
                         - timedelta(seconds=1)) == []


# RULES: FS-4
def test_polling_back_to_back_sends_each_reminder_exactly_once() -> None:
    subs = [FlashSubscription("fs", "alice", "red"), FlashSubscription("fs", "alice", "blue"),
            FlashSubscription("fs", "alice", "red"),  # subscribed twice
            FlashSubscription("fs", "bob")]  # the whole sale
    sent = poll([sale()], subs, START - timedelta(hours=1), START + timedelta(hours=1),
                timedelta(seconds=37))
    assert sorted((r.customer_id, r.sku_ids) for r in sent) == [
        ("alice", ("blue", "red")), ("bob", ()),
    ]
    assert len({r.key for r in sent}) == len(sent)
    assert all(r.send_at == START - TEN for r in sent)


# RULES: FS-4
def test_only_subscribers_of_sales_with_reminders_are_reminded() -> None:
    quiet = sale(remind=None, sale_id="quiet")
    subs = [FlashSubscription("quiet", "alice", "red"),
            FlashSubscription("gone", "alice", "red"),  # a sale not given: ended or deleted
            FlashSubscription("fs", "carol", "green")]  # a SKU not in the sale
    assert poll([sale(), quiet], subs, START - timedelta(hours=1), START,
                timedelta(minutes=1)) == []


# RULES: FS-4
def test_a_recurring_sale_reminds_once_per_occurrence() -> None:
    daily = FlashSale("daily", "每日秒杀", DailyAtTen(3), ITEMS, remind_before=TEN)
    subs = [FlashSubscription("daily", "alice", "red"), FlashSubscription("daily", "bob")]
    one_call = reminders_due([daily], subs, START - timedelta(days=1), START + timedelta(days=5))
    assert [(r.customer_id, r.starts_at) for r in one_call] == [
        (c, START + timedelta(days=d)) for d in range(3) for c in ("alice", "bob")
    ]
    polled = poll([daily], subs, START - timedelta(days=1), START + timedelta(days=5),
                  timedelta(hours=7))
    assert sorted(r.key for r in polled) == sorted(r.key for r in one_call)


# RULES: FS-4
def test_starts_a_recurring_window_gives_outside_the_period_are_not_reminded_again() -> None:
    daily = FlashSale("daily", "每日秒杀", DailyAtTen(3, sloppy=True), ITEMS, remind_before=TEN)
    subs = [FlashSubscription("daily", "alice")]
    polled = poll([daily], subs, START - timedelta(days=1), START + timedelta(days=5),
                  timedelta(minutes=10))  # period ends land exactly on the send times
    assert [r.starts_at for r in polled] == [START + timedelta(days=d) for d in range(3)]


# RULES: FS-4
def test_reminders_need_a_start_to_count_back_from() -> None:
    with pytest.raises(InvalidConfiguration) as err:
        FlashSale("fs", "x", Window(None, START), ITEMS, remind_before=TEN)
    assert err.value.rule == "FS-4"
    assert "fs" in str(err.value)
    FlashSale("fs", "x", Window(None, START), ITEMS)  # no reminders: no start needed


# RULES: FS-4
def test_the_period_must_be_ordered_and_aware() -> None:
    with pytest.raises(InvalidInput):
        reminders_due([sale()], [], START, START - timedelta(seconds=1))
    with pytest.raises(InvalidInput):
        reminders_due([sale()], [], datetime(2026, 11, 11), START)
    with pytest.raises(InvalidInput):
        reminders_due([sale(), sale(remind=timedelta(minutes=5))], [], START - TEN, START)


# RULES: FS-4, FS-1
def test_a_flash_sale_on_the_recurring_window_of_limited_time_discounts() -> None:
    """The real recurring window (LTD-1) fits: priced only inside an occurrence, reminded
    before each occurrence's start."""
    from datetime import time

    recurrence = pytest.importorskip("mallcore.promotions.recurrence")
    window = recurrence.RecurringWindow(
        START - timedelta(hours=10), START + timedelta(days=2, hours=14),
        recurrence.Daily(time(10, 0), time(11, 0)))
    daily = FlashSale("daily", "每日秒杀", window, ITEMS, remind_before=TEN)
    assert daily.window.is_active(START + timedelta(days=1, minutes=5))
    assert not daily.window.is_active(START + timedelta(days=1, hours=2))
    polled = poll([daily], [FlashSubscription("daily", "alice", "red")],
                  START - timedelta(days=1), START + timedelta(days=5), timedelta(minutes=10))
    assert [r.starts_at for r in polled] == [START + timedelta(days=d) for d in range(3)]
    assert all(r.send_at == r.starts_at - TEN for r in polled)
