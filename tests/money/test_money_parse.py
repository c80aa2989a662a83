"""Exact money at the edges: parse_fen, money, to_fen, from_fen, format_yuan (PIPE-3)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mallcore.errors import CurrencyMismatch, InvalidInput
from mallcore.money import Money, format_yuan, from_fen, money, parse_fen, same_currency, to_fen

LOW_PRECISION = [
    Context(prec=3, rounding=ROUND_HALF_EVEN),
    Context(prec=2, rounding=ROUND_DOWN),
    Context(prec=5, rounding=ROUND_CEILING),
]


# RULES: PIPE-3
@pytest.mark.parametrize(("value", "fen"), [
    ("12.30", 1230), ("12.3", 1230), ("0", 0), ("0.01", 1), ("-1.50", -150), (" 7.05 ", 705),
    ("100", 10000), (5, 500), (0, 0), (-3, -300), (Decimal("1.10"), 110),
    (Decimal("1E+2"), 10000), (Decimal("-0.01"), -1), (Decimal("2.500"), 250),
])
def test_parse_fen_accepts_exact_amounts(value: object, fen: int) -> None:
    assert parse_fen(value) == fen


REFUSED = [
    1.5, 0.0, 1.0, float("nan"), float("inf"), True, False,
    "1.005", "1.000", "0.001", "1.", ".5", "abc", "", " ", "NaN", "nan", "Infinity", "inf",
    "-inf", "1e2", "1E+2", "1,000.00", "¥1.00", "1.00元", "+1.00", "--1", "1..0", "0x10",
    Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"),
    Decimal("1.005"), Decimal("0.001"), Decimal("1E-3"),
    None, [], b"1.00", object(),
]


# RULES: PIPE-3
@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_parse_fen_refuses_non_amounts(value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_fen(value)
    assert err.value.rule == "PIPE-3"


# RULES: PIPE-3
@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_money_refuses_non_amounts(value: object) -> None:
    with pytest.raises(InvalidInput):
        money(value)  # type: ignore[arg-type]


# RULES: PIPE-3
def test_money_builds_cny_by_default_and_other_currencies_on_request() -> None:
    m = money("12.30")
    assert isinstance(m, Money)
    assert m.currency.code == "CNY"
    assert m.amount == Decimal("12.30")
    assert money("1", "USD").currency.code == "USD"
    assert money(m) is m


# RULES: PIPE-3
def test_money_of_money_checks_currency_and_fen() -> None:
    with pytest.raises(CurrencyMismatch):
        money(Money("1.00", "USD"))
    with pytest.raises(InvalidInput):
        money(Money("1.005", "CNY"))


# RULES: PIPE-3
def test_unknown_currency_is_refused() -> None:
    with pytest.raises(InvalidInput):
        money("1.00", "XYZ1")


# RULES: PIPE-3
def test_to_fen_refuses_other_currencies_and_fractional_fen() -> None:
    assert to_fen(Money("12.34", "CNY")) == 1234
    assert to_fen(Money("12.34", "USD"), "USD") == 1234
    with pytest.raises(CurrencyMismatch):
        to_fen(Money("12.34", "USD"))
    with pytest.raises(CurrencyMismatch):
        to_fen(Money("12.34", "CNY"), "EUR")
    with pytest.raises(InvalidInput) as err:
        to_fen(Money("12.345", "CNY"))
    assert not isinstance(err.value, CurrencyMismatch)
    with pytest.raises(InvalidInput):
        to_fen("12.34")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        to_fen(Decimal("12.34"))  # type: ignore[arg-type]


# RULES: PIPE-3
def test_same_currency() -> None:
    assert same_currency([money("1"), money("2")]) == "CNY"
    assert same_currency([]) == "CNY"
    with pytest.raises(CurrencyMismatch):
        same_currency([money("1"), money("1", "USD")])


# RULES: PIPE-3
@pytest.mark.parametrize(("fen", "text"), [
    (0, "0.00"), (1, "0.01"), (10, "0.10"), (8530, "85.30"), (-1, "-0.01"), (-8530, "-85.30"),
    (123456789012, "1234567890.12"),
])
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


# RULES: PIPE-3
@given(st.integers(-(10**18), 10**18))
def test_fen_round_trips_exactly(fen: int) -> None:
    assert parse_fen(format_yuan(fen)) == fen
    assert to_fen(from_fen(fen)) == fen
    assert from_fen(fen).amount == Decimal(fen) / 100
    assert money(format_yuan(fen)) == from_fen(fen)


# RULES: PIPE-3
@given(st.integers(-(10**9), 10**9), st.integers(1, 9))
def test_text_with_a_third_non_zero_decimal_is_refused(cents: int, third: int) -> None:
    text = format_yuan(cents) + str(third)
    with pytest.raises(InvalidInput):
        parse_fen(text)
    with pytest.raises(InvalidInput):
        parse_fen(Decimal(text))


# RULES: PIPE-3
@given(st.integers(0, 10**70))
@example(10**50 + 1)
def test_large_amounts_are_exact_or_refused_never_rounded(n: int) -> None:
    """Text or Decimal, a huge whole number of yuan is either exact or refused."""
    for value in (str(n), Decimal(n)):
        try:
            fen = parse_fen(value)
        except InvalidInput:
            continue
        assert fen == n * 100, value


# RULES: PIPE-3
def test_many_decimals_that_round_to_a_whole_fen_are_refused() -> None:
    nearly_one = Decimal("0." + "9" * 60)
    with pytest.raises(InvalidInput):
        parse_fen(nearly_one)
    with pytest.raises(InvalidInput):
        money(nearly_one)


# RULES: PIPE-3
@pytest.mark.parametrize("ctx", LOW_PRECISION, ids=str)
def test_money_ignores_the_ambient_decimal_context(ctx: Context) -> None:
    with localcontext(ctx):
        built = money("123.45")
        converted = from_fen(12345)
        fen = parse_fen("123.45")
        back = to_fen(money("123.45"))
        text = format_yuan(12345)
    assert built.amount == Decimal("123.45")
    assert converted.amount == Decimal("123.45")
    assert (fen, back, text) == (12345, 12345, "123.45")
