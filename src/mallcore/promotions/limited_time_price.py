"""Limited-time discount prices per SKU (LTD-3), the rounding option (LTD-5) and
the activity stock (LTD-4).

Three ways to price a SKU, as the 004 manual's 规格设置 lists them:

* ``PriceMode.DISCOUNT`` (固定折扣): list price × rate, the rate in 折 — "必须大于1小于
  或等于10", so the rate must be **strictly above 1折 and at most 10折** (1.01 … 10;
  7 means 70%).  We apply the bound literally: 1折 and 0.5折 are refused; 10折 is
  accepted (the line is then at its list price but still a limited-time line).
* ``PriceMode.REDUCTION`` (固定减价): list price − amount, ``0 < amount ≤ list price``.
* ``PriceMode.FIXED_PRICE`` (固定价格): the price itself, ``0 ≤ price ≤ list price``.

Inputs have at most 2 decimals; the result rounds half-up to the fen (0.005 → 0.01,
below 0.005 → 0.00).  The rounding is done on the *price*, in integers: it is not
``Rate.discount_of`` (which rounds the saving half-up, so 0.01 × 5折 would pay
0.00 where LTD-3 says 0.01).  ``Rate`` is still used for the 折 label.

The rounding option (取整设置, LTD-5) drops the fen (抹分) or the jiao and fen (抹角)
of the *unit* price; it is not applied when that price is below 1.00.
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal

import attrs

from mallcore.errors import InvalidConfiguration, InvalidInput
from mallcore.guards import identifier, whole
from mallcore.money import EXACT, Money, Rate, format_yuan, parse_fen, to_fen

__all__ = [
    "LimitedTimeItem",
    "PriceMode",
    "Rounding",
    "apply_rounding",
    "discounted_fen",
]

#: 折 as typed: ASCII digits, at most 2 decimals, no sign, no unit, no exponent.
_ZHE_TEXT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
_HUNDREDTHS = Decimal("0.01")
_ONE_ZHE = 100  # in hundredths of 折
_TEN_ZHE = 1000
_YUAN = 100  # fen


class PriceMode(enum.StrEnum):
    """How a SKU's limited-time price is set (LTD-3)."""

    DISCOUNT = "discount"  # 固定折扣: list price × rate in 折
    REDUCTION = "reduction"  # 固定减价: list price − amount
    FIXED_PRICE = "fixed_price"  # 固定价格: the price itself


class Rounding(enum.StrEnum):
    """The rounding option of LTD-5 (取整设置)."""

    NONE = "none"
    DROP_FEN = "drop_fen"  # 抹分: 12.34 → 12.30
    DROP_JIAO = "drop_jiao"  # 抹角 (去角和分): 12.34 → 12.00

    def label(self) -> str:
        return _ROUNDING_LABEL[self]


_ROUNDING_LABEL = {Rounding.NONE: "no rounding", Rounding.DROP_FEN: "抹分",
                   Rounding.DROP_JIAO: "抹角"}


def discounted_fen(list_fen: int, hundredths_of_zhe: int) -> int:
    """``list_fen × rate`` rounded half-up to the fen (LTD-3).

    The rate is in hundredths of 折 (7折 = 700, 8.55折 = 855), so the exact price
    is ``list_fen × h / 1000`` fen and half-up is ``floor(x + 1/2)``.
    """
    return (2 * list_fen * hundredths_of_zhe + _TEN_ZHE) // (2 * _TEN_ZHE)


def apply_rounding(fen: int, rounding: Rounding) -> int:
    """LTD-5: drop the fen, or the jiao and fen, of a price of at least 1.00.

    Only ever lowers a price, and never below 1.00 (a price of at least 100 fen
    keeps its whole yuan).
    """
    if rounding is Rounding.NONE or fen < _YUAN:
        return fen
    step = 10 if rounding is Rounding.DROP_FEN else _YUAN
    return fen - fen % step


def zhe_label(hundredths: int) -> str:
    """700 → "7折", 850 → "8.5折", 855 → "8.55折" (via ``Rate``'s label)."""
    return Rate(Decimal(hundredths).scaleb(-3, EXACT)).label()


def _parse_zhe(value: object, refused: str) -> int:
    """折 as hundredths, refusing floats, signs, special characters and > 2 decimals."""
    if isinstance(value, bool | float):
        raise InvalidConfiguration(
            refused, f"{value!r} is not a rate in 折; give it as text such as \"8.5\"",
            rule="LTD-3")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        if not _ZHE_TEXT.fullmatch(text):
            raise InvalidConfiguration(
                refused, f"{value!r} is not a rate in 折 like \"7\" or \"8.5\" "
                "(digits, at most 2 decimals)", rule="LTD-3")
        amount = Decimal(text)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidConfiguration(refused, f"{value} is not a finite number",
                                       rule="LTD-3")
        amount = value
    else:
        raise InvalidConfiguration(refused, f"{type(value).__name__} is not a rate in 折",
                                   rule="LTD-3")
    if amount != amount.quantize(_HUNDREDTHS, context=EXACT):
        raise InvalidConfiguration(refused, f"{amount} has more than 2 decimals", rule="LTD-3")
    return int(amount.scaleb(2, EXACT))


def _parse_amount(value: object, refused: str) -> int:
    try:
        return parse_fen(value, refused, rule="LTD-3")
    except InvalidInput as exc:
        raise InvalidConfiguration(exc.refused, exc.reason, rule="LTD-3") from exc


