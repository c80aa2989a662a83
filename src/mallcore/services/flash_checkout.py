"""Flash-sale lines through an order's life (FS-2, FS-3, FS-5).

``FlashCheckout`` is the ``CampaignCheckout`` of flash sales only (see
``services.campaign_checkout``, which also carries limited-time discounts and
pre-sales); it keeps the number-based ``paid`` / ``closed`` of its first version,
for callers that hold an order number rather than the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mallcore.pricing.breakdown import PriceBreakdown
from mallcore.promotions.flash_sale import FlashSaleRule
from mallcore.services.campaign_checkout import CampaignCheckout, Ref

__all__ = ["FlashCheckout"]


class FlashCheckout(CampaignCheckout):
    def __init__(self, rules: Iterable[FlashSaleRule]) -> None:
        super().__init__(flash=rules)
        self.rules = self.flash
        self._refs: dict[str, list[Ref]] = {}  # order → what its submission holds

    def submit(self, order_number: str, customer_id: str, breakdown: PriceBreakdown,
               now: datetime) -> list[Ref]:
        done = super().submit(order_number, customer_id, breakdown, now)
        if done:
            self._refs[order_number] = done
        return done

    def paid(self, order_number: str) -> None:
        self.confirm(self._refs.get(order_number, ()))

    def closed(self, order_number: str) -> None:
        """FS-3: an unpaid flash order closed (timeout or cancel): its stock goes back,
        and its limit too unless the sale keeps it."""
        self.release(self._refs.pop(order_number, ()))
