"""Notifications built from what the core already records: one SMS per customer.

Flash-sale reminders (FS-4, ``FlashReminder``), coupons handed out
(``CouponsDistributed``, CPN-7), after-sales decisions (``AfterSaleDecided``,
002: "the buyer is notified") and vouchers issued (``VoucherIssued``, VCH-1).
Each becomes a ``Notification``: a kind, the customer, when it fell due and
named fields a template can use.  Coupon and voucher codes are left out on
purpose: they are bearer secrets.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import attrs

from mallcore.coupons.batch_events import CouponsDistributed
from mallcore.orders.events import AfterSaleDecided
from mallcore.promotions.flash_sale import FlashReminder
from mallcore.vouchers.events import VoucherIssued

__all__ = [
    "DECISION_TEXT",
    "FIELDS",
    "Notification",
    "NotificationKind",
    "from_after_sale_decision",
    "from_coupons_distributed",
    "from_flash_reminder",
    "from_voucher_issued",
]


class NotificationKind(enum.Enum):
    FLASH_SALE_REMINDER = "flash_sale_reminder"
    COUPONS_DISTRIBUTED = "coupons_distributed"
    AFTER_SALE_DECIDED = "after_sale_decided"
    VOUCHER_ISSUED = "voucher_issued"


#: The fields each kind offers a template (a route maps template params to these).
FIELDS: dict[NotificationKind, tuple[str, ...]] = {
    NotificationKind.FLASH_SALE_REMINDER: ("sale_id", "starts_at", "sku_count"),
    NotificationKind.COUPONS_DISTRIBUTED: ("batch_id", "count"),
    NotificationKind.AFTER_SALE_DECIDED: ("order_number", "after_sale_id", "decision",
                                          "decision_text", "reason"),
    NotificationKind.VOUCHER_ISSUED: ("order_number", "voucher_id", "uses", "valid_from",
                                      "valid_until"),
}

DECISION_TEXT = {
    "rejected": "已拒绝",
    "return_approved": "已同意退货",
    "reshipped": "已重新发货",
}


@attrs.frozen
class Notification:
    """One message to one customer; ``key`` is unique per notification (for dedup)."""

    kind: NotificationKind
    key: str
    customer_id: str
    due_at: datetime
    fields: tuple[tuple[str, str], ...]

    def field(self, name: str) -> str:
        return dict(self.fields)[name]


def _clock(at: datetime, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(zone).strftime(fmt)


def from_flash_reminder(reminder: FlashReminder, zone: ZoneInfo) -> Notification:
    """FS-4: due at the reminder's send time; the start shown in merchant time."""
    return Notification(
        NotificationKind.FLASH_SALE_REMINDER,
        f"flash:{reminder.sale_id}:{reminder.customer_id}:{reminder.starts_at.isoformat()}",
        reminder.customer_id, reminder.send_at,
        (("sale_id", reminder.sale_id), ("starts_at", _clock(reminder.starts_at, zone)),
         ("sku_count", str(len(reminder.sku_ids)))),
    )


def from_coupons_distributed(event: CouponsDistributed) -> list[Notification]:
    """CPN-7: one per customer who got coupons; the count, never the codes."""
    return [
        Notification(NotificationKind.COUPONS_DISTRIBUTED,
                     f"coupons:{event.batch_id}:{customer}:{event.at.isoformat()}",
                     customer, event.at,
                     (("batch_id", event.batch_id), ("count", str(len(codes)))))
        for customer, codes in event.grants
    ]


def from_after_sale_decision(
    event: AfterSaleDecided, customer_of_order: Callable[[str], str | None]
) -> Notification | None:
    """The buyer hears the merchant's decision; None when the order's buyer is unknown."""
    customer = customer_of_order(event.order_number)
    if customer is None:
        return None
    return Notification(
        NotificationKind.AFTER_SALE_DECIDED,
        f"aftersale:{event.order_number}:{event.after_sale_id}:{event.decision}:"
        f"{event.at.isoformat()}",
        customer, event.at,
        (("order_number", event.order_number), ("after_sale_id", event.after_sale_id),
         ("decision", event.decision),
         ("decision_text", DECISION_TEXT.get(event.decision, event.decision)),
         ("reason", event.reason or "")),
    )


def from_voucher_issued(event: VoucherIssued, zone: ZoneInfo) -> Notification:
    """VCH-1: the holder hears of the voucher (uses, validity); the code stays in the app."""
    return Notification(
        NotificationKind.VOUCHER_ISSUED, f"voucher:{event.voucher_id}:{event.at.isoformat()}",
        event.customer_id, event.at,
        (("order_number", event.order_number), ("voucher_id", event.voucher_id),
         ("uses", str(event.uses)), ("valid_from", _clock(event.valid_from, zone, "%Y-%m-%d")),
         ("valid_until", _clock(event.valid_until, zone, "%Y-%m-%d"))),
    )
