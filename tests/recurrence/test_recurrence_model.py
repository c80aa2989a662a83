"""Building a recurring window: what is refused at the door, and how it reads (LTD-1, ACT-3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from mallcore.errors import InvalidConfiguration, InvalidInput
from mallcore.promotions.recurrence import (
    SHANGHAI,
    Daily,
    Monthly,
    RecurringWindow,
    Weekly,
)
from mallcore.promotions.window import Window

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


MAY = (sh(2024, 5, 1), sh(2024, 6, 1))


def test_is_a_window_and_defaults_to_shanghai() -> None:
    # RULES: ACT-3, LTD-1
    window = RecurringWindow(*MAY, Daily(time(10), time(12)))
    assert isinstance(window, Window)
    assert window.zone is SHANGHAI
    assert not window.permanent
    assert RecurringWindow(*MAY, zone="Asia/Shanghai") == RecurringWindow(*MAY)


def test_zone_given_by_key_or_zoneinfo() -> None:
    # RULES: LTD-1
    assert RecurringWindow(*MAY, zone="Europe/Berlin").zone == ZoneInfo("Europe/Berlin")
    for bad in ("", "Asia", "nowhere/at_all", "../etc/passwd"):
        with pytest.raises(InvalidInput):
            RecurringWindow(*MAY, zone=bad)
    with pytest.raises(InvalidInput):
        RecurringWindow(*MAY, zone=UTC)  # type: ignore[arg-type]


def test_naive_datetimes_are_refused_everywhere() -> None:
    # RULES: LTD-1
    naive = datetime(2024, 5, 1)
    with pytest.raises(InvalidInput):
        RecurringWindow(naive, sh(2024, 6, 1))
    with pytest.raises(InvalidInput):
        RecurringWindow(sh(2024, 5, 1), datetime(2024, 6, 1))
    window = RecurringWindow(*MAY, Daily(time(10), time(12)))
    for call in (window.is_active, window.next_start, window.next_opening):
        with pytest.raises(InvalidInput):
            call(naive)
    with pytest.raises(InvalidInput):
        window.occurrences(naive, sh(2024, 5, 2))
    with pytest.raises(InvalidInput):
        window.occurrences(sh(2024, 5, 1), naive)


def test_overall_window_must_end_after_it_starts() -> None:
    # RULES: ACT-3
    with pytest.raises(InvalidConfiguration) as caught:
        RecurringWindow(sh(2024, 6, 1), sh(2024, 5, 1))
    assert caught.value.rule == "ACT-3"
    with pytest.raises(InvalidConfiguration):
        RecurringWindow(sh(2024, 5, 1), sh(2024, 5, 1))


def test_bad_recurrence_values_are_refused() -> None:
    # RULES: LTD-1
    bad: list[Callable[[], object]] = [
        lambda: Daily("10:00", time(12)),  # type: ignore[arg-type]
        lambda: Daily(time(10), time(12, tzinfo=UTC)),
        lambda: Weekly(frozenset(), time(10), time(12)),
        lambda: Weekly(frozenset({7}), time(10), time(12)),
        lambda: Weekly(frozenset({-1}), time(10), time(12)),
        lambda: Weekly(frozenset({True}), time(10), time(12)),
        lambda: Weekly("Mon", time(10), time(12)),  # type: ignore[arg-type]
        lambda: Monthly(0, time(10), time(12)),
        lambda: Monthly(32, time(10), time(12)),
        lambda: Monthly(True, time(10), time(12)),
        lambda: Monthly(1.0, time(10), time(12)),  # type: ignore[arg-type]
    ]
    for build in bad:
        with pytest.raises(InvalidInput) as caught:
            build()
        assert caught.value.rule == "LTD-1"
    with pytest.raises(InvalidInput):
        RecurringWindow(*MAY, "every day")  # type: ignore[arg-type]


def test_weekdays_accept_any_collection_of_ints() -> None:
    # RULES: LTD-1
    weekly = Weekly({MON, WED}, time(10), time(12))
    assert weekly.weekdays == frozenset({MON, WED})
    assert weekly == Weekly(frozenset([WED, MON, MON]), time(10), time(12))


@pytest.mark.parametrize(
    ("window", "recurrence"),
    [
        # monthly on the 31st inside a window covering only February
        ((sh(2024, 2, 1), sh(2024, 3, 1)), Monthly(31, time(10), time(12))),
        # ... or only February and April (30 days): still no 31st
        ((sh(2024, 4, 1), sh(2024, 5, 1)), Monthly(31, time(0), time(0))),
        # weekly on Monday inside a 3-day window Wed 1 May – Sat 4 May 2024
        ((sh(2024, 5, 1), sh(2024, 5, 4)), Weekly(frozenset({MON}), time(10), time(12))),
        # every day 10–12, but the window is one afternoon
        ((sh(2024, 5, 1, 13), sh(2024, 5, 1, 18)), Daily(time(10), time(12))),
        # the occurrence ends exactly when the window starts: half-open, no instant inside
        ((sh(2024, 5, 1, 12), sh(2024, 5, 1, 18)), Daily(time(10), time(12))),
        # crossing midnight: 22:00–02:00, window 03:00–21:00 the same day
        ((sh(2024, 5, 1, 3), sh(2024, 5, 1, 21)), Daily(time(22), time(2))),
        # the 29th of February in a year without one
        ((sh(2023, 2, 1), sh(2023, 3, 1)), Monthly(29, time(10), time(12))),
    ],
)
def test_recurrence_never_inside_the_window_is_refused(
    window: tuple[datetime, datetime], recurrence: Daily | Weekly | Monthly
) -> None:
    # RULES: LTD-1
    with pytest.raises(InvalidConfiguration) as caught:
        RecurringWindow(*window, recurrence)
    assert caught.value.rule == "LTD-1"
    assert "recurring time invalid" in str(caught.value)


def test_recurrence_partly_inside_the_window_is_accepted() -> None:
    # RULES: LTD-1 (interpretation: an occurrence that is partly inside counts)
    window = RecurringWindow(sh(2024, 5, 1, 11), sh(2024, 5, 1, 18), Daily(time(10), time(12)))
    assert window.occurrences(*MAY) == [(sh(2024, 5, 1, 11), sh(2024, 5, 1, 12))]
    late = RecurringWindow(sh(2024, 5, 2, 1), sh(2024, 5, 2, 5), Daily(time(22), time(2)))
    assert late.occurrences(*MAY) == [(sh(2024, 5, 2, 1), sh(2024, 5, 2, 2))]
    leap = RecurringWindow(sh(2024, 2, 1), sh(2024, 3, 1), Monthly(29, time(10), time(12)))
    assert leap.is_active(sh(2024, 2, 29, 11))


def test_describe_reads_well() -> None:
    # RULES: LTD-1
    assert RecurringWindow(*MAY).describe() == "2024-05-01 00:00 – 2024-06-01 00:00 (Asia/Shanghai)"
    assert RecurringWindow(*MAY, Daily(time(10), time(12))).describe() == (
        "2024-05-01 00:00 – 2024-06-01 00:00 (Asia/Shanghai), every day 10:00–12:00")
    weekly = RecurringWindow(*MAY, Weekly(frozenset({FRI, MON}), time(22), time(2)))
    assert weekly.describe().endswith("every Mon, Fri 22:00–02:00 (next day)")
    monthly = RecurringWindow(sh(2024, 1, 1), sh(2025, 1, 1), Monthly(31, time(9, 30, 15),
                                                                    time(12)))
    assert monthly.describe().endswith(
        "day 31 of every month 09:30:15–12:00 (months without day 31 are skipped)")
    assert Monthly(15, time(0), time(0)).describe() == (
        "day 15 of every month 00:00–00:00 (next day)")
    # the overall window is shown in the window's zone, whatever zone it was given in
    utc = RecurringWindow(datetime(2024, 4, 30, 16, tzinfo=UTC), datetime(2024, 5, 31, 16,
                                                                          tzinfo=UTC))
    assert utc.describe() == "2024-05-01 00:00 – 2024-06-01 00:00 (Asia/Shanghai)"
    berlin = RecurringWindow(*MAY, zone="Europe/Berlin")
    assert berlin.describe() == "2024-04-30 18:00 – 2024-05-31 18:00 (Europe/Berlin)"


def test_equal_windows_are_equal_and_hashable() -> None:
    # RULES: LTD-1
    first = RecurringWindow(*MAY, Weekly(frozenset({MON}), time(10), time(12)))
    second = RecurringWindow(*MAY, Weekly(frozenset({MON}), time(10), time(12)))
    assert first == second
    assert hash(first) == hash(second)
    assert first != RecurringWindow(*MAY, Weekly(frozenset({TUE}), time(10), time(12)))
    assert first != RecurringWindow(MAY[0], MAY[1] + timedelta(days=1),
                                    Weekly(frozenset({MON}), time(10), time(12)))
