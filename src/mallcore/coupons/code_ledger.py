"""The codes of one coupon batch and what became of each: given to whom, used by which order.

``CouponBatch`` decides who may do what and when; the ledger is its memory of
the codes: which normal codes are still free, who holds which, which order
used what, and every use of a reusable code.  It stores no death: whether a
code is void is derived from the batch status passed in (CPN-3), so the two can
never disagree.  The checks that read one code's own record (held by this
customer? used already? uses left? CPN-4) live here too.

The ledger has no lock: the batch holds its own lock around every call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime

import attrs

from mallcore.coupons.batch_status import BatchStatus
from mallcore.coupons.batch_views import BatchFigures, CodeStatus, CouponCode, Redemption
from mallcore.coupons.codes import canonical_code
from mallcore.coupons.terms import BatchFamily
from mallcore.coupons.validity import Validity, check_window
from mallcore.errors import (
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotAllowed,
)
from mallcore.guards import whole

__all__ = ["CodeLedger", "CodeSlot"]


@attrs.define
class CodeSlot:
    """A normal code's bookkeeping; whether it is dead follows from the batch status."""

    code: str
    owner: str | None = None
    claimed_at: datetime | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    order_number: str | None = None
    used_at: datetime | None = None


class CodeLedger:
    """The codes of batch ``batch_id``; build it with ``CodeLedger.of``, which checks them.

    ``quantity`` is the number of codes of a normal batch, of uses of a reusable one.
    """

    def __init__(
        self, batch_id: str, family: BatchFamily, codes: Sequence[str], quantity: int
    ) -> None:
        self.batch_id = batch_id
        self.family = family
        self.quantity = quantity
        self._slots: dict[str, CodeSlot] = {c: CodeSlot(c) for c in codes} if (
            family is BatchFamily.NORMAL) else {}
        self._free: deque[str] = deque(self._slots)  # unclaimed codes, in creation order
        self._held: dict[str, list[str]] = {}  # customer -> codes, in the order received
        self._code = codes[0]  # the reusable code (or the first normal one)
        self._uses: list[Redemption] = []  # reusable only

    @classmethod
    def of(
        cls, batch_id: str, family: BatchFamily, codes: Sequence[str], uses: int
    ) -> CodeLedger:
        """The ledger of a new batch, refusing codes that cannot make one (CPN-2).

        Codes are canonical and unique.  A normal batch needs at least one and
        its quantity is their number; a reusable batch has exactly one, good for
        ``uses`` uses in all.
        """
        if isinstance(codes, str):
            raise InvalidInput(f"codes of coupon batch {batch_id!r}", "one text, not a list",
                               rule="CPN-2")
        canon = [canonical_code(c, f"code of coupon batch {batch_id!r}") for c in codes]
        if len(set(canon)) != len(canon):
            dup = sorted({c for c in canon if canon.count(c) > 1})
            raise InvalidInput(f"codes of coupon batch {batch_id!r}", f"duplicates {dup}",
                               rule="CPN-2")
        if family is BatchFamily.NORMAL:
            if not canon:
                raise InvalidConfiguration(
                    f"coupon batch {batch_id!r}", "a normal batch needs at least one code",
                    rule="CPN-2",
                )
            quantity = len(canon)
        else:
            if len(canon) != 1:
                raise InvalidConfiguration(
                    f"coupon batch {batch_id!r}", "a reusable batch has exactly one code",
                    rule="CPN-2",
                )
            quantity = whole(uses, f"uses of coupon batch {batch_id!r}", "CPN-2",
                             minimum=1, error=InvalidConfiguration)
        return cls(batch_id, family, canon, quantity)

    # what is there

    def knows(self, code: str) -> bool:
        return code in self._slots if self.family is BatchFamily.NORMAL else code == self._code

    def all_codes(self) -> tuple[str, ...]:
        """Every code, in creation order."""
        return tuple(self._slots or (self._code,))

    def held_by(self, customer_id: str) -> tuple[str, ...]:
        """Every code ``customer_id`` ever received, in the order received."""
        return tuple(self._held.get(customer_id, ()))

    @property
    def free(self) -> int:
        """Normal codes nobody has received yet."""
        return len(self._free)

    def redemptions(self) -> tuple[Redemption, ...]:
        if self.family is BatchFamily.REUSABLE:
            return tuple(self._uses)
        return tuple(
            Redemption(self.batch_id, s.code, s.owner, s.order_number, s.used_at)
            for s in self._slots.values()
            if s.order_number is not None and s.owner is not None and s.used_at
        )

    # views, derived from the batch status (CPN-3)

    def view(self, code: str, status: BatchStatus) -> CouponCode:
        if self.family is BatchFamily.REUSABLE:
            if status in (BatchStatus.VOIDED, BatchStatus.DELETED):
                code_status = CodeStatus.VOID
            elif len(self._uses) >= self.quantity:
                code_status = CodeStatus.USED
            else:
                code_status = CodeStatus.UNCLAIMED
            return CouponCode(self.batch_id, code, code_status)
        s = self._slots[code]
        if s.order_number is not None:
            code_status = CodeStatus.USED
        elif not _alive(s, status):
            code_status = CodeStatus.VOID
        elif s.owner is not None:
            code_status = CodeStatus.HELD
        else:
            code_status = CodeStatus.UNCLAIMED
        return CouponCode(self.batch_id, code, code_status, s.owner, s.claimed_at,
                          s.valid_from, s.expires_at, s.order_number, s.used_at)

    def figures(self, status: BatchStatus) -> BatchFigures:
        if self.family is BatchFamily.REUSABLE:
            used = len(self._uses)
            left = self.quantity - used
            dead = status in (BatchStatus.VOIDED, BatchStatus.DELETED)
            return BatchFigures(self.family, self.quantity, used, 0 if dead else left, used,
                                left if dead else 0)
        claimed = unclaimed = used = voided = 0
        for s in self._slots.values():
            used += s.order_number is not None
            if not _alive(s, status):
                voided += 1
            elif s.owner is not None:
                claimed += 1
            else:
                unclaimed += 1
        return BatchFigures(self.family, self.quantity, claimed, unclaimed, used, voided)

    # handing out (normal codes)

    def give(self, customer_id: str, now: datetime, validity: Validity) -> str:
        """The next free code, now held by ``customer_id``; its window starts now (CPN-8)."""
        code = self._free.popleft()
        slot = self._slots[code]
        slot.owner, slot.claimed_at = customer_id, now
        slot.valid_from, slot.expires_at = validity.window(now)
        self._held.setdefault(customer_id, []).append(code)
        return code

    def close(self) -> None:
        """No free code will be handed out any more (the batch was voided or deleted)."""
        self._free.clear()

    # using (CPN-4, CPN-5)

    def check_single_use(
        self, action: str, code: str, customer_id: str, status: BatchStatus, now: datetime
    ) -> None:
        """Refuse ``action`` unless ``customer_id`` holds the normal ``code``, unused, in time."""
        slot = self._slots[code]
        if slot.owner is None:
            if status is BatchStatus.VOIDED:  # the unclaimed codes died with the void
                raise InvalidTransition(action, status.value, rule="CPN-3")
            raise NotAllowed(action, "nobody has claimed it", rule="CPN-4")
        if slot.owner != customer_id:
            raise NotAllowed(action, f"it is not held by customer {customer_id!r}",
                             rule="CPN-4")
        if slot.order_number is not None:
            raise NotAllowed(action, f"already used by order {slot.order_number!r}",
                             rule="CPN-4")
        assert slot.valid_from is not None and slot.expires_at is not None
        check_window(action, slot.valid_from, slot.expires_at, now)

    def check_reuse(
        self, action: str, customer_id: str, order_number: str | None,
        per_customer_limit: int | None, validity: Validity, now: datetime,
    ) -> None:
        """Refuse ``action`` unless the reusable code has a use left for this order."""
        if order_number is not None and any(u.order_number == order_number for u in self._uses):
            raise NotAllowed(action, f"order {order_number!r} already used it", rule="CPN-4")
        if len(self._uses) >= self.quantity:
            raise LimitReached(action, f"all {self.quantity} uses are consumed", rule="CPN-4")
        limit = per_customer_limit
        if limit is not None and sum(u.customer_id == customer_id for u in self._uses) >= limit:
            raise LimitReached(action, f"customer {customer_id!r} used it {limit} times, "
                               "the limit per customer", rule="CPN-4")
        start, end = validity.window(now)
        check_window(action, start, end, now)

    def use(self, used: Redemption) -> None:
        if self.family is BatchFamily.REUSABLE:
            self._uses.append(used)
        else:
            slot = self._slots[used.code]
            slot.order_number, slot.used_at = used.order_number, used.at

    def use_by(self, code: str, order_number: str) -> Redemption | None:
        """What ``order_number`` used of ``code``, if it did."""
        if self.family is BatchFamily.REUSABLE:
            return next((u for u in self._uses if u.order_number == order_number), None)
        slot = self._slots[code]
        if slot.order_number != order_number or slot.owner is None or slot.used_at is None:
            return None
        return Redemption(self.batch_id, code, slot.owner, order_number, slot.used_at)

    def give_back(self, used: Redemption) -> None:
        """Undo ``used``: the code (or the use) returns, its expiry unchanged (CPN-5)."""
        if self.family is BatchFamily.REUSABLE:
            self._uses.remove(used)
        else:
            slot = self._slots[used.code]
            slot.order_number = slot.used_at = None


def _alive(slot: CodeSlot, status: BatchStatus) -> bool:
    if status is BatchStatus.DELETED:
        return slot.order_number is not None  # a used code stays a used code
    if status is BatchStatus.VOIDED:
        return slot.owner is not None
    return True
