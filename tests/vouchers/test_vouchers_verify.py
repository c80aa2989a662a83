"""Verifying at the counter: states (VCH-2) and every refusal of VCH-3, typed and explained."""

from __future__ import annotations

import attrs
import pytest
from vouchers_helpers import (
    ANY_STORE,
    AT_EAST,
    AT_NORTH,
    EAST,
    NORTH,
    T0,
    WEST,
    at,
    make_voucher,
    snapshot,
)

from mallcore.errors import InvalidInput, LimitReached, MallcoreError, NotAllowed
from mallcore.vouchers import (
    NotEnoughUses,
    NotValidAtStore,
    VerificationMethod,
    VerificationRecord,
    VerifierNotAllowed,
    Voucher,
    VoucherExpired,
    VoucherNotYetValid,
    VoucherStatus,
    VoucherUsedUp,
    VoucherVerified,
    VoucherVoid,
)

SCAN = VerificationMethod.SCAN


def refused(v: Voucher, error: type[MallcoreError], *args: object) -> MallcoreError:
    """``v.verify(*args)`` raises exactly ``error`` and changes nothing."""
    before = snapshot(v)
    with pytest.raises(MallcoreError) as err:
        v.verify(*args)  # type: ignore[arg-type]
    assert type(err.value) is error, err.value
    assert snapshot(v) == before
    return err.value


# RULES: VCH-2, VCH-3
def test_partial_use_then_verified_when_no_use_remains() -> None:
    v = make_voucher(3)
    first = v.verify(ANY_STORE, EAST, 2, at(hours=1), SCAN)
    assert (v.status, v.used, v.remaining) == (VoucherStatus.AWAITING, 2, 1)
    assert first == VerificationRecord("V1", v.code, "O1", ANY_STORE, EAST, at(hours=1), SCAN, 2)
    second = v.verify(AT_EAST, EAST, 1, at(days=2), VerificationMethod.TYPED)
    assert (v.status, v.used, v.remaining) == (VoucherStatus.VERIFIED, 3, 0)
    assert v.verifications == (first, second)
    assert [e for e in v.events if isinstance(e, VoucherVerified)] == [
        VoucherVerified("V1", at(hours=1), "staff-any", "S1", "scan", 2, 1),
        VoucherVerified("V1", at(days=2), "staff-east", "S1", "typed", 1, 0),
    ]
    err = refused(v, VoucherUsedUp, ANY_STORE, EAST, 1, at(days=3), SCAN)
    assert isinstance(err, NotAllowed)
    assert err.rule == "VCH-2"
    assert err.reason == "already used: none of its 3 uses remain (3 verified)"
    assert "voucher V1" in str(err)


# RULES: VCH-3
@pytest.mark.parametrize("how", [*VerificationMethod, "scan", "typed", "web"])
def test_each_way_of_presenting_the_code_is_recorded(how: object) -> None:
    v = make_voucher(1)
    record = v.verify(ANY_STORE, WEST, 1, at(hours=1), how)  # type: ignore[arg-type]
    assert record.how is VerificationMethod(str(how))


# RULES: VCH-3
def test_verifications_can_never_be_undone() -> None:
    v = make_voucher(3)
    record = v.verify(ANY_STORE, EAST, 1, at(hours=1), SCAN)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.uses = 0  # type: ignore[misc]
    assert isinstance(v.verifications, tuple)
    v.void(at(hours=2), "manager", "customer complaint")
    v.restore(at(hours=3), "manager")
    v.refund_unused(at(hours=4), "manager")
    assert v.verifications == (record,)
    assert (v.used, v.refunded_uses) == (1, 2)  # the verified use is not refunded


# RULES: VCH-3, VCH-5
def test_a_void_voucher_is_refused() -> None:
    v = make_voucher()
    v.void(at(hours=1), "manager", "reported lost")
    err = refused(v, VoucherVoid, ANY_STORE, EAST, 1, at(hours=2), SCAN)
    assert err.rule == "VCH-5"
    assert err.reason == f"void since {at(hours=1).isoformat()}: reported lost"


