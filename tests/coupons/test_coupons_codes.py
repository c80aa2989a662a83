"""Coupon codes (CPN-2): prefixed, unguessable, unambiguous, unique; imports line by line."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallcore.coupons.codes import (
    ALPHABET,
    MIN_RANDOM_BITS,
    CodeGenerator,
    RandomBelow,
    canonical_code,
    import_codes,
)
from mallcore.errors import InvalidConfiguration, InvalidInput, LimitReached


def scripted(values: list[int]) -> tuple[list[int], RandomBelow]:
    """A randbelow that replays ``values`` and records each bound it was asked for."""
    asked: list[int] = []
    it: Iterator[int] = iter(values)

    def randbelow(n: int) -> int:
        asked.append(n)
        return next(it)

    return asked, randbelow


# RULES: CPN-2
def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31
    assert set(ALPHABET) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


# RULES: CPN-2
def test_a_code_is_the_prefix_then_random_symbols_drawn_from_the_generator() -> None:
    asked, randbelow = scripted([0, 1, 2, 3, 4, 5, 6, 7, 30, 8])
    gen = CodeGenerator("vip-", randbelow=randbelow)
    assert gen.one() == "VIP-23456789Z" + "A"
    assert asked == [31] * 10  # every symbol comes from the injected generator


# RULES: CPN-2
def test_generated_codes_carry_at_least_40_random_bits() -> None:
    assert CodeGenerator("P").random_bits >= MIN_RANDOM_BITS
    assert CodeGenerator("P", 9).random_bits == pytest.approx(9 * math.log2(31))
    assert 9 * math.log2(31) >= 40 > 8 * math.log2(31)
    with pytest.raises(InvalidConfiguration, match="at least 40 random bits"):
        CodeGenerator("P", 8)


# RULES: CPN-2
def test_the_default_generator_uses_secrets() -> None:
    codes = CodeGenerator("S").generate(50)
    assert len(set(codes)) == 50
    assert all(re.fullmatch(f"S[{ALPHABET}]{{10}}", c) for c in codes)


# RULES: CPN-2
def test_a_collision_is_drawn_again() -> None:
    a, b = [0] * 9, [1] * 9
    _, randbelow = scripted(a + a + b)
    codes = CodeGenerator("X", 9, randbelow=randbelow).generate(2)
    assert codes == ("X" + "2" * 9, "X" + "3" * 9)


# RULES: CPN-2
def test_codes_already_taken_elsewhere_are_drawn_again() -> None:
    _, randbelow = scripted([0] * 9 + [1] * 9)
    gen = CodeGenerator("X", 9, randbelow=randbelow)
    assert gen.generate(1, taken={"X" + "2" * 9}) == ("X" + "3" * 9,)


# RULES: CPN-2
def test_a_generator_that_keeps_repeating_is_refused_not_looped_on() -> None:
    gen = CodeGenerator("X", 9, randbelow=lambda n: 0)
    with pytest.raises(LimitReached, match="repeated"):
        gen.generate(2)


# RULES: CPN-2
@pytest.mark.parametrize("bad", [-1, 31, True, "3"])
def test_a_generator_out_of_range_is_refused(bad: object) -> None:
    gen = CodeGenerator("X", randbelow=lambda n: bad)  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidConfiguration, match="randbelow"):
        gen.one()


# RULES: CPN-2
@pytest.mark.parametrize("prefix", ["", "  ", "A B", "券", "X" * 17, 5])
def test_bad_prefixes_are_refused(prefix: object) -> None:
    with pytest.raises(InvalidConfiguration):
        CodeGenerator(prefix)


# RULES: CPN-2
@pytest.mark.parametrize("n", [0, -1, 1.0])
def test_a_number_of_codes_must_be_a_positive_whole_number(n: object) -> None:
    with pytest.raises(InvalidInput):
        CodeGenerator("X").generate(n)  # type: ignore[arg-type]


# RULES: CPN-2
@given(
    prefix=st.text("ABC0-", min_size=1, max_size=4),
    n=st.integers(1, 60),
    seed=st.integers(0, 2**32),
    length=st.integers(9, 12),
)
def test_generated_codes_are_unique_and_match_the_alphabet(
    prefix: str, n: int, seed: int, length: int
) -> None:
    rng = random.Random(seed)
    codes = CodeGenerator(prefix, length, randbelow=rng.randrange).generate(n)
    assert len(codes) == n == len(set(codes))
    for code in codes:
        assert code.startswith(prefix)
        body = code[len(prefix):]
        assert len(body) == length
        assert set(body) <= set(ALPHABET)


# RULES: CPN-2
@given(n=st.integers(2, 40), seed=st.integers(0, 100))
def test_uniqueness_holds_even_with_a_tiny_code_space(n: int, seed: int) -> None:
    """A generator that mostly repeats: collisions happen and are redrawn."""
    rng = random.Random(seed)
    codes = CodeGenerator("Q", 9, randbelow=lambda k: rng.choice([0, 0, 0, 1, 2]) % k
                          ).generate(n)
    assert len(set(codes)) == n


# RULES: CPN-2
def test_typed_codes_are_case_insensitive_and_trimmed() -> None:
    assert canonical_code("  shop7kq2m9 ") == "SHOP7KQ2M9"


# RULES: CPN-2
@pytest.mark.parametrize("bad", ["", "   ", "AB C1", "ABC!", "ＡＢＣＤ", "abc", "X" * 33, 12])
def test_malformed_codes_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        canonical_code(bad)


# RULES: CPN-2
def test_an_import_gives_a_result_per_line() -> None:
    result = import_codes(
        "GOLD0001\n\ngold0001\nGOLD 0002\nGOLD0003\n  \nAB\nTAKEN001\ngold-0004_x\n",
        taken={"TAKEN001"},
    )
    verdicts = [(line.number, line.code, line.reason) for line in result.lines]
    assert verdicts == [
        (1, "GOLD0001", None),
        (2, None, "blank line"),
        (3, None, "duplicate of line 1"),
        (4, None, "'GOLD 0002' has bad characters [' ']"),
        (5, "GOLD0003", None),
        (6, None, "blank line"),
        (7, None, "'AB' is not 4 to 32 characters long"),
        (8, None, "code already exists"),
        (9, "GOLD-0004_X", None),
    ]
    assert result.codes == ("GOLD0001", "GOLD0003", "GOLD-0004_X")
    assert [line.number for line in result.refused] == [2, 3, 4, 6, 7, 8]


# RULES: CPN-2
def test_an_import_from_a_list_of_lines_refuses_non_text() -> None:
    result = import_codes(["AAAA1", 7, "券券券券"])  # type: ignore[list-item]
    assert [line.ok for line in result.lines] == [True, False, False]
    assert result.lines[1].reason == "not text"
    assert "bad characters" in (result.lines[2].reason or "")
