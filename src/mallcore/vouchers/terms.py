"""What a voucher product grants, and who may verify where (VCH-1, VCH-3, VCH-7).

``VoucherTerms`` is a voucher type: the configuration a product carries so
that buying it issues vouchers (uses, one per unit or one per order line,
validity, stores, buyer refundability).  ``Store`` and ``Verifier`` are the
counter side of VCH-3: a staff member bound to one store verifies only there;
one bound to no store verifies at every store of the merchant (003 "若不指定,
核销员可核销该公众号下发的所有门店").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from mallcore.errors import InvalidConfiguration, InvalidInput
from mallcore.guards import aware, identifier, text, whole

__all__ = [
    "DaysFromIssue",
    "FixedWindow",
    "IssueMode",
    "Store",
    "Validity",
    "Verifier",
    "VoucherTerms",
]


@attrs.frozen
class Store:
    """A store (门店) of the merchant, where vouchers are verified."""

    id: str
    name: str

    def __attrs_post_init__(self) -> None:
        identifier(self.id, "store id", "VCH-3")
        text(self.name, f"name of store {self.id}", "VCH-3")


@attrs.frozen
class Verifier:
    """A staff member allowed to verify (核销员); ``store_id`` None means every store."""

    id: str
    name: str
    store_id: str | None = None

    def __attrs_post_init__(self) -> None:
        identifier(self.id, "verifier id", "VCH-3")
        text(self.name, f"name of verifier {self.id}", "VCH-3")
        if self.store_id is not None:
            identifier(self.store_id, f"store of verifier {self.id}", "VCH-3")

    def may_verify_at(self, store_id: str) -> bool:
        return self.store_id is None or self.store_id == store_id


class IssueMode(enum.StrEnum):
    """How a bought quantity becomes vouchers (VCH-1)."""

    PER_UNIT = "per_unit"  # one voucher per unit bought, each with ``uses`` uses
    PER_ORDER = "per_order"  # one voucher for the order line, ``uses`` × quantity uses


@attrs.frozen
class FixedWindow:
    """Valid in [start, end): the same dates for every buyer (a concert, a season)."""

    start: datetime
    end: datetime

    def __attrs_post_init__(self) -> None:
        aware(self.start, "validity start", "VCH-1")
        aware(self.end, "validity end", "VCH-1")
        if self.end <= self.start:
            raise InvalidConfiguration(
                "validity window",
                f"ends {self.end.isoformat()}, not after its start {self.start.isoformat()}",
                rule="VCH-1",
            )

    def window(self, issued_at: datetime) -> tuple[datetime, datetime]:
        return self.start, self.end


@attrs.frozen
class DaysFromIssue:
    """Valid for ``days`` × 24 hours from the moment of issue, [issued_at, issued_at + days)."""

    days: int

    def __attrs_post_init__(self) -> None:
        whole(self.days, "days of validity", "VCH-1", minimum=1, error=InvalidConfiguration)

    def window(self, issued_at: datetime) -> tuple[datetime, datetime]:
        return issued_at, issued_at + timedelta(days=self.days)


Validity = FixedWindow | DaysFromIssue


def _store_ids(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):  # "S1" would become {"S", "1"}
        raise InvalidInput("valid stores", f"{value!r} is one text, not a set of ids", rule="VCH-3")
    return frozenset(identifier(v, "valid store id", "VCH-3") for v in value)


@attrs.frozen
class VoucherTerms:
    """A voucher type (VCH-1, VCH-9): what buying one unit of the product issues.

    ``store_ids`` empty means every store of the merchant.  ``buyer_refundable``
    False is "禁止退款": the buyer cannot self-refund, staff still may (VCH-7).
    """

    type_id: str
    uses: int
    mode: IssueMode
    validity: Validity
    store_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_store_ids)
    buyer_refundable: bool = True

    def __attrs_post_init__(self) -> None:
        identifier(self.type_id, "voucher type id", "VCH-9")
        whole(self.uses, f"uses per voucher of type {self.type_id}", "VCH-1", minimum=1,
              error=InvalidConfiguration)
        if not isinstance(self.mode, IssueMode):
            raise InvalidConfiguration(f"voucher type {self.type_id}",
                                       f"{self.mode!r} is not an IssueMode", rule="VCH-1")
        if not isinstance(self.validity, FixedWindow | DaysFromIssue):
            raise InvalidConfiguration(f"voucher type {self.type_id}",
                                       f"{self.validity!r} is not a validity", rule="VCH-1")
        if not isinstance(self.buyer_refundable, bool):
            raise InvalidConfiguration(f"voucher type {self.type_id}",
                                       "buyer_refundable must be a bool", rule="VCH-7")

    def uses_per_voucher(self, quantity: int) -> list[int]:
        """The uses of each voucher that buying ``quantity`` units issues (VCH-1)."""
        quantity = whole(quantity, "quantity bought", "VCH-1", minimum=1)
        if self.mode is IssueMode.PER_UNIT:
            return [self.uses] * quantity
        return [self.uses * quantity]
