"""Staff actions on a voucher: transfer (VCH-4), void / restore (VCH-5), change validity
(VCH-6), manual refund pro rata (VCH-7)."""

from __future__ import annotations

from datetime import datetime

import pytest
from vouchers_helpers import ANY_STORE, EAST, NORTH, T0, WEST, at, code_of, make_voucher, snapshot

from mallcore.errors import InvalidInput, InvalidTransition, MallcoreError
from mallcore.vouchers import (
    MistypedCode,
    NotEnoughUses,
    NotRefundable,
    VerificationMethod,
    Voucher,
    VoucherAlreadyRefunded,
    VoucherExpired,
    VoucherIssued,
    VoucherRefunded,
    VoucherRestored,
    VoucherStatus,
    VoucherTransferred,
    VoucherUsedUp,
    VoucherValidityChanged,
    VoucherVoid,
    VoucherVoided,
)

SCAN = VerificationMethod.SCAN


def refused(v: Voucher, error: type[MallcoreError], call: str, *args: object,
            **kw: object) -> MallcoreError:
    before = snapshot(v)
    with pytest.raises(MallcoreError) as err:
        getattr(v, call)(*args, **kw)
    assert type(err.value) is error, err.value
    assert err.value.rule is not None
    assert snapshot(v) == before
    return err.value


def transfer(v: Voucher, uses: int, when: datetime | None = None, to: str = "C2",
             new_id: str = "V2", value: int = 99) -> Voucher:
    return v.transfer(uses, to, new_id, code_of(value), when or at(hours=1), "staff-any")


# ---------------------------------------------------------------- VCH-4
# RULES: VCH-4
def test_transfer_moves_n_uses_to_a_new_voucher_of_the_member() -> None:
    v = make_voucher(5, stores=["S1", "S2"], valid_until=at(days=10))
    v.verify(ANY_STORE, EAST, 1, at(hours=1), SCAN)
    child = v.transfer(2, "C2", "V2", code_of(99), at(hours=2), "staff-any")
    assert (v.used, v.remaining, v.transferred_out, v.status) == (
        1, 2, 2, VoucherStatus.AWAITING)
    assert (child.customer_id, child.total_uses, child.remaining) == ("C2", 2, 2)
    assert (child.order_number, child.line_id, child.type_id) == ("O1", "L1", "ticket")
    assert (child.valid_from, child.valid_until, child.store_ids) == (
        v.valid_from, v.valid_until, v.store_ids)
    assert child.code == code_of(99) and child.transferred_from == "V1"
    assert child.issued_at == at(hours=2)
    assert v.events[-1] == VoucherTransferred("V1", at(hours=2), "staff-any", 2, "V2", "C2")
    assert child.events == [VoucherIssued("V2", at(hours=2), "O1", "L1", "C2", 2, v.valid_from,
                                          v.valid_until, "V1")]
    child.verify(ANY_STORE, WEST, 2, at(hours=3), SCAN)  # the member uses them
    assert child.status is VoucherStatus.VERIFIED
    assert v.remaining == 2  # the source is unaffected


# RULES: VCH-4
def test_transfer_is_refused_on_void_expired_or_too_many() -> None:
    v = make_voucher(3, valid_until=at(days=2))
    err = refused(v, NotEnoughUses, "transfer", 4, "C2", "V2", code_of(99), at(hours=1), "s")
    assert (err.rule, err.reason) == ("VCH-4", "4 uses asked, 3 remain")
    err = refused(v, VoucherExpired, "transfer", 1, "C2", "V2", code_of(99), at(days=2), "s")
    assert (err.rule, err.reason) == ("VCH-4", "expired since 2024-10-27T09:00:00+08:00")
    v.void(at(hours=1), "manager", "fraud check")
    refused(v, VoucherVoid, "transfer", 1, "C2", "V2", code_of(99), at(hours=2), "s")


# RULES: VCH-4
@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((0, "C2", "V2", code_of(99)), InvalidInput),
        ((1, "C1", "V2", code_of(99)), InvalidInput),  # to its own holder
        ((1, "C2", "V1", code_of(99)), InvalidInput),  # the same id
        ((1, "C2", "V2", code_of(1)), InvalidInput),  # the same code
        ((1, "C2", "V2", code_of(99)[:-1] + "x"), MistypedCode),
        ((1, "", "V2", code_of(99)), InvalidInput),
    ],
)
def test_transfer_arguments_are_checked(args: tuple[object, ...],
                                        error: type[MallcoreError]) -> None:
    refused(make_voucher(3), error, "transfer", *args, at(hours=1), "staff-any")


# RULES: VCH-4, VCH-2
def test_transferring_every_remaining_use_leaves_the_source_used_up() -> None:
    v = make_voucher(3)
    v.verify(ANY_STORE, EAST, 1, at(hours=1), SCAN)
    transfer(v, 2)
    assert (v.status, v.remaining) == (VoucherStatus.VERIFIED, 0)
    err = refused(v, VoucherUsedUp, "verify", ANY_STORE, EAST, 1, at(hours=2), SCAN)
    assert err.reason == "already used: none of its 3 uses remain (1 verified, 2 transferred out)"


