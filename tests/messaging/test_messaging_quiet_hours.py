"""Quiet hours 23:00–08:00 merchant time: exact boundaries, explicit zones (SMS-3)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidConfiguration, InvalidInput
from mallcore.messaging import QuietHours

SH = ZoneInfo("Asia/Shanghai")
TOKYO = ZoneInfo("Asia/Tokyo")
TICK = timedelta(microseconds=1)


# RULES: SMS-3
@pytest.mark.parametrize("zone", [SH, TOKYO, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata")])
def test_boundaries_are_exact_23_is_quiet_08_is_not(zone: ZoneInfo) -> None:
    q = QuietHours(zone=zone)
    day = datetime(2024, 3, 10, tzinfo=zone)
    assert not q.is_quiet(day.replace(hour=23) - TICK)
    assert q.is_quiet(day.replace(hour=23))
    assert q.is_quiet(day.replace(hour=8) - TICK)
    assert not q.is_quiet(day.replace(hour=8))
    assert q.is_quiet(day)  # midnight


# RULES: SMS-3
def test_default_zone_is_shanghai_and_instants_are_compared_there() -> None:
    q = QuietHours()
    assert q.zone.key == "Asia/Shanghai"
    assert q.is_quiet(datetime(2024, 6, 1, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    assert not q.is_quiet(datetime(2024, 6, 1, 14, 59, 59, tzinfo=UTC))
    assert not q.is_quiet(datetime(2024, 6, 1, 0, 0, tzinfo=UTC))  # 08:00 in Shanghai
    assert q.is_quiet(datetime(2024, 5, 31, 23, 59, 59, tzinfo=UTC))


# RULES: SMS-3
def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no time zone"):
        QuietHours().is_quiet(datetime(2024, 6, 1, 12, 0))


# RULES: SMS-3
def test_a_zone_with_dst_uses_local_wall_time_across_the_change() -> None:
    q = QuietHours(zone="America/New_York")
    # 2024-03-10: clocks jump from 02:00 to 03:00; 07:59 EDT is still quiet.
    assert q.is_quiet(datetime(2024, 3, 10, 7, 59, tzinfo=ZoneInfo("America/New_York")))
    assert not q.is_quiet(datetime(2024, 3, 10, 12, 0, tzinfo=UTC))  # 08:00 EDT
    assert q.is_quiet(datetime(2024, 3, 9, 12, 59, tzinfo=UTC))  # 07:59 EST


def test_configuration_is_checked() -> None:
    with pytest.raises(InvalidConfiguration):
        QuietHours(time(8), time(8))
    with pytest.raises(InvalidInput, match="not a known time zone"):
        QuietHours(zone="Mars/Olympus")
    q = QuietHours(time(12), time(13, 30))
    assert q.is_quiet(datetime(2024, 1, 1, 12, tzinfo=SH))
    assert not q.is_quiet(datetime(2024, 1, 1, 13, 30, tzinfo=SH))
    assert not q.is_quiet(datetime(2024, 1, 1, 23, tzinfo=SH))


# RULES: SMS-3
def test_first_quiet_instant_between_due_and_now() -> None:
    q = QuietHours()
    due = datetime(2024, 6, 1, 22, 0, tzinfo=SH)
    assert q.first_quiet(due, due + timedelta(minutes=59)) is None
    assert q.first_quiet(due, due + timedelta(hours=1)) == datetime(2024, 6, 1, 23, tzinfo=SH)
    assert q.first_quiet(due, due + timedelta(hours=10, minutes=30)) is not None
    morning = datetime(2024, 6, 2, 7, 0, tzinfo=SH)
    assert q.first_quiet(morning, morning + timedelta(hours=5)) == morning


_fixed_zones = st.sampled_from(["Asia/Shanghai", "Asia/Tokyo", "UTC", "Asia/Kolkata",
                                "Asia/Kathmandu"])
_instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1),
                         timezones=st.just(UTC))


# RULES: SMS-3
@settings(max_examples=300, deadline=None)
@given(_instants, _fixed_zones, st.integers(-14 * 60, 14 * 60))
def test_in_dst_free_zones_quiet_means_local_clock_outside_8_to_23(
    at: datetime, zone: str, shown_offset: int
) -> None:
    q = QuietHours(zone=zone)
    local = at.astimezone(ZoneInfo(zone))
    expected = local.hour >= 23 or local.hour < 8
    # however the caller writes the instant, the answer is the merchant's wall clock
    written = at.astimezone(timezone(timedelta(minutes=shown_offset)))
    assert q.is_quiet(written) is expected


# RULES: SMS-3
@settings(max_examples=200, deadline=None)
@given(_instants, st.integers(0, 3 * 24 * 3600))
def test_first_quiet_agrees_with_a_minute_by_minute_scan(since: datetime, span: int) -> None:
    q = QuietHours()
    until = since + timedelta(seconds=span)
    found = q.first_quiet(since, until)
    if found is None:
        step = since
        while step <= until:  # no quiet minute boundary in between
            assert not q.is_quiet(step)
            step += timedelta(minutes=30)
    else:
        assert since <= found <= until
        assert q.is_quiet(found)
        assert found == since or not q.is_quiet(found - TICK)
