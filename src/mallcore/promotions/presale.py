"""Pre-sales (预售): sell before the goods exist, ship later (PRE-1..3, PIPE-5).

A ``PreSale`` is a named activity with a validity window, the SKUs it sells at a
pre-sale price, and a ship-date rule.  ``PreSaleRule`` plugs it into stage 1 of
the pricing pipeline as a ``LinePriceRule``: a pre-sale line is priced at the
pre-sale price and joins only what PIPE-5 lets it join (spend-X reductions and
discounts, free shipping, gift coupons, the member discount and points; never a
coupon).  Two rules pricing one line are resolved by the pipeline (the lower
price wins); refusing such a configuration (PRE-4 one pre-sale in progress at
a time, PIPE-5 a pre-sale SKU in no other activity price at the same time) is
``mallcore.promotions.presale_checks``.

Payment: by default the buyer pays in full at checkout (PRE-1).  With
``deposit`` terms the pre-sale is a deposit pre-sale (PRE-6, beyond the source):
see ``mallcore.promotions.presale_deposit``.  Ship dates (PRE-3) are
``mallcore.promotions.presale_shipping`` (re-exported here); figures and their
CSV export (PRE-5) are ``mallcore.promotions.presale_figures``.

Readings (**Interpretation**):

* The pre-sale price is per SKU and at most the list price (``check_prices``
  against the catalogue when the merchant saves).  Should the list price drop
  below it later, the line keeps the list price: a pre-sale never costs more
  than the same goods bought normally.  The line stays a pre-sale line either
  way (it still ships late and still takes no coupon).
* PRE-2 virtual stock is the stock the merchant puts on the SKU in the
  catalogue (the seed sets it under 商品管理); ``oversell`` lets ordering go on
  at zero.  ``stock_settings`` says what the inventory needs;
  ``configure_inventory`` applies it (tops available up to the virtual stock,
  switches overselling on).  It never switches overselling off: ending the
  pre-sale does not un-sell what was sold.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import attrs

from mallcore.errors import CurrencyMismatch, InvalidConfiguration, NotFound
from mallcore.guards import aware, identifier, text, whole
from mallcore.money import Money, format_yuan, to_fen
from mallcore.pricing.buyer import Buyer
from mallcore.pricing.cart import CartLine
from mallcore.pricing.line_rules import LinePrice, LineSkip
from mallcore.pricing.reasons import SkipReason
from mallcore.promotions.presale_deposit import MAX_FORFEITABLE_PERCENT, DepositTerms
from mallcore.promotions.presale_shipping import ShipAfterPayment, ShipDateRule, ShipOnDate
from mallcore.promotions.stacking import PRE_SALE
from mallcore.promotions.window import Schedule, Window

if TYPE_CHECKING:
    from mallcore.catalog import Catalog
    from mallcore.inventory import Inventory

__all__ = [
    "KIND",
    "PaymentMode",
    "PreSale",
    "PreSaleItem",
    "PreSaleRule",
    "Schedule",
    "ShipAfterPayment",
    "ShipDateRule",
    "ShipOnDate",
    "StockSetting",
]

#: The activity kind of a pre-sale, as breakdowns and ``SkuCampaign.kind`` name it.
KIND = PRE_SALE.family


# --------------------------------------------------------------------- the activity
@attrs.frozen
class PreSaleItem:
    """One SKU on pre-sale: its pre-sale unit price (≤ list price) and PRE-2 stock.

    ``virtual_stock``: the stock to put on the SKU for the pre-sale (None: leave
    it).  ``oversell``: ordering stays possible at zero stock (允许超卖).
    """

    sku_id: str
    price: Money
    virtual_stock: int | None = None
    oversell: bool = False
    price_fen: int = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        identifier(self.sku_id, "pre-sale SKU", "PRE-1", error=InvalidConfiguration)
        if not isinstance(self.price, Money):
            raise InvalidConfiguration(
                f"pre-sale price of SKU {self.sku_id!r}",
                f"{self.price!r} is not Money",
                rule="PRE-1",
            )
        fen = to_fen(
            self.price, str(self.price.currency.code), what=f"pre-sale price of SKU {self.sku_id!r}"
        )
        if fen < 0:
            raise InvalidConfiguration(
                f"pre-sale price of SKU {self.sku_id!r}",
                f"{format_yuan(fen)} is negative",
                rule="PRE-1",
            )
        if self.virtual_stock is not None:
            whole(
                self.virtual_stock,
                f"virtual stock of SKU {self.sku_id!r}",
                "PRE-2",
                error=InvalidConfiguration,
            )
        if not isinstance(self.oversell, bool):
            raise InvalidConfiguration(
                f"overselling of SKU {self.sku_id!r}",
                f"{self.oversell!r} is not a bool",
                rule="PRE-2",
            )
        object.__setattr__(self, "price_fen", fen)

    @property
    def currency(self) -> str:
        return str(self.price.currency.code)


@attrs.frozen
class StockSetting:
    """PRE-2: what the catalogue / inventory needs for one pre-sale SKU."""

    sku_id: str
    virtual_stock: int | None
    oversell: bool


class PaymentMode(enum.StrEnum):
    FULL = "full"  # 全款预售 (PRE-1)
    DEPOSIT = "deposit"  # 定金预售 (PRE-6, beyond the source)


def _items(values: Iterable[PreSaleItem]) -> tuple[PreSaleItem, ...]:
    return tuple(values)


@attrs.frozen
class PreSale:
    """A pre-sale activity (PRE-1..3, PRE-6); see the module docstring."""

    id: str
    name: str
    window: Schedule
    items: tuple[PreSaleItem, ...] = attrs.field(converter=_items)
    shipping: ShipDateRule
    deposit: DepositTerms | None = None
    _by_sku: dict[str, PreSaleItem] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        identifier(self.id, "pre-sale id", "PRE-1", error=InvalidConfiguration)
        text(self.name, f"name of pre-sale {self.id!r}", "PRE-1", error=InvalidConfiguration)
        what = f"pre-sale {self.id!r}"
        if not all(hasattr(self.window, m) for m in ("is_active", "overlaps")):
            raise InvalidConfiguration(what, f"{self.window!r} is not a window", rule="PRE-1")
        if not isinstance(self.shipping, ShipAfterPayment | ShipOnDate):
            raise InvalidConfiguration(
                what, f"{self.shipping!r} is not a ship-date rule", rule="PRE-3"
            )
        if not self.items:
            raise InvalidConfiguration(what, "has no SKUs", rule="PRE-1")
        by_sku: dict[str, PreSaleItem] = {}
        for item in self.items:
            if not isinstance(item, PreSaleItem):
                raise InvalidConfiguration(what, f"{item!r} is not a PreSaleItem", rule="PRE-1")
            if item.sku_id in by_sku:
                raise InvalidConfiguration(what, f"lists SKU {item.sku_id!r} twice", rule="PRE-1")
            if item.currency != self.items[0].currency:
                raise CurrencyMismatch(
                    what,
                    f"SKU {item.sku_id!r} is priced in "
                    f"{item.currency}, not {self.items[0].currency}",
                )
            by_sku[item.sku_id] = item
        object.__setattr__(self, "_by_sku", by_sku)
        if self.deposit is not None:
            self._check_deposit(self.deposit)

    def _check_deposit(self, terms: DepositTerms) -> None:
        what = f"deposit of pre-sale {self.id!r}"
        if not isinstance(terms, DepositTerms):
            raise InvalidConfiguration(what, f"{terms!r} is not DepositTerms", rule="PRE-6")
        if terms.currency != self.currency:
            raise CurrencyMismatch(what, f"in {terms.currency}, the prices are in {self.currency}")
        for item in self.items:
            if terms.credit_fen > item.price_fen:
                raise InvalidConfiguration(
                    what,
                    f"counts as {format_yuan(terms.credit_fen)}, more than the pre-sale "
                    f"price {format_yuan(item.price_fen)} of SKU {item.sku_id!r}",
                    rule="PRE-6",
                )
            if terms.forfeit_on_missed_balance and (
                terms.deposit_fen * 100 > item.price_fen * MAX_FORFEITABLE_PERCENT
            ):
                raise InvalidConfiguration(
                    what,
                    f"{format_yuan(terms.deposit_fen)} is forfeitable and above "
                    f"{MAX_FORFEITABLE_PERCENT}% of the price {format_yuan(item.price_fen)} of "
                    f"SKU {item.sku_id!r} (a 定金 may not exceed 20%, Civil Code art. 586)",
                    rule="PRE-6",
                )
        if isinstance(self.window, Window):
            end = self.window.ends_at
            if end is None or terms.balance_ends_at <= end:
                raise InvalidConfiguration(
                    what,
                    "the balance window must end after the pre-sale (deposit) window "
                    "ends, or late deposits could never be completed",
                    rule="PRE-6",
                )

    # ------------------------------------------------------------------ reading
    @property
    def kind(self) -> str:
        return KIND

    @property
    def currency(self) -> str:
        return self.items[0].currency

    @property
    def mode(self) -> PaymentMode:
        return PaymentMode.FULL if self.deposit is None else PaymentMode.DEPOSIT

    @property
    def skus(self) -> frozenset[str]:
        return frozenset(self._by_sku)

    @property
    def sku_ids(self) -> frozenset[str]:
        """``skus`` under the name ``promotions.conflicts.SkuActivity`` reads."""
        return self.skus

    def item(self, sku_id: str) -> PreSaleItem | None:
        return self._by_sku.get(sku_id)

    def in_progress(self, now: datetime) -> bool:
        return self.window.is_active(aware(now, "now", "PRE-4"))

    def ship_date(self, paid_at: datetime) -> date:
        """PRE-3: the date the merchant ships from, for an order paid at ``paid_at``."""
        return self.shipping.ship_date(paid_at)

    def unit_price_fen(self, item: PreSaleItem, list_unit_fen: int) -> int:
        """The unit price a pre-sale line pays: the pre-sale price (never above the list
        price), less the 定金膨胀 bonus of a deposit pre-sale."""
        bonus = self.deposit.bonus_fen if self.deposit is not None else 0
        return max(0, min(item.price_fen, list_unit_fen) - bonus)

    # ------------------------------------------------------------------ PRE-2 stock
    @property
    def oversell_skus(self) -> frozenset[str]:
        """PRE-2: the SKUs to set to oversell (ordering allowed at zero stock)."""
        return frozenset(i.sku_id for i in self.items if i.oversell)

    def stock_settings(self) -> tuple[StockSetting, ...]:
        """PRE-2: per SKU, the virtual stock to put on it and whether it may oversell."""
        return tuple(StockSetting(i.sku_id, i.virtual_stock, i.oversell) for i in self.items)

    def configure_inventory(self, inventory: Inventory, *, ref: str) -> None:
        """Apply ``stock_settings``: overselling on where chosen, available topped up to
        the virtual stock (received under ``ref``).  Running it again changes nothing."""
        identifier(ref, "receipt reference", "PRE-2")
        for item in self.items:
            if item.oversell:
                inventory.set_oversell(item.sku_id, True)
            if item.virtual_stock:
                known = item.sku_id in inventory.skus()
                available = inventory.level(item.sku_id).available if known else 0
                if item.virtual_stock > available:
                    inventory.receive(item.sku_id, item.virtual_stock - available, ref=ref)

    def check_prices(self, catalog: Catalog) -> None:
        """Refuse a pre-sale price above the SKU's list price, or an unknown SKU."""
        for item in self.items:
            try:
                _, sku = catalog.find_sku(item.sku_id)
            except NotFound as exc:
                raise NotFound(
                    f"SKU {item.sku_id!r} of pre-sale {self.id!r}",
                    "not in the catalogue",
                    rule="PRE-1",
                ) from exc
            list_fen = to_fen(sku.price, self.currency, what=f"price of SKU {sku.id!r}")
            if item.price_fen > list_fen:
                raise InvalidConfiguration(
                    f"pre-sale price of SKU {item.sku_id!r}",
                    f"{format_yuan(item.price_fen)} is above the list price "
                    f"{format_yuan(list_fen)}",
                    rule="PRE-1",
                )

    def describe(self) -> str:
        shown = ", ".join(f"{i.sku_id} {format_yuan(i.price_fen)}" for i in self.items)
        pay = "full payment" if self.deposit is None else self.deposit.describe()
        return f"{self.name}: {shown}; {pay}; ships {self.shipping.describe()}"


