"""Quiet hours (免打扰时间): 23:00 to 08:00 in the merchant's time zone (SMS-3).

"Nothing is sent; what was due then is not sent later."  The clock is the
merchant's wall clock, so the zone is explicit (default Asia/Shanghai) and a
naive datetime is refused: it could be any of 24 hours.  The start is quiet,
the end is not: 23:00:00 is quiet, 08:00:00 is not.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mallcore.errors import InvalidConfiguration, InvalidInput
from mallcore.guards import aware

__all__ = ["SHANGHAI", "QuietHours"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _zone(value: str | ZoneInfo) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise InvalidInput("merchant time zone", f"{value!r} is not a known time zone",
                               rule="SMS-3") from exc
    raise InvalidInput("merchant time zone", f"{value!r} is not a time zone", rule="SMS-3")


class QuietHours:
    """``[start, end)`` each day in ``zone``; wraps past midnight when start > end."""

    def __init__(
        self, start: time = time(23), end: time = time(8), zone: str | ZoneInfo = SHANGHAI
    ) -> None:
        for what, value in (("start", start), ("end", end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidConfiguration(f"quiet hours {what}",
                                           f"{value!r} is not a wall-clock time", rule="SMS-3")
        if start == end:
            raise InvalidConfiguration("quiet hours", f"start and end are both {start}",
                                       rule="SMS-3")
        self.start = start
        self.end = end
        self.zone = _zone(zone)

    def is_quiet(self, at: datetime) -> bool:
        local = aware(at, "time to check against quiet hours", "SMS-3").astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def first_quiet(self, since: datetime, until: datetime) -> datetime | None:
        """The first quiet instant in ``[since, until]``, or None.

        Something due at ``since`` and still unsent at ``until`` "was due" during
        that instant, so SMS-3 says it is not sent later.
        """
        aware(since, "due time", "SMS-3")
        aware(until, "now", "SMS-3")
        if until < since:
            return None
        if self.is_quiet(since):
            return since
        local = since.astimezone(self.zone)
        start = local.replace(hour=self.start.hour, minute=self.start.minute,
                              second=self.start.second, microsecond=self.start.microsecond,
                              fold=0)
        if start <= local:
            start = (start.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=self.zone)
        return start if start <= until else None

    def describe(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M} {self.zone.key}"

    def local(self, at: datetime) -> datetime:
        return aware(at, "time", "SMS-3").astimezone(self.zone)

    def reason(self, due: datetime) -> str:
        """Why something due at ``due`` is skipped (said the same way everywhere)."""
        return (f"due {self.local(due):%Y-%m-%d %H:%M} {self.zone.key}, inside quiet hours "
                f"{self.describe()}; not sent later")

    def __repr__(self) -> str:
        return f"QuietHours({self.describe()})"
