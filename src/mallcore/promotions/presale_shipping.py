"""When a pre-sale order ships (PRE-3): X days after payment, or a date the merchant sets.

**Interpretation**: "X days after payment" is the payment's calendar date (in
``tz``, else in the payment time's own zone) plus X days, the seed's 支付时间 +
支付成功后发货时间段.  A fixed date is that date, or the payment date if the
buyer paid after it (the merchant cannot ship before the money arrives).  For a
deposit pre-sale the payment is the one that completes it (the balance).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

import attrs

from mallcore.errors import InvalidConfiguration
from mallcore.guards import aware, whole

__all__ = ["ShipAfterPayment", "ShipDateRule", "ShipOnDate"]


def _local_date(moment: datetime, tz: tzinfo | None) -> date:
    aware(moment, "paid_at", "PRE-3")
    return (moment.astimezone(tz) if tz is not None else moment).date()


@attrs.frozen
class ShipAfterPayment:
    """支付后X天内发货: ships from the payment date plus ``days`` (PRE-3)."""

    days: int
    tz: tzinfo | None = None

    def __attrs_post_init__(self) -> None:
        whole(self.days, "days after payment", "PRE-3", minimum=1, error=InvalidConfiguration)

    def ship_date(self, paid_at: datetime) -> date:
        return _local_date(paid_at, self.tz) + timedelta(days=self.days)

    def describe(self) -> str:
        return f"{self.days} days after payment"


@attrs.frozen
class ShipOnDate:
    """自定义发货: ships from a date the merchant sets (PRE-3)."""

    on: date

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.on, date) or isinstance(self.on, datetime):
            raise InvalidConfiguration("ship date", f"{self.on!r} is not a date", rule="PRE-3")

    def ship_date(self, paid_at: datetime) -> date:
        return max(self.on, _local_date(paid_at, None))

    def describe(self) -> str:
        return f"from {self.on.isoformat()}"


ShipDateRule = ShipAfterPayment | ShipOnDate
