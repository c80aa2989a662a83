"""Campaign lines through an order's life: flash sales (FS-2, FS-3, FS-5), limited-time
discounts (LTD-2, LTD-4) and pre-sales (PRE-3, PRE-6).

Flash stock, activity stock and the per-person counts live behind their own ports
(``FlashStock``, ``FlashLimitLedger``), which shared adapters implement; they are
not part of the order's unit of work.  So the order service:

* checks first (``check``: a limited-time mode (c) order past its limit is refused,
  LTD-2), before anything changes;
* copies the pre-sale terms onto the order (``order_terms``: each pre-sale line's
  ship-date rule, PRE-3, and a deposit pre-sale's deposit, PRE-6);
* submits the flash and limited-time lines *last* in the unit of work
  (``submit``), undoing those it submitted if any fails, so a refusal leaves
  nothing held and the order is not created;
* after the commit, confirms them when the order is paid (the deposit counts) and
  releases them when it closes unpaid (``confirm`` / ``release`` of the references
  ``refs(order)`` reads off the order's lines, so nothing depends on this
  object's memory).

A line is the campaign's when the pipeline says so (``LineAmounts.priced_by``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from mallcore.errors import InvalidConfiguration, NotAllowed
from mallcore.orders.order import Order
from mallcore.orders.presale import OrderDeposit, ShipTerms
from mallcore.pricing.breakdown import LineAmounts, PriceBreakdown
from mallcore.pricing.buyer import Buyer
from mallcore.promotions.flash_sale import FlashSaleRule
from mallcore.promotions.limited_time import LimitMode
from mallcore.promotions.limited_time_checkout import LimitedTimeCampaign
from mallcore.promotions.presale import PreSale

__all__ = ["CampaignCheckout", "Ref"]

#: (campaign id, reference of one line of one order: ``<order>/<line>``)
Ref = tuple[str, str]


class CampaignCheckout:
    """The campaigns an order service must carry lines of; see the module docstring."""

    def __init__(
        self,
        flash: Iterable[FlashSaleRule] = (),
        limited: Iterable[LimitedTimeCampaign] = (),
        presales: Iterable[PreSale] = (),
    ) -> None:
        self.flash = {rule.id: rule for rule in flash}
        self.limited = {campaign.id: campaign for campaign in limited}
        self.presales = {presale.id: presale for presale in presales}
        seen: set[str] = set()
        for ids in (self.flash, self.limited, self.presales):
            clash = seen & set(ids)
            if clash:
                raise InvalidConfiguration(
                    "campaign checkout", f"two campaigns share the id {sorted(clash)[0]!r}",
                    rule="PIPE-5")
            seen |= set(ids)

    # ---------------------------------------------------------------- reading
    def _lines(self, breakdown: PriceBreakdown, ids: Iterable[str]) -> list[LineAmounts]:
        wanted = set(ids)
        return [line for line in breakdown.lines if line.priced_by in wanted]

    def payment_timeout(self, breakdown: PriceBreakdown) -> timedelta | None:
        """FS-3: an order with flash lines must be paid within the shortest of their
        sales' timeouts (default 30 minutes)."""
        timeouts = [self.flash[line.priced_by].sale.payment_timeout
                    for line in self._lines(breakdown, self.flash)]
        return min(timeouts) if timeouts else None

    def refs(self, order: Order) -> list[Ref]:
        """The flash and limited-time lines of ``order``, as their stores know them."""
        return [(line.campaign, f"{order.number}/{line.line_id}") for line in order.lines
                if line.campaign in self.flash or line.campaign in self.limited]

    # ---------------------------------------------------------------- placing
    def check(self, breakdown: PriceBreakdown, customer_id: str, now: datetime) -> None:
        """Refusals due before the order exists: a limited-time mode (c) order past
        its limit (LTD-2); lines of two pre-sales in one order (PRE-4)."""
        buyer = breakdown.buyer
        if buyer is None or buyer.customer_id != customer_id:
            buyer = Buyer(customer_id)
        cart = breakdown.source_lines()
        for campaign in self.limited.values():
            limit = campaign.discount.limit
            if limit is not None and limit.mode is LimitMode.FIRST_N_ONLY and any(
                campaign.discount.item_for(line.sku_id) is not None for line in cart
            ):
                campaign.check_order(cart, buyer, now)
        presales = {line.priced_by for line in self._lines(breakdown, self.presales)}
        if len(presales) > 1:
            raise NotAllowed("order", f"has lines of pre-sales {', '.join(sorted(presales))}; "
                             "one pre-sale at a time", rule="PRE-4")

    def order_terms(self, breakdown: PriceBreakdown
                    ) -> tuple[dict[str, ShipTerms], OrderDeposit | None]:
        """What the order keeps of its pre-sale: each pre-sale line's ship-date rule
        (PRE-3) and, for a deposit pre-sale, the deposit of its units (PRE-6)."""
        lines = self._lines(breakdown, self.presales)
        ship = {line.line_id: ShipTerms.from_rule(line.priced_by,
                                                  self.presales[line.priced_by].shipping)
                for line in lines}
        deposit = None
        if lines:
            presale = self.presales[lines[0].priced_by]
            if presale.deposit is not None:
                deposit = OrderDeposit.from_terms(presale.id, presale.deposit,
                                                  sum(line.quantity for line in lines))
        return ship, deposit

    def submit(self, order_number: str, customer_id: str, breakdown: PriceBreakdown,
               now: datetime) -> list[Ref]:
        """FS-2, FS-5, LTD-2, LTD-4: use the limits and hold the campaign stock of every
        flash and limited-time line, all or nothing; returns what it holds."""
        done: list[Ref] = []
        try:
            for line in self._lines(breakdown, self.flash):
                ref = f"{order_number}/{line.line_id}"
                self.flash[line.priced_by].submit(customer_id, line.sku_id, line.quantity, ref,
                                                  now=now)
                done.append((line.priced_by, ref))
            for campaign_id, campaign in sorted(self.limited.items()):
                lines = self._lines(breakdown, [campaign_id])
                if lines:
                    done += [(campaign_id, ref)
                             for ref in campaign.submit(order_number, customer_id, lines, now)]
        except BaseException:
            self.release(done)
            raise
        return done

    # ---------------------------------------------------------------- afterwards
    def confirm(self, refs: Iterable[Ref]) -> None:
        """Paid (the deposit of a deposit pre-sale counts): held → sold, limits kept."""
        for campaign_id, ref in refs:
            if campaign_id in self.flash:
                self.flash[campaign_id].pay(ref)
            else:
                self.limited[campaign_id].pay(ref)

    def release(self, refs: Iterable[Ref]) -> None:
        """Closed unpaid (FS-3, LTD-4): stock back, and the limits unless the sale keeps
        them.  Refs already sold or released are left alone."""
        for campaign_id, ref in refs:
            if campaign_id in self.flash:
                self.flash[campaign_id].close_unpaid(ref)
            else:
                self.limited[campaign_id].close_unpaid(ref)
