"""Flash-sale lines through an order's life: submission, payment, close (FS-2, FS-3, FS-5).

Flash stock and per-user limits live behind their own ports (``FlashStock``, the
limits ledger), which a Redis adapter will implement; they are not part of the
order's unit of work.  So the order service submits flash lines *last*, undoes
those it submitted if any fails, and tells this object when the order is paid or
closed, so the stock and the limit are confirmed or given back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from mallcore.pricing.breakdown import PriceBreakdown, Stage
from mallcore.promotions.flash_sale import FLASH_SALE_KIND, FlashSaleRule


class FlashCheckout:
    def __init__(self, rules: Iterable[FlashSaleRule]) -> None:
        self.rules = {rule.id: rule for rule in rules}
        self._refs: dict[str, list[tuple[str, str]]] = {}  # order → (rule id, ref)

    def _flash_lines(self, breakdown: PriceBreakdown) -> list[tuple[FlashSaleRule, str, str, int]]:
        out = []
        for promo in breakdown.applied_in(Stage.ACTIVITIES):
            if promo.kind != FLASH_SALE_KIND or promo.id not in self.rules:
                continue
            for line_id, _ in promo.allocation:
                line = breakdown.line(line_id)
                out.append((self.rules[promo.id], line.line_id, line.sku_id, line.quantity))
        return out

    def payment_timeout(self, breakdown: PriceBreakdown) -> timedelta | None:
        """FS-3: an order with flash lines must be paid within the shortest of their
        sales' timeouts (default 30 minutes)."""
        timeouts = [rule.sale.payment_timeout for rule, *_ in self._flash_lines(breakdown)]
        return min(timeouts) if timeouts else None

    def submit(self, order_number: str, customer_id: str, breakdown: PriceBreakdown,
               now: datetime) -> None:
        """FS-2, FS-5: use the limits and reserve the flash stock, all or nothing."""
        done: list[tuple[str, str]] = []
        try:
            for rule, line_id, sku_id, quantity in self._flash_lines(breakdown):
                ref = f"{order_number}/{line_id}"
                rule.submit(customer_id, sku_id, quantity, ref, now=now)
                done.append((rule.id, ref))
        except Exception:
            for rule_id, ref in done:
                self.rules[rule_id].close_unpaid(ref)
            raise
        if done:
            self._refs[order_number] = done

    def paid(self, order_number: str) -> None:
        for rule_id, ref in self._refs.get(order_number, ()):
            self.rules[rule_id].pay(ref)

    def closed(self, order_number: str) -> None:
        """FS-3: an unpaid flash order closed (timeout or cancel): its stock goes back,
        and its limit too unless the sale keeps it."""
        for rule_id, ref in self._refs.pop(order_number, ()):
            self.rules[rule_id].close_unpaid(ref)
