"""Exact money: py-moneyed ``Money`` at the edges, integer fen inside.

Why integers: every stage of the pipeline adds, subtracts and allocates, and
integer fen make "allocations sum to the fen" a property of arithmetic rather
than of care.  Rounding is always explicit and half-up (PIPE-3, LTD-3); we never
call ``Money.round()`` or format through babel, which follow ambient contexts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import TypeVar

import attrs
from moneyed import Currency, Money, get_currency

from mallcore.errors import CurrencyMismatch, InvalidInput

__all__ = [
    "DEFAULT_CURRENCY",
    "Money",
    "Rate",
    "allocate",
    "divide_half_up",
    "format_yuan",
    "from_fen",
    "half_up",
    "money",
    "parse_fen",
    "same_currency",
    "split",
    "to_fen",
]

DEFAULT_CURRENCY = "CNY"
_FEN_PER_YUAN = 100
_AMOUNT_TEXT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")  # ASCII digits only: "１２" is refused
#: Every Decimal operation here passes this context, so none can round: results do
#: not depend on the caller's ambient ``decimal`` context (precision, rounding).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)
_CURRENCIES: dict[str, Currency] = {}

AmountLike = str | int | Decimal | Money


def currency_of(code: str) -> Currency:
    """Cached lookup: ``get_currency`` is a dict walk we do on every Money we build."""
    cur = _CURRENCIES.get(code)
    if cur is None:
        try:
            cur = get_currency(code)
        except Exception as exc:  # moneyed raises CurrencyDoesNotExist
            raise InvalidInput(f"currency {code!r}", "unknown ISO 4217 code") from exc
        _CURRENCIES[code] = cur
    return cur


def half_up(value: Decimal) -> int:
    """Round a Decimal number of fen to an integer, half away from zero (0.5 → 1)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=EXACT))


def divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` in whole fen, half-up, for non-negative integers."""
    if numerator < 0 or denominator <= 0:
        raise InvalidInput("division", f"{numerator}/{denominator} is not a share of a "
                           "non-negative amount", rule="PIPE-3")
    return (2 * numerator + denominator) // (2 * denominator)


def _decimal_fen(amount: Decimal, what: str, rule: str | None) -> int:
    if not amount.is_finite():
        raise InvalidInput(what, "amount is not a finite number", rule=rule)
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(  # type: ignore[operator]
        Decimal("0.01"), context=EXACT
    ):
        raise InvalidInput(what, f"{amount} has more than 2 decimal places", rule=rule)
    return int(amount.scaleb(2, EXACT))


def parse_fen(value: object, what: str = "amount", *, rule: str | None = "PIPE-3") -> int:
    """Parse a yuan amount given as text, int or Decimal into exact fen.

    Floats are refused: ``0.1 + 0.2`` is how shops lose a fen per order.
    """
    if isinstance(value, bool | float):
        raise InvalidInput(
            what, f"{value!r} is a float; give amounts as text such as \"1.50\"", rule=rule
        )
    if isinstance(value, int):
        return value * _FEN_PER_YUAN
    if isinstance(value, Decimal):
        return _decimal_fen(value, what, rule)
    if isinstance(value, str):
        text = value.strip()
        if not _AMOUNT_TEXT.fullmatch(text):
            raise InvalidInput(
                what, f"{value!r} is not an amount like \"12.30\" (at most 2 decimals)", rule=rule
            )
        try:
            return _decimal_fen(Decimal(text), what, rule)
        except InvalidOperation as exc:  # pragma: no cover - regex already guards
            raise InvalidInput(what, f"{value!r} is not a number", rule=rule) from exc
    raise InvalidInput(what, f"{type(value).__name__} is not an amount", rule=rule)


def money(value: AmountLike, currency: str = DEFAULT_CURRENCY, *, what: str = "amount") -> Money:
    """Build a ``Money`` from text/int/Decimal, refusing floats and fractional fen."""
    if isinstance(value, Money):
        if value.currency.code != currency:
            raise CurrencyMismatch(what, f"{value.currency.code} given, {currency} expected")
        _decimal_fen(value.amount, what, "PIPE-3")
        return value
    return from_fen(parse_fen(value, what), currency)


def to_fen(value: Money, currency: str = DEFAULT_CURRENCY, *, what: str = "amount") -> int:
    """Exact fen of a ``Money``; refuses another currency and fractions of a fen."""
    if not isinstance(value, Money):
        raise InvalidInput(what, f"{type(value).__name__} given where Money is expected")
    if value.currency.code != currency:
        raise CurrencyMismatch(what, f"{value.currency.code} given, {currency} expected")
    return _decimal_fen(value.amount, what, "PIPE-3")


def from_fen(fen: int, currency: str = DEFAULT_CURRENCY) -> Money:
    return Money(Decimal(fen).scaleb(-2, EXACT), currency_of(currency))


def format_yuan(fen: int) -> str:
    """``8530`` → ``"85.30"``; exact, no locale, no rounding."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), _FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"


def same_currency(values: Iterable[Money], what: str = "amounts") -> str:
    """The one currency code of ``values``; mixing currencies is refused."""
    codes = {v.currency.code for v in values}
    if len(codes) > 1:
        raise CurrencyMismatch(what, f"mixes currencies {sorted(codes)}")
    return codes.pop() if codes else DEFAULT_CURRENCY


K = TypeVar("K", bound=str)


def allocate(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Split ``total`` fen across keys in proportion to ``weights``, exactly.

    Largest-remainder method: everyone gets the floor of their exact share, and
    the fen left over go one each to the largest remainders, ties broken by key,
    so the result does not depend on the order of ``weights``.  With weights equal
    to line amounts and ``total`` not above their sum, every share lies between 0
    and its own line's amount (floor + 1 never passes an integer upper bound).
    """
    if total < 0:
        raise InvalidInput("allocation", f"total {total} fen is negative", rule="PIPE-3")
    keys = list(weights)
    values = list(weights.values())
    if values and min(values) < 0:
        key = next(k for k, w in weights.items() if w < 0)
        raise InvalidInput("allocation", f"weight of {key!r} is negative", rule="PIPE-3")
    if total and not any(values):
        raise InvalidInput(
            "allocation", f"cannot spread {total} fen over zero weight", rule="PIPE-3"
        )
    return dict(zip(keys, split(total, keys, values), strict=True))


def split(total: int, keys: Sequence[str], weights: Sequence[int]) -> list[int]:
    """``allocate`` on parallel sequences, for callers that checked their input.

    The pricing pipeline calls this once per applied promotion, so it avoids
    building mappings; ``allocate`` is the checked, mapping-shaped front door.
    """
    weight_sum = sum(weights)
    if total == weight_sum:  # the whole base: each key gives all it has
        return list(weights)
    if len(weights) == 1:
        return [total]
    shares = []
    remainders = []
    for w in weights:
        share, rem = divmod(total * w, weight_sum)
        shares.append(share)
        remainders.append(-rem)
    left = total - sum(shares)
    if left:
        # the largest remainders get one fen each; ties go to the smaller key
        ranked = sorted(zip(remainders, keys, range(len(keys)), strict=True))
        for _, _, i in ranked[:left]:
            shares[i] += 1
    return shares


@attrs.frozen
class Rate:
    """A price multiplier in (0, 1]: what the buyer pays.  ``Rate.zhe("9")`` is 90%.

    Chinese shops quote discounts in 折 (tenths of the price): 9折 pays 90%,
    8.5折 pays 85%.  The discount on an amount is rounded half-up to the fen.
    """

    pay: Decimal = attrs.field()
    _label: str = attrs.field(init=False, repr=False, eq=False)
    _ratio: tuple[int, int] = attrs.field(init=False, repr=False, eq=False)

    @pay.validator
    def _check(self, _: object, value: Decimal) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidInput("rate", f"{value!r} is not a Decimal")
        if not (Decimal(0) < value <= Decimal(1)):
            raise InvalidInput("rate", f"{value} is not in (0, 1]: pay more than 0, at most all")

    def __attrs_post_init__(self) -> None:
        tenths = self.pay.scaleb(1, EXACT).normalize(EXACT)
        object.__setattr__(self, "_label", f"{tenths:f}折")
        object.__setattr__(self, "_ratio", self.pay.as_integer_ratio())

    @classmethod
    def zhe(cls, value: str | int | Decimal) -> Rate:
        if isinstance(value, bool | float):
            raise InvalidInput("discount", f"{value!r}: give 折 as text such as \"8.5\"")
        try:
            tenths = Decimal(str(value).strip().removesuffix("折"))
            if not tenths.is_finite():
                raise InvalidOperation
        except InvalidOperation as exc:
            raise InvalidInput("discount", f"{value!r} is not a number of 折") from exc
        if not tenths.is_finite() or not (Decimal(0) < tenths <= Decimal(10)):
            raise InvalidInput("discount", f"{value!r} 折 is not in (0, 10]")
        return cls(tenths.scaleb(-1, EXACT))

    def discount_of(self, fen: int) -> int:
        """The saving on ``fen``, half-up to the fen, never more than ``fen``."""
        if fen <= 0:
            return 0
        pay, whole = self._ratio
        # fen × (1 − pay) rounded half-up, in integers: no decimal context involved
        return (2 * fen * (whole - pay) + whole) // (2 * whole)

    def label(self) -> str:
        return self._label