@attrs.frozen
class LimitedTimeItem:
    """One SKU of a limited-time discount: its price setting and activity stock.

    ``value`` is the setting as the merchant typed it (text, an int or a Decimal;
    never a float): the rate in 折 for ``DISCOUNT``, an amount in yuan otherwise.
    ``list_price`` is the SKU's price the setting is checked against (LTD-3) and
    ``product_stock`` the product stock the activity ``stock`` may not exceed
    (LTD-4).  Every refusal is an ``InvalidConfiguration`` naming the SKU and rule.
    """

    sku_id: str
    product_id: str
    mode: PriceMode
    value: str | int | Decimal
    list_price: Money
    stock: int
    product_stock: int
    #: fen for REDUCTION / FIXED_PRICE, hundredths of 折 for DISCOUNT
    setting: int = attrs.field(init=False)
    list_fen: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        identifier(self.sku_id, "limited-time SKU", "LTD-3", error=InvalidConfiguration)
        refused = f"limited-time SKU {self.sku_id!r}"
        identifier(self.product_id, f"product of {refused}", "LTD-3",
                   error=InvalidConfiguration)
        if not isinstance(self.mode, PriceMode):
            raise InvalidConfiguration(refused, f"{self.mode!r} is not a PriceMode",
                                       rule="LTD-3")
        if not isinstance(self.list_price, Money):
            raise InvalidConfiguration(refused, "the list price must be Money", rule="LTD-3")
        try:
            list_fen = to_fen(self.list_price, self.list_price.currency.code,
                              what=f"list price of {refused}")
        except InvalidInput as exc:
            raise InvalidConfiguration(exc.refused, exc.reason, rule="LTD-3") from exc
        if list_fen < 0:
            raise InvalidConfiguration(refused, "the list price is negative", rule="LTD-3")
        setting = self._parse(refused, list_fen)
        whole(self.stock, f"activity stock of {refused}", "LTD-4", minimum=1,
              error=InvalidConfiguration)
        whole(self.product_stock, f"product stock of {refused}", "LTD-4",
              error=InvalidConfiguration)
        if self.stock > self.product_stock:
            raise InvalidConfiguration(
                refused, f"activity stock {self.stock} is more than the product stock "
                f"{self.product_stock}", rule="LTD-4")
        object.__setattr__(self, "setting", setting)
        object.__setattr__(self, "list_fen", list_fen)

    def _parse(self, refused: str, list_fen: int) -> int:
        if self.mode is PriceMode.DISCOUNT:
            hundredths = _parse_zhe(self.value, refused)
            if not _ONE_ZHE < hundredths <= _TEN_ZHE:
                raise InvalidConfiguration(
                    refused, f"rate {self.value}折 must be > 1 and ≤ 10 (7 means 70%)",
                    rule="LTD-3")
            return hundredths
        fen = _parse_amount(self.value, refused)
        problem = self._misfit(fen, list_fen)
        if problem:
            raise InvalidConfiguration(refused, problem, rule="LTD-3")
        return fen

    def _misfit(self, fen: int, list_fen: int) -> str:
        """Why an amount setting does not fit a price ("" when it does)."""
        if self.mode is PriceMode.REDUCTION and not 0 < fen <= list_fen:
            return (f"reduction {format_yuan(fen)} must be > 0 and ≤ the price "
                    f"{format_yuan(list_fen)}")
        if self.mode is PriceMode.FIXED_PRICE and not 0 <= fen <= list_fen:
            return (f"fixed price {format_yuan(fen)} must be ≥ 0 and ≤ the price "
                    f"{format_yuan(list_fen)}")
        return ""

    @property
    def currency(self) -> str:
        return str(self.list_price.currency.code)

    @property
    def rate(self) -> Rate | None:
        """The rate the buyer pays in DISCOUNT mode (``Rate.zhe("7")`` for 7折)."""
        if self.mode is not PriceMode.DISCOUNT:
            return None
        return Rate(Decimal(self.setting).scaleb(-3, EXACT))

    def describe(self) -> str:
        if self.mode is PriceMode.DISCOUNT:
            return zhe_label(self.setting)
        if self.mode is PriceMode.REDUCTION:
            return f"− {format_yuan(self.setting)}"
        return f"fixed price {format_yuan(self.setting)}"

    def unit_price(self, unit_fen: int) -> int:
        """LTD-3: the activity price of one unit whose current price is ``unit_fen``
        (before the LTD-5 rounding).

        The setting was checked against ``list_price``; if the SKU's price has
        changed since and the setting no longer fits (a reduction above the price,
        a fixed price above it), this refuses with ``InvalidConfiguration``.
        """
        whole(unit_fen, f"price of limited-time SKU {self.sku_id!r}", "LTD-3")
        if self.mode is PriceMode.DISCOUNT:
            return discounted_fen(unit_fen, self.setting)
        problem = self._misfit(self.setting, unit_fen)
        if problem:
            raise InvalidConfiguration(f"limited-time SKU {self.sku_id!r}", problem,
                                       rule="LTD-3")
        if self.mode is PriceMode.REDUCTION:
            return unit_fen - self.setting
        return self.setting

    def explain(self, unit_fen: int, raw_fen: int) -> str:
        """``"100.00 × 7折 = 70.00"`` for the detail of a priced line."""
        if self.mode is PriceMode.DISCOUNT:
            return f"{format_yuan(unit_fen)} × {self.describe()} = {format_yuan(raw_fen)}"
        if self.mode is PriceMode.REDUCTION:
            return f"{format_yuan(unit_fen)} {self.describe()} = {format_yuan(raw_fen)}"
        return f"{self.describe()} (list {format_yuan(unit_fen)})"
