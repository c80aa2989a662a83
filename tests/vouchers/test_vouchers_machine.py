"""Random staff and counter actions on one voucher against a model (VCH-2..7).

The model predicts every call's outcome (the exact refusal, or the new
counts) from its own bookkeeping, in the documented order of checks.  After
every step: used + remaining + refunded + transferred == issued uses, no count
negative, the status agrees with what remains, the refunds of the voucher and
of every voucher transferred from it never exceed what was paid, and a void
voucher never verified.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from vouchers_helpers import ANY_STORE, AT_EAST, AT_NORTH, EAST, NORTH, T0, WEST, code_of, snapshot

from mallcore.errors import InvalidInput, InvalidTransition, MallcoreError
from mallcore.vouchers import (
    NotEnoughUses,
    NotRefundable,
    NotValidAtStore,
    Store,
    VerificationMethod,
    Verifier,
    VerifierNotAllowed,
    Voucher,
    VoucherAlreadyRefunded,
    VoucherExpired,
    VoucherNotYetValid,
    VoucherStatus,
    VoucherUsedUp,
    VoucherVerified,
    VoucherVoid,
)

A, V, D, R = (VoucherStatus.AWAITING, VoucherStatus.VERIFIED, VoucherStatus.VOID,
              VoucherStatus.REFUNDED)
START = T0
END = T0 + timedelta(days=10)
# mostly inside the window [0 h, 240 h), sometimes before or after it
hours = st.one_of(st.integers(0, 239), st.integers(-48, 24 * 14))
# a refund ends the voucher: decided on only one time in four, so that runs go on
rarely = st.sampled_from([True, False, False, False])
uses_asked = st.integers(0, 5)


@attrs.define
class Model:
    total: int
    status: VoucherStatus = A
    used: int = 0
    transferred: int = 0
    refunded: int = 0
    until: datetime = END

    @property
    def remaining(self) -> int:
        return self.total - self.used - self.transferred - self.refunded

    def status_refusal(self, *, void_ok: bool = False) -> type[MallcoreError] | None:
        if self.status is D and not void_ok:
            return VoucherVoid
        return {V: VoucherUsedUp, R: VoucherAlreadyRefunded}.get(self.status)

    def take(self, n: int) -> None:
        if self.remaining == n:
            self.status = V


class VoucherMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.children: list[tuple[Voucher, Model]] = []
        self.verified_while_void = 0

    @initialize(
        uses=st.integers(1, 8), paid=st.integers(0, 100_000),
        stores=st.sampled_from([frozenset(), frozenset({"S1", "S2"})]),
        refundable=st.booleans(),
    )
    def issue(self, uses: int, paid: int, stores: frozenset[str], refundable: bool) -> None:
        self.voucher = Voucher("V0", code_of(0), order_number="O1", line_id="L1",
                               customer_id="C1", uses=uses, valid_from=START, valid_until=END,
                               issued_at=START - timedelta(hours=1), store_ids=stores,
                               buyer_refundable=refundable)
        self.model = Model(uses)
        self.paid = paid
        self.stores = stores
        self.refundable = refundable

    # ------------------------------------------------------------------ helpers
    def call(self, v: Voucher, expected: type[MallcoreError] | None, method: str,
             *args: object, **kw: object) -> object:
        """Run the call; a refusal must be exactly ``expected`` and change nothing."""
        before = snapshot(v)
        if expected is None:
            version = v.version
            out = getattr(v, method)(*args, **kw)
            assert v.version == version + 1
            return out
        with pytest.raises(MallcoreError) as err:
            getattr(v, method)(*args, **kw)
        assert type(err.value) is expected, err.value
        assert err.value.rule is not None
        assert snapshot(v) == before
        return None

    def time_refusal(self, now: datetime) -> type[MallcoreError] | None:
        if now < START:
            return VoucherNotYetValid
        return VoucherExpired if now >= self.model.until else None

    # ------------------------------------------------------------------ rules
    @rule(verifier=st.sampled_from([ANY_STORE, AT_EAST, AT_NORTH]),
          store=st.sampled_from([EAST, WEST, NORTH]), uses=uses_asked, hour=hours,
          how=st.sampled_from(list(VerificationMethod)))
    def verify(self, verifier: Verifier, store: Store, uses: int, hour: int,
               how: VerificationMethod) -> None:
        m, now = self.model, T0 + timedelta(hours=hour)
        was_void = m.status is D
        expected = (
            InvalidInput if uses < 1
            else m.status_refusal() or self.time_refusal(now)
            or (NotValidAtStore if self.stores and store.id not in self.stores else None)
            or (VerifierNotAllowed if verifier.store_id not in (None, store.id) else None)
            or (NotEnoughUses if uses > m.remaining else None)
        )
        record = self.call(self.voucher, expected, "verify", verifier, store, uses, now, how)
        if was_void:  # a void voucher never verifies
            assert record is None and expected in (InvalidInput, VoucherVoid)
        if record is not None:
            self.verified_while_void += was_void
            assert self.voucher.verifications[-1] is record
            m.take(uses)
            m.used += uses

    @rule(uses=uses_asked, hour=hours)
    def transfer(self, uses: int, hour: int) -> None:
        m, now = self.model, T0 + timedelta(hours=hour)
        n = len(self.children) + 1
        expected = (
            InvalidInput if uses < 1
            else m.status_refusal()
            or (VoucherExpired if now >= m.until else None)
            or (NotEnoughUses if uses > m.remaining else None)
        )
        child = self.call(self.voucher, expected, "transfer", uses, f"M{n}", f"V{n}",
                          code_of(n), now, "staff")
        if isinstance(child, Voucher):
            m.take(uses)
            m.transferred += uses
            assert (child.total_uses, child.valid_until) == (uses, m.until)
            self.children.append((child, Model(uses, until=m.until)))

    @rule(hour=hours)
    def void(self, hour: int) -> None:
        expected = self.model.status_refusal()
        self.call(self.voucher, expected, "void", T0 + timedelta(hours=hour), "staff", "check")
        if expected is None:
            self.model.status = D

    @rule(hour=hours)
    def restore(self, hour: int) -> None:
        expected = None if self.model.status is D else InvalidTransition
        self.call(self.voucher, expected, "restore", T0 + timedelta(hours=hour), "staff")
        if expected is None:
            self.model.status = A

    @rule(end_hour=st.integers(-24, 24 * 20), hour=hours)
    def change_validity(self, end_hour: int, hour: int) -> None:
        new_end = T0 + timedelta(hours=end_hour)
        expected = (InvalidInput if new_end <= START
                    else self.model.status_refusal(void_ok=True))
        self.call(self.voucher, expected, "change_validity", new_end,
                  T0 + timedelta(hours=hour), "staff")
        if expected is None:
            self.model.until = new_end

    @rule(hour=hours, self_service=st.booleans(), by_holder=st.booleans(), decided=rarely)
    def refund(self, hour: int, self_service: bool, by_holder: bool, decided: bool) -> None:
        if not decided:
            return
        m = self.model
        by = "C1" if by_holder else "staff"
        expected = m.status_refusal(void_ok=not self_service) or (
            NotRefundable if self_service and not (by_holder and self.refundable) else None)
        out = self.call(self.voucher, expected, "refund_unused", T0 + timedelta(hours=hour), by,
                        self_service=self_service)
        if expected is None:
            assert out == m.remaining
            m.refunded += m.remaining
            m.status = R

    @precondition(lambda self: self.children)
    @rule(pick=st.integers(0, 100), uses=uses_asked)
    def verify_child(self, pick: int, uses: int) -> None:
        child, m = self.children[pick % len(self.children)]
        expected = (InvalidInput if uses < 1 else m.status_refusal()
                    or (NotEnoughUses if uses > m.remaining else None))
        store = EAST if self.stores else NORTH  # a store the child is valid at
        if self.call(child, expected, "verify", ANY_STORE, store, uses, START,
                     VerificationMethod.SCAN) is not None:
            m.take(uses)
            m.used += uses

    @precondition(lambda self: self.children)
    @rule(pick=st.integers(0, 100), hour=hours)
    def refund_child(self, pick: int, hour: int) -> None:
        child, m = self.children[pick % len(self.children)]
        expected = m.status_refusal()
        out = self.call(child, expected, "refund_unused", T0 + timedelta(hours=hour), "staff")
        if expected is None:
            assert out == m.remaining
            m.refunded += m.remaining
            m.status = R

    # ------------------------------------------------------------------ invariants
    @invariant()
    def counts_add_up_and_match_the_model(self) -> None:
        for v, m in [(self.voucher, self.model), *self.children]:
            assert v.used + v.remaining + v.refunded_uses + v.transferred_out == v.total_uses
            assert min(v.used, v.remaining, v.refunded_uses, v.transferred_out) >= 0
            assert (v.status, v.used, v.transferred_out, v.refunded_uses, v.remaining,
                    v.valid_until) == (m.status, m.used, m.transferred, m.refunded,
                                       m.remaining, m.until)
            assert (v.remaining == 0) == (v.status in (V, R))
            assert sum(r.uses for r in v.verifications) == v.used
            assert len(v.verifications) == sum(isinstance(e, VoucherVerified) for e in v.events)

    @invariant()
    def refunds_never_exceed_paid(self) -> None:
        family = [self.voucher, *(c for c, _ in self.children)]
        refunds = [v.refund_fen(self.paid) for v in family]
        assert sum(refunds) <= self.paid
        for v, fen in zip(family, refunds, strict=True):
            # at least the rounded-down pro rata share, never a fen below
            assert fen >= self.paid * v.refunded_uses // v.origin.uses
        if all(v.used == 0 and v.remaining == 0 for v in family):
            assert sum(refunds) == self.paid  # nothing used, everything back

    @invariant()
    def a_void_voucher_never_verified(self) -> None:
        assert self.verified_while_void == 0


VoucherMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40,
                                            deadline=None)
# RULES: VCH-2, VCH-3, VCH-4, VCH-5, VCH-6, VCH-7
TestVoucherMachine = VoucherMachine.TestCase
