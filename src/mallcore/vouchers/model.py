"""The Voucher aggregate: verify, transfer, void / restore, change validity, refund (VCH-2..7).

Counting.  Each of a voucher's ``total_uses`` is in exactly one place:
``used`` (verified), ``remaining``, ``refunded_uses`` (died in a refund) or
``transferred_out`` (moved to another member's voucher).  Methods only move
uses between these places, so ``used + remaining + refunded_uses +
transferred_out == total_uses`` holds by construction and no count goes
negative.

Status (VCH-2).  Awaiting verification while uses remain; verified once none
remain (the last verified, or transferred away: nothing is left to verify);
void (VCH-5) and refunded (VCH-7) as staff set them.  "Expired" is not a
status: it depends on the time of checking (``is_expired(now)``), and changing
the validity (VCH-6) undoes it.

Money (VCH-7).  The uses of one purchase are numbered 0..T-1 and priced by
cumulative floor: uses [a, b) are worth ⌊paid·b/T⌋ − ⌊paid·a/T⌋.  Every use is
worth ⌊paid/T⌋ or one fen more; rounding is down at every boundary and the
last use carries the remainder.  A voucher's remaining uses are always one
block [lo, hi) of its purchase: verification takes uses off the back, a
transfer carves its uses off the back into the new voucher, a refund returns
the whole remaining block.  So an issued voucher's refund is exactly
⌊paid × unused ÷ total⌋, and the blocks refunded by a voucher and by every
voucher transferred from it never overlap: the sum of all refunds of one
purchase never exceeds what was paid (and equals it when nothing was used).

Every refusal happens before any change, checked in this order: arguments,
status, validity window, store, verifier, uses left.  Verifications are
records that no method removes (VCH-3: "一旦核销不可撤销").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from mallcore.errors import InvalidInput, InvalidTransition
from mallcore.guards import aware, identifier, text, whole
from mallcore.vouchers import events as ev
from mallcore.vouchers.codes import check
from mallcore.vouchers.errors import (
    NotEnoughUses,
    NotRefundable,
    NotValidAtStore,
    VerifierNotAllowed,
    VoucherAlreadyRefunded,
    VoucherExpired,
    VoucherNotYetValid,
    VoucherRefused,
    VoucherUsedUp,
    VoucherVoid,
)
from mallcore.vouchers.terms import (
    DaysFromIssue,
    FixedWindow,
    IssueMode,
    Store,
    Validity,
    Verifier,
    VoucherTerms,
    _store_ids,
)

__all__ = [  # the configuration lives in ``terms``; re-exported as part of the model
    "DaysFromIssue",
    "FixedWindow",
    "IssueMode",
    "Origin",
    "Store",
    "Validity",
    "VerificationMethod",
    "VerificationRecord",
    "Verifier",
    "Voucher",
    "VoucherStatus",
    "VoucherTerms",
]


class VoucherStatus(enum.StrEnum):
    AWAITING = "awaiting_verification"  # 待核销
    VERIFIED = "verified"  # 已核销: no uses remain
    VOID = "void"  # 已作废
    REFUNDED = "refunded"  # 已退款: the unused uses died


class VerificationMethod(enum.StrEnum):
    """How the code reached the counter (003: 扫一扫核销, 卡券号核销, 网页核销)."""

    SCAN = "scan"
    TYPED = "typed"
    WEB = "web"


@attrs.frozen
class VerificationRecord:
    """One verification, for reconciliation (VCH-3): who, where, when, how, how many.

    The verifier and store are kept whole, as they were at the time: names
    change, records must not.
    """

    voucher_id: str
    code: str
    order_number: str
    verifier: Verifier
    store: Store
    at: datetime
    how: VerificationMethod
    uses: int


@attrs.frozen
class Origin:
    """The purchase a voucher's uses come from: its first voucher, its T uses, and
    the position of this voucher's first use among them (see "Money" above)."""

    voucher_id: str
    uses: int
    first: int = 0

    def __attrs_post_init__(self) -> None:
        identifier(self.voucher_id, "origin voucher id", "VCH-7")
        whole(self.uses, "uses of the origin purchase", "VCH-7", minimum=1)
        whole(self.first, "first use position", "VCH-7")


