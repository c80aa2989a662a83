"""Domain events a voucher records (VCH-1..7); services hand them to adapters.

Facts in the past tense, immutable, carrying what a handler needs (notify the
holder, post to reconciliation, refund through the order) without reading
the voucher again.  Codes are left out on purpose: a code is a bearer secret
and event streams are widely read; the holder sees it on the voucher itself.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = [
    "VoucherEvent",
    "VoucherIssued",
    "VoucherRefunded",
    "VoucherRestored",
    "VoucherTransferred",
    "VoucherValidityChanged",
    "VoucherVerified",
    "VoucherVoided",
]


@attrs.frozen
class VoucherEvent:
    voucher_id: str
    at: datetime


@attrs.frozen
class VoucherIssued(VoucherEvent):
    order_number: str
    line_id: str
    customer_id: str
    uses: int
    valid_from: datetime
    valid_until: datetime
    transferred_from: str | None = None


@attrs.frozen
class VoucherVerified(VoucherEvent):
    verifier_id: str
    store_id: str
    how: str
    uses: int
    remaining: int


@attrs.frozen
class VoucherTransferred(VoucherEvent):
    by: str
    uses: int
    to_voucher_id: str
    to_customer_id: str


@attrs.frozen
class VoucherVoided(VoucherEvent):
    by: str
    reason: str


@attrs.frozen
class VoucherRestored(VoucherEvent):
    by: str


@attrs.frozen
class VoucherValidityChanged(VoucherEvent):
    by: str
    old_until: datetime
    new_until: datetime


@attrs.frozen
class VoucherRefunded(VoucherEvent):
    by: str
    uses: int
    self_service: bool
