"""Campaign recipients: normalised, merged, refused lines reported, 10,000 cap (SMS-2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidInput
from mallcore.messaging import MAX_RECIPIENTS, Phone, TooManyRecipients, parse_recipients


# RULES: SMS-2
def test_duplicates_in_any_spelling_merge_into_the_first() -> None:
    r = parse_recipients("13812345678\n+86 138 1234 5678\n13900000001\n86-13812345678\n")
    assert r.phones == (Phone("13812345678"), Phone("13900000001"))
    assert r.merged == 2
    assert r.refused == ()


# RULES: SMS-2
def test_refused_lines_are_reported_masked_with_their_line_number() -> None:
    r = parse_recipients(["13812345678", "", "12345", "1381234567890", "13900000001"])
    assert len(r) == 2
    assert [(x.line, x.shown) for x in r.refused] == [(3, "12345"), (4, "13812****7890")]
    assert "digits" in r.refused[0].reason


# RULES: SMS-2
def test_exactly_ten_thousand_distinct_numbers_are_accepted() -> None:
    numbers = [f"139{i:08d}" for i in range(MAX_RECIPIENTS)]
    assert len(parse_recipients(numbers + numbers[:5])) == MAX_RECIPIENTS


# RULES: SMS-2
def test_ten_thousand_and_one_distinct_numbers_are_refused() -> None:
    numbers = [f"139{i:08d}" for i in range(MAX_RECIPIENTS + 1)]
    with pytest.raises(TooManyRecipients) as caught:
        parse_recipients(numbers)
    assert caught.value.count == MAX_RECIPIENTS + 1
    assert caught.value.rule == "SMS-2"


def test_a_list_with_no_valid_number_is_refused() -> None:
    with pytest.raises(InvalidInput, match="none valid"):
        parse_recipients("abc\n123")
    with pytest.raises(InvalidInput, match="empty"):
        parse_recipients("\n\n")


_number = st.integers(0, 199).map(lambda i: f"1380000{i:04d}")
_spelling = st.sampled_from(["{}", "+86{}", "86 {}", "{}-", " {} "])
_entry = st.one_of(
    st.tuples(_spelling, _number).map(lambda t: t[0].format(t[1])),
    st.text(alphabet="0123456789x+ -", max_size=14),
)


# RULES: SMS-2
@settings(max_examples=150, deadline=None)
@given(st.lists(_entry, max_size=300), st.integers(1, 150))
def test_every_line_is_kept_merged_or_refused_and_the_cap_holds(
    entries: list[str], limit: int
) -> None:
    try:
        r = parse_recipients(entries, limit=limit)
    except TooManyRecipients as exc:
        assert exc.count > limit
        return
    except InvalidInput:
        return
    assert len(r) <= limit
    assert len(set(r.phones)) == len(r.phones)
    non_blank = [e for e in entries if e.strip()]
    assert len(r.phones) + r.merged + len(r.refused) == len(non_blank)