def _when(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _method(how: object) -> VerificationMethod:
    try:
        return VerificationMethod(how)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        choices = ", ".join(m.value for m in VerificationMethod)
        raise InvalidInput("verification method", f"{how!r} is not one of {choices}",
                           rule="VCH-3") from None


class Voucher:
    """One voucher; see the module docstring for what it guards."""

    def __init__(
        self,
        voucher_id: str,
        code: str,
        *,
        order_number: str,
        line_id: str,
        customer_id: str,
        uses: int,
        valid_from: datetime,
        valid_until: datetime,
        issued_at: datetime,
        store_ids: Iterable[str] = frozenset(),
        type_id: str | None = None,
        buyer_refundable: bool = True,
        transferred_from: str | None = None,
        origin: Origin | None = None,
    ) -> None:
        self.id = identifier(voucher_id, "voucher id", "VCH-1")
        self.code = check(code)
        self.order_number = identifier(order_number, "order number", "VCH-1")
        self.line_id = identifier(line_id, "order line id", "VCH-1")
        self.customer_id = identifier(customer_id, "customer id", "VCH-1")
        self.total_uses = whole(uses, f"uses of voucher {voucher_id}", "VCH-1", minimum=1)
        self.valid_from = aware(valid_from, "valid from", "VCH-1")
        self.valid_until = aware(valid_until, "valid until", "VCH-1")
        if valid_until <= valid_from:
            raise InvalidInput(f"validity of voucher {voucher_id}",
                               f"ends {_when(valid_until)}, not after its start "
                               f"{_when(valid_from)}", rule="VCH-1")
        self.issued_at = aware(issued_at, "issued at", "VCH-1")
        self.store_ids = _store_ids(store_ids)
        self.type_id = None if type_id is None else identifier(type_id, "voucher type", "VCH-9")
        if not isinstance(buyer_refundable, bool):
            raise InvalidInput("buyer_refundable", f"{buyer_refundable!r} is not a bool",
                               rule="VCH-7")
        self.buyer_refundable = buyer_refundable
        self.transferred_from = (None if transferred_from is None
                                 else identifier(transferred_from, "transferred from", "VCH-4"))
        self.origin = Origin(self.id, self.total_uses) if origin is None else origin
        if self.origin.first + self.total_uses > self.origin.uses:
            raise InvalidInput(f"origin of voucher {voucher_id}",
                               f"{uses} uses from position {self.origin.first} pass the "
                               f"{self.origin.uses} uses of the purchase", rule="VCH-7")
        self._lo = self.origin.first  # remaining uses: positions [lo, hi) of the purchase
        self._hi = self.origin.first + self.total_uses
        self._refunded: tuple[int, int] | None = None
        self.used = 0
        self.transferred_out = 0
        self.refunded_uses = 0
        self.status = VoucherStatus.AWAITING
        self.voided_at: datetime | None = None
        self.void_reason: str | None = None
        self.refunded_at: datetime | None = None
        self.version = 0
        self._records: list[VerificationRecord] = []
        self.events: list[ev.VoucherEvent] = [ev.VoucherIssued(
            self.id, issued_at, order_number, line_id, customer_id, uses, valid_from,
            valid_until, self.transferred_from,
        )]

    def __repr__(self) -> str:
        return (f"Voucher({self.id}, order {self.order_number}, "
                f"{self.remaining}/{self.total_uses} remaining, {self.status.value})")

    # ------------------------------------------------------------------ queries
    @property
    def remaining(self) -> int:
        return self._hi - self._lo

    @property
    def verifications(self) -> tuple[VerificationRecord, ...]:
        return tuple(self._records)

    def is_expired(self, now: datetime) -> bool:
        return aware(now, "now", "VCH-2") >= self.valid_until

    def is_not_yet_valid(self, now: datetime) -> bool:
        return aware(now, "now", "VCH-2") < self.valid_from

    def valid_at(self, store_id: str) -> bool:
        return not self.store_ids or store_id in self.store_ids

    def refund_fen(self, paid_fen: int) -> int:
        """The money for the uses refunded, in fen, given what the purchase cost.

        ``paid_fen`` is what the buyer paid for the voucher of ``origin`` (for an
        issued voucher, itself; for a transferred one, the voucher it came from).
        ⌊paid × unused ÷ total⌋ for an issued voucher; 0 before any refund.
        """
        paid = whole(paid_fen, f"paid for voucher {self.origin.voucher_id}", "VCH-7")
        if self._refunded is None:
            return 0
        lo, hi = self._refunded
        n = self.origin.uses
        return paid * hi // n - paid * lo // n

    def pull_events(self) -> list[ev.VoucherEvent]:
        out, self.events = self.events, []
        return out

    # ------------------------------------------------------------------ refusals
    def _refusal(self, action: str) -> VoucherRefused | None:
        if self.status is VoucherStatus.VOID:
            assert self.voided_at is not None
            return VoucherVoid(action, self.id,
                               f"void since {_when(self.voided_at)}: {self.void_reason}")
        if self.status is VoucherStatus.VERIFIED:
            parts = [f"{self.used} verified"]
            if self.transferred_out:
                parts.append(f"{self.transferred_out} transferred out")
            return VoucherUsedUp(action, self.id, f"already used: none of its "
                                 f"{self.total_uses} uses remain ({', '.join(parts)})")
        if self.status is VoucherStatus.REFUNDED:
            assert self.refunded_at is not None
            return VoucherAlreadyRefunded(
                action, self.id,
                f"refunded at {_when(self.refunded_at)}: its {self.refunded_uses} unused uses died",
            )
        return None

    def _require_open(self, action: str, *, void_ok: bool = False) -> None:
        refusal = self._refusal(action)
        if refusal is not None and not (void_ok and self.status is VoucherStatus.VOID):
            raise refusal

    def _require_not_expired(self, action: str, now: datetime, rule: str) -> None:
        if now >= self.valid_until:
            raise VoucherExpired(action, self.id, f"expired since {_when(self.valid_until)}",
                                 rule=rule)

    def _require_uses(self, action: str, uses: int, rule: str) -> None:
        if uses > self.remaining:
            raise NotEnoughUses(action, self.id,
                                f"{uses} uses asked, {self.remaining} remain", rule=rule)

    def _exhaust_if_empty(self) -> None:
        if self.remaining == 0:
            self.status = VoucherStatus.VERIFIED

    # ------------------------------------------------------------------ VCH-3
    def verify(
        self, verifier: Verifier, store: Store, uses: int, now: datetime,
        how: VerificationMethod,
    ) -> VerificationRecord:
        """Write off ``uses`` uses at ``store``; the record returned can never be undone."""
        action = "verify"
        now = aware(now, "now", "VCH-3")
        if not isinstance(verifier, Verifier):
            raise InvalidInput("verifier", f"{verifier!r} is not a Verifier", rule="VCH-3")
        if not isinstance(store, Store):
            raise InvalidInput("store", f"{store!r} is not a Store", rule="VCH-3")
        method = _method(how)
        uses = whole(uses, "uses to verify", "VCH-3", minimum=1)
        self._require_open(action)
        if now < self.valid_from:
            raise VoucherNotYetValid(action, self.id, f"not valid before {_when(self.valid_from)}")
        self._require_not_expired(action, now, "VCH-3")
        if not self.valid_at(store.id):
            raise NotValidAtStore(action, self.id, f"valid only at stores "
                                  f"{', '.join(sorted(self.store_ids))}, not at {store.id} "
                                  f"({store.name})")
        if not verifier.may_verify_at(store.id):
            raise VerifierNotAllowed(action, self.id, f"verifier {verifier.id} ({verifier.name}) "
                                     f"is bound to store {verifier.store_id}, not {store.id}")
        self._require_uses(action, uses, "VCH-3")
        record = VerificationRecord(self.id, self.code, self.order_number, verifier, store, now,
                                    method, uses)
        self._hi -= uses
        self.used += uses
        self._exhaust_if_empty()
        self._records.append(record)
        self.version += 1
        self.events.append(ev.VoucherVerified(self.id, now, verifier.id, store.id, method.value,
                                              uses, self.remaining))
        return record

    # ------------------------------------------------------------------ VCH-4
    def transfer(
        self, uses: int, to_customer_id: str, new_voucher_id: str, new_code: str,
        now: datetime, by: str,
    ) -> Voucher:
        """Move ``uses`` uses to another member: this voucher loses them, a new one has them.

        The new voucher keeps the order, validity and stores; its holder did not
        pay, so it cannot be self-refunded (staff still may, VCH-7).  A voucher
        not yet valid may be transferred (a gift for later); an expired one not.
        """
        action = "transfer"
        now = aware(now, "now", "VCH-4")
        uses = whole(uses, "uses to transfer", "VCH-4", minimum=1)
        to_customer_id = identifier(to_customer_id, "member receiving the uses", "VCH-4")
        new_voucher_id = identifier(new_voucher_id, "id of the new voucher", "VCH-4")
        by = identifier(by, "transferred by", "VCH-4")
        if to_customer_id == self.customer_id:
            raise InvalidInput(f"transfer of voucher {self.id}",
                               f"{to_customer_id} already holds it", rule="VCH-4")
        if new_voucher_id == self.id:
            raise InvalidInput(f"transfer of voucher {self.id}",
                               "the new voucher needs an id of its own", rule="VCH-4")
        if check(new_code) == self.code:
            raise InvalidInput(f"transfer of voucher {self.id}",
                               "the new voucher needs a code of its own", rule="VCH-4")
        self._require_open(action)
        self._require_not_expired(action, now, "VCH-4")
        self._require_uses(action, uses, "VCH-4")
        start = self._hi - uses  # the new voucher takes the back of the remaining block
        child = Voucher(
            new_voucher_id, new_code, order_number=self.order_number, line_id=self.line_id,
            customer_id=to_customer_id, uses=uses, valid_from=self.valid_from,
            valid_until=self.valid_until, issued_at=now, store_ids=self.store_ids,
            type_id=self.type_id, buyer_refundable=False, transferred_from=self.id,
            origin=Origin(self.origin.voucher_id, self.origin.uses, start),
        )
        self._hi = start
        self.transferred_out += uses
        self._exhaust_if_empty()
        self.version += 1
        self.events.append(ev.VoucherTransferred(self.id, now, by, uses, child.id,
                                                 to_customer_id))
        return child

    # ------------------------------------------------------------------ VCH-5
    def void(self, now: datetime, by: str, reason: str) -> None:
        """作废: the voucher cannot be used until restored."""
        now = aware(now, "now", "VCH-5")
        by = identifier(by, "voided by", "VCH-5")
        reason = text(reason, "reason for voiding", "VCH-5")
        self._require_open("void")
        self.status = VoucherStatus.VOID
        self.voided_at, self.void_reason = now, reason
        self.version += 1
        self.events.append(ev.VoucherVoided(self.id, now, by, reason))

    def restore(self, now: datetime, by: str) -> None:
        """待核销: a void voucher goes back to awaiting verification."""
        now = aware(now, "now", "VCH-5")
        by = identifier(by, "restored by", "VCH-5")
        if self.status is not VoucherStatus.VOID:
            raise InvalidTransition(f"restore voucher {self.id}", self.status.value,
                                    rule="VCH-5")
        self.status = VoucherStatus.AWAITING
        self.voided_at = self.void_reason = None
        self.version += 1
        self.events.append(ev.VoucherRestored(self.id, now, by))

    # ------------------------------------------------------------------ VCH-6
    def change_validity(self, new_end: datetime, now: datetime, by: str) -> None:
        """改有效期: a new end, after the start; an expired voucher becomes usable again.

        Allowed while uses remain, void or not (staff may fix the dates before
        restoring); a used-up or refunded voucher has nothing left to use.
        """
        now = aware(now, "now", "VCH-6")
        new_end = aware(new_end, "new end of validity", "VCH-6")
        by = identifier(by, "changed by", "VCH-6")
        if new_end <= self.valid_from:
            raise InvalidInput(f"new end of voucher {self.id}", f"{_when(new_end)} is not after "
                               f"the start {_when(self.valid_from)}", rule="VCH-6")
        self._require_open("change the validity of", void_ok=True)
        old, self.valid_until = self.valid_until, new_end
        self.version += 1
        self.events.append(ev.VoucherValidityChanged(self.id, now, by, old, new_end))

    # ------------------------------------------------------------------ VCH-7
    def refund_unused(self, now: datetime, by: str, *, self_service: bool = False) -> int:
        """退票: the unused uses die; returns how many (their money: ``refund_fen``).

        Staff may refund any voucher with uses left, void or expired too, even
        one sold non-refundable.  The holder refunding by self-service
        (``self_service``, ``by`` the holder) needs a refundable, non-void voucher.
        """
        now = aware(now, "now", "VCH-7")
        by = identifier(by, "refunded by", "VCH-7")
        if not isinstance(self_service, bool):
            raise InvalidInput("self_service", f"{self_service!r} is not a bool", rule="VCH-7")
        self._require_open("refund", void_ok=not self_service)
        if self_service and by != self.customer_id:
            raise NotRefundable("refund", self.id, f"{by} does not hold it; only its holder "
                                f"{self.customer_id} may refund it by self-service")
        if self_service and not self.buyer_refundable:
            reason = ("it was transferred to its holder, who did not pay for it"
                      if self.transferred_from else "it was sold non-refundable (禁止退款)")
            raise NotRefundable("refund", self.id, f"{reason}; only staff may refund it")
        refunded = self.remaining
        self._refunded = (self._lo, self._hi)
        self._lo = self._hi
        self.refunded_uses += refunded
        self.status = VoucherStatus.REFUNDED
        self.refunded_at = now
        self.voided_at = self.void_reason = None
        self.version += 1
        self.events.append(ev.VoucherRefunded(self.id, now, by, refunded, self_service))
        return refunded
