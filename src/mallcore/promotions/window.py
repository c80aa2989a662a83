"""When a promotion is valid (ACT-3): may start in the future, may be permanent.

The recurring windows of limited-time discounts (LTD-1) will extend this type;
the pipeline only ever asks ``is_active(now)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import attrs

from mallcore.errors import InvalidConfiguration
from mallcore.guards import aware


class Schedule(Protocol):
    """What an activity needs of its time: a ``Window`` or a ``RecurringWindow`` (LTD-1)."""

    def is_active(self, now: datetime, /) -> bool: ...

    def overlaps(self, other: Any, /) -> bool: ...

    def describe(self) -> str: ...


@attrs.frozen
class Window:
    """A half-open validity interval ``[starts_at, ends_at)``; ``None`` is unbounded."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if self.starts_at is not None:
            aware(self.starts_at, "window start")
        if self.ends_at is not None:
            aware(self.ends_at, "window end")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise InvalidConfiguration(
                "window", f"ends {self.ends_at.isoformat()} before it starts", rule="ACT-3"
            )

    @property
    def permanent(self) -> bool:
        return self.starts_at is None and self.ends_at is None

    def is_active(self, now: datetime) -> bool:
        if self.starts_at is not None and now < self.starts_at:
            return False
        return self.ends_at is None or now < self.ends_at

    def overlaps(self, other: Window) -> bool:
        """Two half-open intervals overlap when each starts before the other ends.

        A subclass with a finer shape (a recurring window) knows better: ask it.
        """
        if type(self) is Window and type(other) is not Window:
            return other.overlaps(self)
        a_before_b_ends = other.ends_at is None or self.starts_at is None or (
            self.starts_at < other.ends_at
        )
        b_before_a_ends = self.ends_at is None or other.starts_at is None or (
            other.starts_at < self.ends_at
        )
        return a_before_b_ends and b_before_a_ends

    def describe(self) -> str:
        if self.permanent:
            return "permanent"
        start = self.starts_at.isoformat() if self.starts_at else "…"
        end = self.ends_at.isoformat() if self.ends_at else "…"
        return f"{start} – {end}"


ALWAYS = Window()
