"""Refunds: one per decision to give money back, split into a leg per payment method.

A leg for WeChat Pay or Alipay waits for the gateway; it may fail (merchant balance
short, certificate expired) and then stays retryable with its reason (AS-6).
Balance legs settle at once; manual (offline) legs are recorded as offline (AS-5).
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from mallcore.orders.payments import PaymentMethod


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retryable


@attrs.define
class RefundLeg:
    method: PaymentMethod
    fen: int
    status: RefundStatus = RefundStatus.PENDING
    reason: str | None = None
    attempts: int = 1
    offline: bool = False


@attrs.define
class Refund:
    number: str
    cause: str  # "after_sale", "merchant_cancel", "surplus_payment", …
    lines: tuple[tuple[str, int], ...]  # (line id, fen) taken back from each line
    shipping_fen: int
    legs: list[RefundLeg]
    created_at: datetime
    after_sale_id: str | None = None
    transaction_id: str | None = None  # the payment it gives back: retries go there too

    @property
    def fen(self) -> int:
        return sum(leg.fen for leg in self.legs)

    @property
    def status(self) -> RefundStatus:
        if all(leg.status is RefundStatus.SUCCEEDED for leg in self.legs):
            return RefundStatus.SUCCEEDED
        if any(leg.status is RefundStatus.FAILED for leg in self.legs):
            return RefundStatus.FAILED
        return RefundStatus.PENDING

    def leg(self, method: PaymentMethod) -> RefundLeg:
        for leg in self.legs:
            if leg.method is method:
                return leg
        raise KeyError(method)
