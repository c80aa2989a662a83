"""Issuing vouchers for a paid order line, per unit or per order (VCH-1)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from vouchers_helpers import T0, FakeCodes, at, code_of, ids

from mallcore.errors import Conflict, InvalidConfiguration, InvalidInput
from mallcore.vouchers import (
    DaysFromIssue,
    FixedWindow,
    IssueMode,
    VoucherIssued,
    VoucherStatus,
    VoucherTerms,
    check,
    issue_vouchers,
)
from mallcore.vouchers.issue import MAX_DRAWS


def terms(mode: IssueMode, uses: int = 2, **kw: object) -> VoucherTerms:
    return VoucherTerms("spa-pass", uses, mode, kw.pop("validity", DaysFromIssue(30)), **kw)  # type: ignore[arg-type]


# RULES: VCH-1
def test_one_voucher_per_unit_each_with_the_types_uses() -> None:
    t = terms(IssueMode.PER_UNIT, 2, store_ids={"S1", "S2"}, buyer_refundable=False)
    vouchers = issue_vouchers(t, order_number="O100", line_id="L1", customer_id="C1",
                              quantity=3, now=T0, ids=ids(), codes=FakeCodes(11, 22, 33))
    assert [v.id for v in vouchers] == ["V1", "V2", "V3"]
    assert [v.code for v in vouchers] == [code_of(11), code_of(22), code_of(33)]
    for v in vouchers:
        assert (v.order_number, v.line_id, v.customer_id) == ("O100", "L1", "C1")
        assert (v.total_uses, v.remaining, v.status) == (2, 2, VoucherStatus.AWAITING)
        assert v.store_ids == {"S1", "S2"}
        assert v.type_id == "spa-pass" and v.buyer_refundable is False
        assert v.issued_at == T0
        assert check(v.code) == v.code
        assert v.events == [VoucherIssued(v.id, T0, "O100", "L1", "C1", 2, T0,
                                          T0 + timedelta(days=30))]


# RULES: VCH-1
def test_one_voucher_per_order_with_uses_times_quantity() -> None:
    vouchers = issue_vouchers(terms(IssueMode.PER_ORDER, 2), order_number="O100", line_id="L1",
                              customer_id="C1", quantity=3, now=T0, ids=ids(),
                              codes=FakeCodes(5))
    assert len(vouchers) == 1
    assert (vouchers[0].total_uses, vouchers[0].remaining) == (6, 6)


# RULES: VCH-1
def test_validity_fixed_window_or_days_from_issue() -> None:
    window = FixedWindow(at(days=1), at(days=8))
    fixed = issue_vouchers(terms(IssueMode.PER_UNIT, validity=window), order_number="O1",
                           line_id="L1", customer_id="C1", quantity=1, now=T0, ids=ids(),
                           codes=FakeCodes(1))[0]
    assert (fixed.valid_from, fixed.valid_until) == (at(days=1), at(days=8))
    later = at(days=3, hours=5)
    relative = issue_vouchers(terms(IssueMode.PER_UNIT, validity=DaysFromIssue(7)),
                              order_number="O1", line_id="L1", customer_id="C1", quantity=1,
                              now=later, ids=ids(), codes=FakeCodes(1))[0]
    assert (relative.valid_from, relative.valid_until) == (later, later + timedelta(days=7))


# RULES: VCH-1
def test_a_repeated_code_is_drawn_again_within_the_batch_and_against_taken() -> None:
    vouchers = issue_vouchers(terms(IssueMode.PER_UNIT), order_number="O1", line_id="L1",
                              customer_id="C1", quantity=2, now=T0, ids=ids(),
                              codes=FakeCodes(7, 7, 8))
    assert [v.code for v in vouchers] == [code_of(7), code_of(8)]
    in_use = {code_of(1), code_of(2)}
    [voucher] = issue_vouchers(terms(IssueMode.PER_UNIT), order_number="O2", line_id="L1",
                               customer_id="C1", quantity=1, now=T0, ids=ids("W"),
                               codes=FakeCodes(1, 2, 3), taken=in_use.__contains__)
    assert voucher.code == code_of(3)


# RULES: VCH-1
def test_a_generator_that_keeps_repeating_is_refused_not_looped_on() -> None:
    stuck = FakeCodes(4)
    with pytest.raises(Conflict) as err:
        issue_vouchers(terms(IssueMode.PER_UNIT), order_number="O1", line_id="L1",
                       customer_id="C1", quantity=2, now=T0, ids=ids(), codes=stuck)
    assert err.value.rule == "VCH-1"
    assert len(stuck.asked) == 1 + MAX_DRAWS


# RULES: VCH-1
def test_ids_must_be_distinct() -> None:
    with pytest.raises(Conflict):
        issue_vouchers(terms(IssueMode.PER_UNIT), order_number="O1", line_id="L1",
                       customer_id="C1", quantity=2, now=T0, ids=lambda: "same",
                       codes=FakeCodes(1, 2))


# RULES: VCH-1
@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: VoucherTerms("t", 0, IssueMode.PER_UNIT, DaysFromIssue(1)),
         InvalidConfiguration),
        (lambda: VoucherTerms("t", 1, "per_unit", DaysFromIssue(1)),  # type: ignore[arg-type]
         InvalidConfiguration),
        (lambda: VoucherTerms("t", 1, IssueMode.PER_UNIT, DaysFromIssue(0)),
         InvalidConfiguration),
        (lambda: FixedWindow(at(days=2), at(days=2)), InvalidConfiguration),
        (lambda: FixedWindow(datetime(2024, 1, 1), at(days=2)), InvalidInput),
        (lambda: VoucherTerms("t", 1, IssueMode.PER_UNIT, DaysFromIssue(1), store_ids="S1"),
         InvalidInput),
        (lambda: VoucherTerms(" t", 1, IssueMode.PER_UNIT, DaysFromIssue(1)), InvalidInput),
    ],
)
def test_broken_terms_are_refused(make: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()  # type: ignore[operator]


# RULES: VCH-1
@pytest.mark.parametrize(
    "override",
    [{"quantity": 0}, {"quantity": True}, {"now": datetime(2024, 10, 25)},
     {"order_number": ""}, {"customer_id": "C1 "}],
)
def test_bad_issue_arguments_are_refused(override: dict[str, object]) -> None:
    args: dict[str, object] = {"order_number": "O1", "line_id": "L1", "customer_id": "C1",
                               "quantity": 1, "now": T0, "ids": ids(), "codes": FakeCodes(1)}
    args.update(override)
    with pytest.raises(InvalidInput) as err:
        issue_vouchers(terms(IssueMode.PER_UNIT), **args)  # type: ignore[arg-type]
    assert err.value.rule == "VCH-1"
