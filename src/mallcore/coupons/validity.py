"""How long a coupon can be used (CPN-8): an absolute window, or N days from claiming.

A batch carries one ``Validity`` for all its codes; each code's own window is
fixed when it is claimed (``window(claimed_at)``) and never changes afterwards.
The checks shared by configuring a batch and using a code live here too, so
every CPN-8 refusal is worded the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from mallcore.errors import InvalidConfiguration, NotAllowed
from mallcore.guards import aware, whole

__all__ = [
    "AbsoluteValidity",
    "RelativeValidity",
    "Validity",
    "batch_validity",
    "check_window",
]


@attrs.frozen
class AbsoluteValidity:
    """Usable in ``[starts_at, ends_at)``, whenever the code was claimed."""

    starts_at: datetime
    ends_at: datetime

    def __attrs_post_init__(self) -> None:
        aware(self.starts_at, "coupon validity start", "CPN-8")
        aware(self.ends_at, "coupon validity end", "CPN-8")
        if self.ends_at <= self.starts_at:
            raise InvalidConfiguration(
                "coupon validity", f"ends {self.ends_at.isoformat()} before it starts",
                rule="CPN-8",
            )

    def window(self, claimed_at: datetime) -> tuple[datetime, datetime]:
        return self.starts_at, self.ends_at

    def describe(self) -> str:
        return f"{self.starts_at.isoformat()} – {self.ends_at.isoformat()}"


@attrs.frozen
class RelativeValidity:
    """Usable for ``days`` × 24 hours from the instant the code was claimed.

    **Interpretation** (CPN-8): "N days" counts whole 24-hour days from the
    claim, not calendar days, so it does not depend on the merchant's time zone.
    """

    days: int

    def __attrs_post_init__(self) -> None:
        whole(self.days, "coupon validity days", "CPN-8", minimum=1,
              error=InvalidConfiguration)

    def window(self, claimed_at: datetime) -> tuple[datetime, datetime]:
        return claimed_at, claimed_at + timedelta(days=self.days)

    def describe(self) -> str:
        return f"{self.days} days from claiming"


Validity = AbsoluteValidity | RelativeValidity


def batch_validity(validity: object, what: str, *, reusable: bool) -> Validity:
    """``validity`` if it suits a batch; a reusable code is never claimed (CPN-2, CPN-8)."""
    if not isinstance(validity, AbsoluteValidity | RelativeValidity):
        raise InvalidConfiguration(what, f"{validity!r} is not a validity", rule="CPN-8")
    if reusable and isinstance(validity, RelativeValidity):
        raise InvalidConfiguration(
            what, "a reusable code is never claimed, so it needs an absolute window",
            rule="CPN-8",
        )
    return validity


def check_window(action: str, start: datetime, end: datetime, now: datetime) -> None:
    """Refuse ``action`` outside ``[start, end)`` (CPN-8)."""
    if now < start:
        raise NotAllowed(action, f"not valid before {start.isoformat()}", rule="CPN-8")
    if now >= end:
        raise NotAllowed(action, f"expired at {end.isoformat()}", rule="CPN-8")