# RULES: VCH-4
def test_a_voucher_not_yet_valid_may_be_given_away() -> None:
    v = make_voucher(2, valid_from=at(days=10))
    child = transfer(v, 1, at(days=1))
    assert child.valid_from == at(days=10)


# ---------------------------------------------------------------- VCH-5
# RULES: VCH-5
def test_void_then_restore() -> None:
    v = make_voucher(2)
    v.void(at(hours=1), "manager", "duplicate order")
    assert (v.status, v.voided_at, v.void_reason) == (
        VoucherStatus.VOID, at(hours=1), "duplicate order")
    assert v.events[-1] == VoucherVoided("V1", at(hours=1), "manager", "duplicate order")
    refused(v, VoucherVoid, "verify", ANY_STORE, EAST, 1, at(hours=2), SCAN)
    refused(v, VoucherVoid, "void", at(hours=2), "manager", "again")
    v.restore(at(hours=3), "manager")
    assert (v.status, v.voided_at) == (VoucherStatus.AWAITING, None)
    assert v.events[-1:] == [VoucherRestored("V1", at(hours=3), "manager")]
    v.verify(ANY_STORE, EAST, 2, at(hours=4), SCAN)
    assert v.status is VoucherStatus.VERIFIED


# RULES: VCH-5
def test_only_a_void_voucher_can_be_restored() -> None:
    v = make_voucher(1)
    err = refused(v, InvalidTransition, "restore", at(hours=1), "manager")
    assert err.reason == "not allowed while awaiting_verification"
    v.verify(ANY_STORE, EAST, 1, at(hours=1), SCAN)
    refused(v, InvalidTransition, "restore", at(hours=2), "manager")
    refused(v, VoucherUsedUp, "void", at(hours=2), "manager", "late")


# RULES: VCH-5
def test_voiding_needs_a_reason() -> None:
    refused(make_voucher(), InvalidInput, "void", at(hours=1), "manager", "  ")


# ---------------------------------------------------------------- VCH-6
# RULES: VCH-6
def test_changing_the_end_makes_an_expired_voucher_usable_again() -> None:
    v = make_voucher(2, valid_until=at(days=3))
    refused(v, VoucherExpired, "verify", ANY_STORE, EAST, 1, at(days=5), SCAN)
    v.change_validity(at(days=7), at(days=5), "manager")
    assert not v.is_expired(at(days=5))
    assert v.events[-1] == VoucherValidityChanged("V1", at(days=5), "manager", at(days=3),
                                                  at(days=7))
    v.verify(ANY_STORE, EAST, 1, at(days=5), SCAN)
    assert v.used == 1


# RULES: VCH-6
def test_the_new_end_must_be_after_the_start() -> None:
    v = make_voucher(valid_from=at(days=1))
    err = refused(v, InvalidInput, "change_validity", at(days=1), at(hours=1), "manager")
    assert err.rule == "VCH-6"
    refused(v, InvalidInput, "change_validity", at(days=2).replace(tzinfo=None), T0, "manager")
    v.change_validity(at(days=1, hours=1), at(hours=1), "manager")  # shortening is allowed


# RULES: VCH-6
def test_validity_of_a_void_voucher_may_be_fixed_but_not_of_a_finished_one() -> None:
    v = make_voucher(1, valid_until=at(days=1))
    v.void(at(days=2), "manager", "expired, to check")
    v.change_validity(at(days=9), at(days=2), "manager")
    v.restore(at(days=2), "manager")
    v.verify(ANY_STORE, NORTH, 1, at(days=3), SCAN)
    refused(v, VoucherUsedUp, "change_validity", at(days=20), at(days=3), "manager")
    r = make_voucher(1)
    r.refund_unused(at(hours=1), "manager")
    refused(r, VoucherAlreadyRefunded, "change_validity", at(days=20), at(hours=2), "manager")


# ---------------------------------------------------------------- VCH-7
# RULES: VCH-7
def test_staff_refund_a_non_refundable_voucher_the_unused_uses_die() -> None:
    v = make_voucher(3, refundable=False)
    v.verify(ANY_STORE, EAST, 1, at(hours=1), SCAN)
    err = refused(v, NotRefundable, "refund_unused", at(hours=2), "C1", self_service=True)
    assert err.reason == "it was sold non-refundable (禁止退款); only staff may refund it"
    assert v.refund_unused(at(hours=2), "manager") == 2
    assert (v.status, v.used, v.remaining, v.refunded_uses) == (
        VoucherStatus.REFUNDED, 1, 0, 2)
    assert v.events[-1] == VoucherRefunded("V1", at(hours=2), "manager", 2, False)
    assert v.refund_fen(1000) == 666  # ⌊1000 × 2 ÷ 3⌋, rounded down
    err = refused(v, VoucherAlreadyRefunded, "verify", ANY_STORE, EAST, 1, at(hours=3), SCAN)
    assert err.reason == "refunded at 2024-10-25T11:00:00+08:00: its 2 unused uses died"
    refused(v, VoucherAlreadyRefunded, "refund_unused", at(hours=3), "manager")
    refused(v, VoucherAlreadyRefunded, "transfer", 1, "C2", "V2", code_of(9), at(hours=3), "m")
    refused(v, VoucherAlreadyRefunded, "void", at(hours=3), "manager", "x")


