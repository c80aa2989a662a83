"""After-sales applications (AS-1..4) and the edges each may move along.

The order owns them: what may be refunded depends on what was paid and already
refunded across every application, so the cap is checked by the order.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs


class AfterSaleKind(enum.StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"
    EXCHANGE = "exchange"


class AfterSaleStatus(enum.StrEnum):
    REQUESTED = "requested"
    REJECTED = "rejected"  # the buyer may apply again (AS-3)
    AWAITING_RETURN = "awaiting_return"  # approved: buyer ships the goods back
    RETURN_SHIPPED = "return_shipped"
    RETURN_RECEIVED = "return_received"
    REFUNDING = "refunding"  # a refund exists and is not yet settled
    REFUNDED = "refunded"
    RESHIPPED = "reshipped"  # exchange: the merchant sent the replacement (AS-4)
    EXCHANGED = "exchanged"  # exchange: the buyer received it


OPEN = frozenset({
    AfterSaleStatus.REQUESTED, AfterSaleStatus.AWAITING_RETURN, AfterSaleStatus.RETURN_SHIPPED,
    AfterSaleStatus.RETURN_RECEIVED, AfterSaleStatus.REFUNDING, AfterSaleStatus.RESHIPPED,
})

#: AS-3, AS-4: the only edges.
EDGES: dict[AfterSaleStatus, frozenset[AfterSaleStatus]] = {
    AfterSaleStatus.REQUESTED: frozenset({
        AfterSaleStatus.REJECTED, AfterSaleStatus.AWAITING_RETURN, AfterSaleStatus.REFUNDING,
    }),
    AfterSaleStatus.AWAITING_RETURN: frozenset({AfterSaleStatus.RETURN_SHIPPED}),
    AfterSaleStatus.RETURN_SHIPPED: frozenset({AfterSaleStatus.RETURN_RECEIVED}),
    AfterSaleStatus.RETURN_RECEIVED: frozenset({
        AfterSaleStatus.REFUNDING, AfterSaleStatus.RESHIPPED,
    }),
    AfterSaleStatus.REFUNDING: frozenset({AfterSaleStatus.REFUNDED}),
    AfterSaleStatus.RESHIPPED: frozenset({AfterSaleStatus.EXCHANGED}),
    AfterSaleStatus.REFUNDED: frozenset(),
    AfterSaleStatus.REJECTED: frozenset(),
    AfterSaleStatus.EXCHANGED: frozenset(),
}


@attrs.define
class AfterSale:
    id: str
    kind: AfterSaleKind
    reason: str
    items: tuple[tuple[str, int], ...]  # (line id, quantity)
    fen: int  # amount asked for (0 for an exchange)
    requested_at: datetime
    status: AfterSaleStatus = AfterSaleStatus.REQUESTED
    reject_reason: str | None = None
    return_carrier: str | None = None
    return_tracking: str | None = None
    reship_carrier: str | None = None
    reship_tracking: str | None = None
    refund_number: str | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN
