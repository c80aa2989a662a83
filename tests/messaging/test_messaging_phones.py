"""Phone numbers: normalised so duplicates merge, validated, masked everywhere (SMS-2)."""

from __future__ import annotations

import pickle

import pytest

from mallcore.messaging import InvalidPhoneNumber, Phone, mask_phone, mask_text, parse_phone


# RULES: SMS-2
@pytest.mark.parametrize("raw", [
    "13812345678", "+8613812345678", "8613812345678", "008613812345678",
    "138 1234 5678", "138-1234-5678", "+86 138-1234-5678", " 13812345678 ", "(+86)13812345678",
])
def test_prefixes_spaces_and_dashes_normalise_to_one_number(raw: str) -> None:
    assert parse_phone(raw) == Phone("13812345678")


# RULES: SMS-2
@pytest.mark.parametrize(("raw", "why"), [
    ("1381234567", "10 digits"),
    ("138123456789", "12 digits"),
    ("12812345678", "13–19 prefix"),
    ("23812345678", "13–19 prefix"),
    ("1381234567x", "other than digits"),
    ("   ", "no digits"),
    ("+1 415 555 0100", "digits"),
])
def test_non_mainland_mobile_numbers_are_refused_with_why(raw: str, why: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        parse_phone(raw)
    assert why in caught.value.reason
    assert caught.value.rule == "SMS-2"


def test_a_refused_number_is_masked_in_the_error() -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        parse_phone("138123456789")
    assert "138123456789" not in str(caught.value)
    assert "****" in str(caught.value)


def test_masking_keeps_the_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_text("call 13812345678 or +8613987654321") == \
        "call 138****5678 or +86139****4321"


def test_str_and_repr_are_masked_but_the_number_stays_for_adapters() -> None:
    p = Phone("13812345678")
    assert str(p) == "138****5678"
    assert repr(p) == "Phone('138****5678')"
    assert f"{[p]}" == "[Phone('138****5678')]"
    assert p.number == "13812345678"
    assert p.e164 == "+8613812345678"


def test_phone_is_immutable_and_survives_pickle() -> None:
    p = Phone("13812345678")
    with pytest.raises(AttributeError):
        p.number = "13900000000"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(p)) == p