# RULES: VCH-3
def test_outside_the_validity_window_is_refused_and_says_since_when() -> None:
    v = make_voucher(valid_from=at(days=1), valid_until=at(days=5))
    early = refused(v, VoucherNotYetValid, ANY_STORE, EAST, 1, at(days=1, hours=-1), SCAN)
    assert early.reason == "not valid before 2024-10-26T09:00:00+08:00"
    late = refused(v, VoucherExpired, ANY_STORE, EAST, 1, at(days=5), SCAN)  # [start, end)
    assert late.reason == "expired since 2024-10-30T09:00:00+08:00"
    assert late.rule == "VCH-3"
    assert v.is_expired(at(days=5)) and not v.is_expired(at(days=5, hours=-1))
    assert v.status is VoucherStatus.AWAITING  # expired is derived, not a status (VCH-2)
    v.verify(ANY_STORE, EAST, 1, at(days=1), SCAN)  # the first instant is inside
    v.verify(ANY_STORE, EAST, 1, at(days=5, hours=-0.001), SCAN)
    assert v.used == 2


# RULES: VCH-3
def test_a_store_the_voucher_is_not_valid_at_is_refused() -> None:
    v = make_voucher(stores=["S1", "S2"])
    err = refused(v, NotValidAtStore, ANY_STORE, NORTH, 1, at(hours=1), SCAN)
    assert err.reason == "valid only at stores S1, S2, not at S3 (北门店)"
    v.verify(ANY_STORE, WEST, 1, at(hours=1), SCAN)
    everywhere = make_voucher(stores=[])
    everywhere.verify(ANY_STORE, NORTH, 1, at(hours=1), SCAN)


# RULES: VCH-3
def test_a_verifier_bound_to_another_store_is_refused() -> None:
    v = make_voucher()  # valid at every store
    err = refused(v, VerifierNotAllowed, AT_EAST, WEST, 1, at(hours=1), SCAN)
    assert err.reason == "verifier staff-east (李雷) is bound to store S1, not S2"
    assert err.rule == "VCH-3"
    v.verify(AT_EAST, EAST, 1, at(hours=1), SCAN)  # at its own store
    v.verify(ANY_STORE, WEST, 1, at(hours=1), SCAN)  # bound to none: every store


# RULES: VCH-3
def test_a_verifier_bound_to_a_store_the_voucher_is_not_valid_at() -> None:
    v = make_voucher(stores=["S1"])
    refused(v, NotValidAtStore, AT_NORTH, NORTH, 1, at(hours=1), SCAN)


# RULES: VCH-3
def test_more_uses_than_remain_are_refused() -> None:
    v = make_voucher(3)
    v.verify(ANY_STORE, EAST, 2, at(hours=1), SCAN)
    err = refused(v, NotEnoughUses, ANY_STORE, EAST, 2, at(hours=2), SCAN)
    assert isinstance(err, LimitReached)
    assert err.reason == "2 uses asked, 1 remain"


# RULES: VCH-3
@pytest.mark.parametrize(
    "args",
    [
        (ANY_STORE, EAST, 0, T0, SCAN),
        (ANY_STORE, EAST, True, T0, SCAN),
        (ANY_STORE, EAST, 1.0, T0, SCAN),
        (ANY_STORE, EAST, 1, T0.replace(tzinfo=None), SCAN),
        (ANY_STORE, EAST, 1, T0, "photo"),
        ("staff-any", EAST, 1, T0, SCAN),
        (ANY_STORE, "S1", 1, T0, SCAN),
    ],
)
def test_bad_arguments_are_invalid_input(args: tuple[object, ...]) -> None:
    err = refused(make_voucher(), InvalidInput, *args)
    assert err.rule == "VCH-3"


# RULES: VCH-3
def test_refusals_are_checked_in_the_documented_order() -> None:
    """Status, then window, then store, then verifier, then uses."""
    v = make_voucher(1, stores=["S1"], valid_from=at(days=1))
    refused(v, VoucherNotYetValid, AT_NORTH, NORTH, 5, T0, SCAN)
    refused(v, NotValidAtStore, AT_NORTH, NORTH, 5, at(days=1), SCAN)
    refused(v, VerifierNotAllowed, AT_NORTH, EAST, 5, at(days=1), SCAN)
    refused(v, NotEnoughUses, AT_EAST, EAST, 5, at(days=1), SCAN)
    v.void(at(days=40), "manager", "lost")
    refused(v, VoucherVoid, AT_NORTH, NORTH, 5, at(days=40), SCAN)