# RULES: VCH-7
def test_the_holder_self_refunds_a_refundable_voucher_only() -> None:
    v = make_voucher(2, refundable=True)
    err = refused(v, NotRefundable, "refund_unused", at(hours=1), "C9", self_service=True)
    assert "only its holder C1" in err.reason
    v.void(at(hours=1), "manager", "check")
    refused(v, VoucherVoid, "refund_unused", at(hours=2), "C1", self_service=True)
    v.restore(at(hours=2), "manager")
    assert v.refund_unused(at(hours=3), "C1", self_service=True) == 2
    assert v.refund_fen(999) == 999  # nothing used: everything back


# RULES: VCH-7
def test_staff_may_refund_void_and_expired_vouchers() -> None:
    void = make_voucher(2)
    void.void(at(hours=1), "manager", "lost")
    assert void.refund_unused(at(hours=2), "manager") == 2
    assert (void.status, void.voided_at) == (VoucherStatus.REFUNDED, None)
    expired = make_voucher(2, valid_until=at(days=1))
    assert expired.refund_unused(at(days=3), "manager") == 2


# RULES: VCH-7
def test_a_used_up_voucher_has_nothing_to_refund() -> None:
    v = make_voucher(1)
    v.verify(ANY_STORE, EAST, 1, at(hours=1), SCAN)
    refused(v, VoucherUsedUp, "refund_unused", at(hours=2), "manager")
    assert v.refund_fen(500) == 0


# RULES: VCH-7
def test_a_transferred_voucher_cannot_be_self_refunded_by_its_new_holder() -> None:
    child = transfer(make_voucher(3), 1)
    err = refused(child, NotRefundable, "refund_unused", at(hours=2), "C2", self_service=True)
    assert "did not pay" in err.reason
    assert child.refund_unused(at(hours=2), "manager") == 1


# RULES: VCH-7
@pytest.mark.parametrize("total", range(1, 8))
def test_refund_is_pro_rata_rounded_down_and_never_exceeds_paid(total: int) -> None:
    for paid in [0, 1, 2, 99, 100, 1001, 9_999_999]:
        for used in range(total):
            v = make_voucher(total)
            if used:
                v.verify(ANY_STORE, EAST, used, at(hours=1), SCAN)
            unused = v.refund_unused(at(hours=2), "manager")
            assert unused == total - used
            assert v.refund_fen(paid) == paid * unused // total <= paid


# RULES: VCH-7
def test_refunds_of_a_voucher_and_its_transfers_sum_to_at_most_paid() -> None:
    """Per-voucher flooring would give 66 + 33 = 99 of 100 for nothing used; the last
    uses carry the remainder, so the buyer gets all 100 back."""
    v = make_voucher(3)
    child = transfer(v, 1)
    assert v.refund_unused(at(hours=2), "manager") == 2
    assert child.refund_unused(at(hours=2), "manager") == 1
    assert (v.refund_fen(100), child.refund_fen(100)) == (66, 34)
    assert v.refund_fen(100) + child.refund_fen(100) == 100


# RULES: VCH-7
def test_refund_money_with_uses_spent_here_and_there() -> None:
    v = make_voucher(7)
    v.verify(ANY_STORE, EAST, 1, at(hours=1), SCAN)
    child = transfer(v, 3)
    grandchild = child.transfer(1, "C3", "V3", code_of(98), at(hours=2), "staff-any")
    child.verify(ANY_STORE, EAST, 1, at(hours=3), SCAN)
    refunds = [x.refund_unused(at(hours=4), "manager") for x in (v, child, grandchild)]
    assert refunds == [3, 1, 1]
    paid = 1000
    money = [x.refund_fen(paid) for x in (v, child, grandchild)]
    assert sum(money) <= paid - 2 * (paid // 7)  # the 2 used uses keep at least their floor
    assert money[0] == paid * 3 // 7


# RULES: VCH-7
def test_refund_fen_needs_a_whole_amount() -> None:
    with pytest.raises(InvalidInput):
        make_voucher().refund_fen(-1)
    with pytest.raises(InvalidInput):
        make_voucher().refund_fen(10.0)  # type: ignore[arg-type]


# RULES: VCH-1
def test_voucher_repr_does_not_show_the_code() -> None:
    v = make_voucher(2)
    assert v.code not in repr(v)
    assert repr(v) == "Voucher(V1, order O1, 2/2 remaining, awaiting_verification)"