# --------------------------------------------------------------------- PIPE-5 pricing
@attrs.frozen
class PreSaleRule:
    """A ``LinePriceRule``: prices the pre-sale's SKUs at the pre-sale price, with
    ``PRE_SALE`` stacking (PIPE-5), while the pre-sale is in progress."""

    presale: PreSale

    @property
    def id(self) -> str:
        return self.presale.id

    @property
    def name(self) -> str:
        return self.presale.name

    @property
    def kind(self) -> str:
        return KIND

    def price_line(
        self, line: CartLine, buyer: Buyer, now: datetime
    ) -> LinePrice | LineSkip | None:
        presale = self.presale
        item = presale.item(line.sku_id)
        if item is None:
            return None
        if not presale.window.is_active(now):
            return LineSkip(
                SkipReason.OUTSIDE_WINDOW,
                f"pre-sale {presale.id} is not in progress at {now.isoformat()}",
            )
        if line.currency != presale.currency:
            raise CurrencyMismatch(
                f"pre-sale {presale.id!r}",
                f"in {presale.currency}, line {line.line_id!r} is in {line.currency}",
            )
        unit = presale.unit_price_fen(item, line.unit_fen)
        detail = f"pre-sale price {format_yuan(min(item.price_fen, line.unit_fen))}"
        if presale.deposit is not None and presale.deposit.bonus_fen:
            terms = presale.deposit
            detail += (
                f", deposit {format_yuan(terms.deposit_fen)} counts as "
                f"{format_yuan(terms.credit_fen)}"
            )
        return LinePrice(unit * line.quantity, PRE_SALE, detail)
