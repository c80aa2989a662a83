"""Carriers and tracking numbers (ORD-4): resolving what merchants type, refusing the rest."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.errors import InvalidConfiguration, InvalidInput, NotFound
from mallcore.orders.carriers import (
    DEFAULT_CARRIERS,
    TRACKING_NUMBER_MAX,
    TRACKING_NUMBER_MIN,
    Carrier,
    CarrierRegistry,
    validate_tracking_number,
)

# --- resolving carriers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("顺丰", "SF"),
        ("顺丰速运", "SF"),
        ("中通", "ZTO"),
        ("圆通", "YTO"),
        ("申通", "STO"),
        ("韵达", "YUNDA"),
        ("中国邮政", "EMS"),
        ("EMS", "EMS"),
        ("京东物流", "JD"),
        ("德邦", "DBL"),
        ("极兔", "JT"),
        ("SF Express", "SF"),
    ],
)
def test_default_carriers_resolve_chinese_names_and_aliases(text: str, code: str) -> None:
    # RULES: ORD-4
    assert DEFAULT_CARRIERS.resolve(text).code == code


@pytest.mark.parametrize("text", ["sf", "Sf", "SF", " sf ", "yunda", "Jt"])
def test_codes_resolve_ignoring_case_and_surrounding_spaces(text: str) -> None:
    # RULES: ORD-4
    assert DEFAULT_CARRIERS.resolve(text).code == text.strip().upper()


def test_every_default_carrier_resolves_by_its_own_code_name_and_aliases() -> None:
    # RULES: ORD-4
    assert len(DEFAULT_CARRIERS) >= 9
    for carrier in DEFAULT_CARRIERS:
        for text in (carrier.code, carrier.code.lower(), carrier.name, *carrier.aliases):
            assert DEFAULT_CARRIERS.resolve(text) is carrier, text


@pytest.mark.parametrize("text", ["顺风", "顺丰速运快递", "sf express", "UPS", "", "   "])
def test_unknown_carrier_is_not_found_under_ord_7_naming_the_text(text: str) -> None:
    # RULES: ORD-7, ORD-4
    with pytest.raises(NotFound) as info:
        DEFAULT_CARRIERS.resolve(text)
    assert info.value.reason == "unknown carrier"
    assert info.value.rule == "ORD-7"
    assert repr(text) in info.value.refused
    assert DEFAULT_CARRIERS.find(text) is None
    assert text not in DEFAULT_CARRIERS


def test_a_merchant_registry_can_add_its_own_carrier() -> None:
    # RULES: ORD-4
    local = Carrier("CITY", "同城配送", frozenset({"同城"}))
    registry = DEFAULT_CARRIERS.extended([local])
    assert registry.resolve("同城") is local
    assert registry.resolve("city") is local
    assert registry.resolve("顺丰").code == "SF"
    assert "同城" not in DEFAULT_CARRIERS
    assert len(registry) == len(DEFAULT_CARRIERS) + 1


@pytest.mark.parametrize(
    "carriers",
    [
        [Carrier("SF", "顺丰速运"), Carrier("sf", "另一家")],
        [
            Carrier("AA", "甲快递", frozenset({"快递"})),
            Carrier("BB", "乙快递", frozenset({"快递"})),
        ],
        [Carrier("AA", "甲快递"), Carrier("BB", "甲快递")],
        [Carrier("AA", "甲快递", frozenset({"bb"})), Carrier("BB", "乙快递")],
    ],
)
def test_a_text_naming_two_carriers_is_refused(carriers: list[Carrier]) -> None:
    # RULES: ORD-4
    with pytest.raises(InvalidConfiguration) as info:
        CarrierRegistry(carriers)
    assert info.value.rule == "ORD-4"


def test_a_carrier_may_repeat_its_own_code_as_an_alias() -> None:
    # RULES: ORD-4
    ems = Carrier("EMS", "中国邮政EMS", frozenset({"EMS", "ems"}))
    assert CarrierRegistry([ems]).resolve("ems") is ems


@pytest.mark.parametrize(
    ("code", "name", "aliases"),
    [("", "顺丰", ()), (" SF", "顺丰", ()), ("SF", "", ()), ("SF", "顺丰", ("",))],
)
def test_blank_or_padded_carrier_texts_are_refused(
    code: str, name: str, aliases: tuple[str, ...]
) -> None:
    # RULES: ORD-4
    with pytest.raises(InvalidInput) as info:
        Carrier(code, name, frozenset(aliases))
    assert info.value.rule == "ORD-4"


def test_carrier_aliases_default_empty_and_accept_any_iterable() -> None:
    # RULES: ORD-4
    assert Carrier("X1", "某快递").aliases == frozenset()
    assert Carrier("X1", "某快递", ["甲", "乙"]).aliases == frozenset({"甲", "乙"})


# --- tracking numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SF1234567890123", "SF1234567890123"),
        ("123456", "123456"),
        ("a" * 40, "a" * 40),
        ("JD-0012-3456", "JD-0012-3456"),
        ("  YT7654321 \t", "YT7654321"),
    ],
)
def test_good_tracking_numbers_are_kept_trimmed(text: str, expected: str) -> None:
    # RULES: ORD-4
    assert validate_tracking_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "a" * 41,
        "SF 123456",
        "ＳＦ１２３４５６",  # full-width
        "运单123456",
        "1.23457E+14",  # what Excel makes of a long number
        "SF_123456",
        "------",
        "١٢٣٤٥٦٧",  # non-ASCII digits
    ],
)
def test_bad_tracking_numbers_are_refused_under_ord_4(text: str) -> None:
    # RULES: ORD-4
    with pytest.raises(InvalidInput) as info:
        validate_tracking_number(text)
    assert info.value.reason == "bad tracking number"
    assert info.value.rule == "ORD-4"
    assert repr(text.strip()) in info.value.refused


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_blank_tracking_number_is_missing(text: str) -> None:
    # RULES: ORD-4
    with pytest.raises(InvalidInput) as info:
        validate_tracking_number(text)
    assert info.value.reason == "missing tracking number"
    assert info.value.rule == "ORD-4"


_ALLOWED = string.ascii_letters + string.digits + "-"


@given(
    st.text(alphabet=_ALLOWED, min_size=TRACKING_NUMBER_MIN, max_size=TRACKING_NUMBER_MAX).filter(
        lambda s: any(c.isalnum() for c in s)
    )
)
def test_any_allowed_text_of_allowed_length_is_accepted(text: str) -> None:
    # RULES: ORD-4
    assert validate_tracking_number(text) == text


@given(
    st.text(alphabet=_ALLOWED, min_size=1, max_size=20),
    st.characters().filter(lambda c: c not in _ALLOWED),
    st.text(alphabet=_ALLOWED, min_size=1, max_size=20),
)
def test_any_other_inner_character_is_refused(before: str, bad: str, after: str) -> None:
    # RULES: ORD-4
    text = before + bad + after
    with pytest.raises(InvalidInput):
        validate_tracking_number(text)
