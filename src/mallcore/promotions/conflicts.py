"""Which SKU-level campaigns may not run at the same time (LTD-6, PIPE-5, PRE-4).

The one validator across families, run when a merchant saves a flash sale, a
limited-time discount or a pre-sale, so that a checkout never meets a SKU priced
by two of them at once.  Two campaigns conflict when they share a SKU and their
windows overlap (a recurring window overlaps only where its occurrences do).  Two
pre-sales conflict whenever their windows overlap, SKU or not: one pre-sale in
progress at a time (PRE-4).  Spend-X activities, free shipping and gift coupons are
not campaigns here: they combine (PIPE-5).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Protocol

import attrs

from mallcore.errors import InvalidConfiguration
from mallcore.promotions.stacking import FLASH_SALE, LIMITED_TIME, PRE_SALE
from mallcore.promotions.window import Schedule


class SkuCampaign(Protocol):
    """Anything that sells chosen SKUs at its own price during a window."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def window(self) -> Schedule: ...

    @property
    def skus(self) -> frozenset[str]: ...


@attrs.frozen
class Conflict:
    first: str  # ids, the smaller first
    second: str
    sku: str | None  # None for two pre-sales in progress together
    rule: str
    skus: tuple[str, ...] = ()  # every SKU the two share, sorted (``sku`` is the first)

    def describe(self) -> str:
        what = f"both sell SKU {self.sku!r}" if self.sku else "would both be in progress"
        return f"{what} while their windows overlap"


_PRICE_FAMILIES = frozenset({FLASH_SALE.family, LIMITED_TIME.family})


def _rule(a: str, b: str) -> str:
    if a == b == PRE_SALE.family:
        return "PRE-4"
    if a in _PRICE_FAMILIES and b in _PRICE_FAMILIES:
        return "LTD-6"
    return "PIPE-5"  # a pre-sale, a group buy … with another activity price


def find_conflicts(campaigns: Iterable[SkuCampaign]) -> list[Conflict]:
    """Every conflicting pair, in a deterministic order (by kind and id)."""
    items = sorted(campaigns, key=lambda c: (c.id, c.kind))
    found = []
    for a, b in itertools.combinations(items, 2):
        if a.id == b.id and a.kind == b.kind:
            raise InvalidConfiguration(f"{a.kind} {a.id!r}", "is listed twice", rule="PIPE-5")
        shared = sorted(a.skus & b.skus)
        both_presale = a.kind == b.kind == PRE_SALE.family
        if (shared or both_presale) and a.window.overlaps(b.window):
            found.append(Conflict(a.id, b.id, shared[0] if shared else None,
                                  _rule(a.kind, b.kind), tuple(shared)))
    return found


def validate_campaigns(
    campaigns: Iterable[SkuCampaign], *, involving: str | None = None
) -> None:
    """Refuse the first conflict, naming both campaigns and the SKU; with ``involving``,
    only conflicts of the campaign with that id (when saving one campaign)."""
    listed = list(campaigns)
    kinds = {c.id: c.kind for c in listed}
    for conflict in find_conflicts(listed):
        if involving is not None and involving not in (conflict.first, conflict.second):
            continue
        raise InvalidConfiguration(
            f"{kinds[conflict.first]} {conflict.first!r} and "
            f"{kinds[conflict.second]} {conflict.second!r}",
            conflict.describe(), rule=conflict.rule,
        )
