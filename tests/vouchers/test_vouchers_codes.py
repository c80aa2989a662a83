"""Verification codes: unguessable (VCH-1) and typo-proof, checked before lookup (VCH-3)."""

from __future__ import annotations

import random

import pytest
from vouchers_helpers import FakeCodes, code_of

from mallcore.errors import InvalidInput
from mallcore.vouchers import CODE_BITS, CODE_DIGITS, MistypedCode, check, check_digit, display
from mallcore.vouchers import codes as codes_module
from mallcore.vouchers.codes import _DAMM, BODY_DIGITS, new_code

SAMPLE_VALUES = [
    0, 1, 572, 9, 90, 123_456_789_012_345, 2**CODE_BITS - 1,
    *(random.Random(7).getrandbits(CODE_BITS) for _ in range(25)),
]


# RULES: VCH-1
def test_codes_carry_48_random_bits_in_a_16_digit_space() -> None:
    assert CODE_BITS >= 40
    assert 10**BODY_DIGITS >= 2**CODE_BITS  # every 48-bit value fits the 15-digit body
    assert CODE_DIGITS == BODY_DIGITS + 1 == 16
    fake = FakeCodes(0, 2**CODE_BITS - 1)
    lowest, highest = new_code(fake), new_code(fake)
    assert fake.asked == [CODE_BITS, CODE_BITS]  # the generator is asked for all 48 bits
    assert lowest == "0000000000000000"
    assert highest.startswith(str(2**CODE_BITS - 1).zfill(BODY_DIGITS))
    assert len(lowest) == len(highest) == CODE_DIGITS
    # the body is the random value itself: distinct values, distinct codes
    assert len({code_of(v) for v in SAMPLE_VALUES}) == len(set(SAMPLE_VALUES))


# RULES: VCH-1
def test_a_fixed_fake_generator_gives_deterministic_codes() -> None:
    # Damm's published example: the check digit of 572 is 4; leading zeros keep state 0
    assert check_digit("572") == "4"
    assert new_code(FakeCodes(572)) == "0000000000005724"
    first = [new_code(FakeCodes(v)) for v in SAMPLE_VALUES]
    again = [new_code(FakeCodes(v)) for v in SAMPLE_VALUES]
    assert first == again


# RULES: VCH-1
def test_the_default_generator_is_the_system_csprng() -> None:
    assert codes_module.system_random.__self__.__class__.__name__ == "SystemRandom"  # type: ignore[attr-defined]
    a, b = new_code(), new_code()
    assert check(a) == a and check(b) == b
    assert a != b  # equal with probability 2**-48


# RULES: VCH-1
@pytest.mark.parametrize("value", [-1, 2**CODE_BITS, True, "12"])
def test_a_generator_outside_48_bits_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        new_code(lambda nbits: value)  # type: ignore[arg-type]
    assert err.value.rule == "VCH-1"


# RULES: VCH-1
def test_damm_table_is_a_weakly_totally_antisymmetric_quasigroup() -> None:
    """The properties that prove the two guarantees for every code, not just samples.

    Latin square: each digit step is a bijection of the interim state, so a
    substituted digit keeps the final state different (never 0).  Zero
    diagonal: appending the check digit drives the state to 0.  Weak total
    anti-symmetry: swapping two different adjacent digits changes the state.
    """
    digits = range(10)
    for row in _DAMM:
        assert sorted(row) == list(digits)
    for col in digits:
        assert sorted(_DAMM[r][col] for r in digits) == list(digits)
    assert all(_DAMM[d][d] == 0 for d in digits)
    for c in digits:
        for x in digits:
            for y in digits:
                if x != y:
                    assert _DAMM[_DAMM[c][x]][y] != _DAMM[_DAMM[c][y]][x]


# RULES: VCH-3
@pytest.mark.parametrize("value", SAMPLE_VALUES)
def test_every_single_digit_substitution_is_caught(value: int) -> None:
    code = code_of(value)
    assert check(code) == code
    for i, digit in enumerate(code):
        for other in "0123456789":
            if other != digit:
                typo = code[:i] + other + code[i + 1 :]
                with pytest.raises(MistypedCode):
                    check(typo)


# RULES: VCH-3
@pytest.mark.parametrize("value", SAMPLE_VALUES)
def test_every_adjacent_transposition_is_caught(value: int) -> None:
    code = code_of(value)
    swaps = 0
    for i in range(len(code) - 1):  # the check digit itself included
        if code[i] != code[i + 1]:
            typo = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            with pytest.raises(MistypedCode):
                check(typo)
            swaps += 1
    assert swaps > 0 or len(set(code)) == 1


# RULES: VCH-3
def test_what_people_type_is_normalised() -> None:
    code = code_of(123_456_789_012_345)
    shown = display(code)
    assert shown == " ".join([code[0:4], code[4:8], code[8:12], code[12:16]])
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in code)
    for typed in [shown, "-".join(shown.split()), f"  {shown}\t", shown.replace(" ", "\u3000"),
                  fullwidth, code[:8] + "－" + code[8:]]:
        assert check(typed) == code


# RULES: VCH-3
@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "digits"),
        ("1234 5678 9012 345", "15 digits typed"),
        ("1234 5678 9012 34567", "17 digits typed"),
        ("1234 5678 9O12 3456", "only digits"),  # a letter O
        ("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", "only digits"),  # other scripts' digits are not codes
        (None, "not a code"),
        (1234567890123456, "not a code"),
    ],
)
def test_malformed_codes_are_mistyped(typed: object, says: str) -> None:
    with pytest.raises(MistypedCode) as err:
        check(typed)
    assert isinstance(err.value, InvalidInput)
    assert err.value.rule == "VCH-3"
    assert says in err.value.reason


# RULES: VCH-3
def test_a_mistyped_code_is_not_echoed_in_the_error() -> None:
    code = code_of(987_654_321_098)
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(MistypedCode) as err:
        check(typo)
    assert "check digit" in err.value.reason
    assert typo[:12] not in str(err.value)  # a near-miss is almost the secret
