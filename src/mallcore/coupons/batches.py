"""Coupon batches: the lifecycle, distribution, claims and redemption of a batch.

``CouponBatch`` is the object a shop acts on; what it is built from lives beside
it: the families and terms (``terms``, CPN-1, CPN-2), the validity
(``validity``, CPN-8), the statuses (``batch_status``), the memory of who holds
and used which code (``code_ledger``), who may not receive coupons
(``blocked``, CUS-1), the read views (``batch_views``) and the events
(``batch_events``).  The names in ``__all__`` below are re-exported from those
modules, so the rest of mallcore imports them all from here.

CPN-3: draft → published → voided or deleted.  Publishing freezes the batch.
Voiding a normal batch kills the unclaimed codes and leaves claimed ones usable
until their own expiry; voiding a reusable batch kills its code.  Deleting kills
every code, claimed ones too.  A code's death is *derived* from the batch status
(never stored per code), so the two can never disagree.

CPN-4: a normal code is used once; a reusable code gives up one use per order;
no code is used twice.  An internal lock makes "check, then use" one step in a
process, so two orders racing for the last use cannot both win; across
processes a storage adapter must serialise changes to one batch.

The batch partitions its quantity at every moment (see ``BatchFigures``):
``claimed + unclaimed + voided == quantity``, used codes counting as claimed.
Every method checks everything before changing anything: a refused call leaves
no trace, no event and the same version.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from mallcore.coupons.batch_events import (
    BatchDeleted,
    BatchEdited,
    BatchEvent,
    BatchPublished,
    BatchVoided,
    CouponClaimed,
    CouponRedeemed,
    CouponRestored,
    CouponsDistributed,
)
from mallcore.coupons.batch_status import BatchStatus
from mallcore.coupons.batch_views import (
    BatchFigures,
    CodeStatus,
    CouponCode,
    Redemption,
    WalletEntry,
)
from mallcore.coupons.benefits import CouponOffer
from mallcore.coupons.blocked import Blocked, is_blocked
from mallcore.coupons.code_ledger import CodeLedger
from mallcore.coupons.codes import CodeGenerator, canonical_code
from mallcore.coupons.terms import BatchFamily, CouponTerms, batch_terms
from mallcore.coupons.validity import (
    AbsoluteValidity,
    RelativeValidity,
    Validity,
    batch_validity,
)
from mallcore.errors import (
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotAllowed,
    NotFound,
)
from mallcore.guards import aware, identifier, text, whole
from mallcore.locking import Locked

__all__ = [
    "AbsoluteValidity",
    "BatchDeleted",
    "BatchEdited",
    "BatchEvent",
    "BatchFamily",
    "BatchFigures",
    "BatchPublished",
    "BatchStatus",
    "BatchVoided",
    "Blocked",
    "CodeStatus",
    "CouponBatch",
    "CouponClaimed",
    "CouponCode",
    "CouponRedeemed",
    "CouponRestored",
    "CouponTerms",
    "CouponsDistributed",
    "Redemption",
    "RelativeValidity",
    "Validity",
    "WalletEntry",
    "wallet_of",
]

#: CPN-3 edges.  **Interpretation:** a draft may be deleted (nothing was issued), and a
#: voided batch may still be deleted (which then kills the claimed codes too).
_NEXT: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.DRAFT: frozenset({BatchStatus.PUBLISHED, BatchStatus.DELETED}),
    BatchStatus.PUBLISHED: frozenset({BatchStatus.VOIDED, BatchStatus.DELETED}),
    BatchStatus.VOIDED: frozenset({BatchStatus.DELETED}),
    BatchStatus.DELETED: frozenset(),
}

class _Keep(enum.Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP


def _limit(value: object, what: str) -> int | None:
    if value is None:
        return None
    return whole(value, what, "CPN-3", minimum=1, error=InvalidConfiguration)


class CouponBatch(Locked):
    """A batch of coupons; see the module docstring for what it guards.

    Build one with ``CouponBatch.normal`` (given codes), ``CouponBatch.generated``
    (codes from a ``CodeGenerator``) or ``CouponBatch.reusable``.
    ``per_customer_limit`` is, for a normal batch, how many of its codes one
    customer may hold through claiming (distributed codes count too; the
    merchant's distribution itself is not limited); for a reusable batch, how
    many times one customer may use the code.  ``None`` is unlimited.
    """

    def __init__(
        self,
        batch_id: str,
        name: str,
        family: BatchFamily,
        terms: CouponTerms,
        validity: Validity,
        *,
        codes: Sequence[str],
        uses: int = 0,
        per_customer_limit: int | None = None,
    ) -> None:
        self.id = identifier(batch_id, "coupon batch id", "CPN-2")
        self.name = text(name, f"name of coupon batch {self.id!r}", "CPN-2")
        if not isinstance(family, BatchFamily):
            raise InvalidConfiguration(
                f"coupon batch {self.id!r}", f"{family!r} is not a batch family", rule="CPN-2"
            )
        self.family = family
        self.terms = self._terms(terms)
        self.validity = self._validity(validity)
        what = f"per-customer limit of coupon batch {self.id!r}"
        self.per_customer_limit = _limit(per_customer_limit, what)
        self._ledger = CodeLedger.of(self.id, family, codes, uses)
        self.quantity = self._ledger.quantity
        self.status = BatchStatus.DRAFT
        self.version = 0
        self.events: list[BatchEvent] = []
        Locked.__init__(self)

    # construction

    @classmethod
    def normal(
        cls, batch_id: str, name: str, terms: CouponTerms, validity: Validity, *,
        codes: Iterable[str], per_customer_limit: int | None = 1,
    ) -> CouponBatch:
        """A normal batch of the given codes (imported, or generated elsewhere)."""
        return cls(batch_id, name, BatchFamily.NORMAL, terms, validity,
                   codes=tuple(codes), per_customer_limit=per_customer_limit)

    @classmethod
    def generated(
        cls, batch_id: str, name: str, terms: CouponTerms, validity: Validity, *,
        quantity: int, generator: CodeGenerator, taken: Iterable[str] = (),
        per_customer_limit: int | None = 1,
    ) -> CouponBatch:
        """A normal batch of ``quantity`` codes made with the merchant's prefix (CPN-2)."""
        quantity = whole(quantity, f"quantity of coupon batch {batch_id!r}", "CPN-2",
                         minimum=1, error=InvalidConfiguration)
        codes = generator.generate(quantity, frozenset(taken))
        return cls.normal(batch_id, name, terms, validity, codes=codes,
                          per_customer_limit=per_customer_limit)

    @classmethod
    def reusable(
        cls, batch_id: str, name: str, terms: CouponTerms, validity: AbsoluteValidity, *,
        code: str, uses: int, per_customer_limit: int | None = None,
    ) -> CouponBatch:
        """One custom code good for ``uses`` uses in all (CPN-2)."""
        return cls(batch_id, name, BatchFamily.REUSABLE, terms, validity, codes=(code,),
                   uses=uses, per_customer_limit=per_customer_limit)

    def _terms(self, terms: object) -> CouponTerms:
        return batch_terms(terms, f"coupon batch {self.id!r}")

    def _validity(self, validity: object) -> Validity:
        return batch_validity(validity, f"validity of coupon batch {self.id!r}",
                              reusable=self.family is BatchFamily.REUSABLE)


    def __repr__(self) -> str:
        return (f"CouponBatch({self.id!r}, {self.family.value}, {self.status.value}, "
                f"quantity={self.quantity})")

    # queries

    def figures(self) -> BatchFigures:
        with self._lock:
            return self._ledger.figures(self.status)

    @property
    def remaining(self) -> int:
        """Units still to hand out (codes to claim or distribute, or uses left)."""
        return self.figures().unclaimed

    def offer(self, code: str) -> CouponOffer:
        """The stage-2 view of one of this batch's codes (CPN-1); its id is the code."""
        code = self._known_code(code)
        return self.terms.offer(code, self.name)

    def code(self, code: str) -> CouponCode:
        code = self._known_code(code)
        with self._lock:
            return self._ledger.view(code, self.status)

    def codes(self) -> tuple[CouponCode, ...]:
        """Every code, in creation order (the merchant's export, seed 004 4.1)."""
        with self._lock:
            return tuple(self._ledger.view(c, self.status) for c in self._ledger.all_codes())

    def codes_of(self, customer_id: str) -> tuple[CouponCode, ...]:
        """Every code ``customer_id`` ever received, whatever its state now."""
        with self._lock:
            return tuple(self._ledger.view(c, self.status)
                         for c in self._ledger.held_by(customer_id))

    def uses(self) -> tuple[Redemption, ...]:
        """Who used the code, with which order and when (seed 004 4.2)."""
        with self._lock:
            return self._ledger.redemptions()

    def wallet(self, customer_id: str, now: datetime) -> tuple[WalletEntry, ...]:
        """The codes ``customer_id`` can use at ``now``, soonest expiry first.

        A reusable code is in nobody's wallet: it is typed at checkout.
        """
        aware(now, "now", "CPN-8")
        with self._lock:
            views = [self._ledger.view(c, self.status)
                     for c in self._ledger.held_by(customer_id)]
        entries = [
            WalletEntry(self.id, v.code, self.terms.offer(v.code, self.name),
                        v.valid_from, v.expires_at)
            for v in views
            if v.usable(now) and v.valid_from is not None and v.expires_at is not None
        ]
        return tuple(sorted(entries, key=lambda e: (e.expires_at, e.code)))

    def claim_link(self, base_url: str) -> str:
        """The claim link behind the QR code (CPN-2): normal batches only."""
        self._require_normal("a claim link")
        base = text(base_url, "claim link base", "CPN-2").rstrip("/")
        return f"{base}/coupons/{self.id}/claim"

    def ensure_giftable(self) -> None:
        """Refuse a reusable batch as a gift (CPN-2: never in gift-coupon activities)."""
        if self.family is BatchFamily.REUSABLE:
            raise NotAllowed(
                f"gifting coupons of batch {self.id!r}",
                "reusable coupons never take part in gift-coupon activities",
                rule="CPN-2",
            )

    def ensure_usable(self, code: str, *, customer_id: str, now: datetime) -> CouponOffer:
        """What ``redeem`` would check, without using anything: for the checkout page."""
        code = self._known_code(code)
        customer_id = identifier(customer_id, "customer id", "CPN-4")
        aware(now, "now", "CPN-8")
        with self._lock:
            self._check_redeem(code, customer_id, None, now)
        return self.terms.offer(code, self.name)

    # lifecycle (CPN-3)

    def edit(
        self, *, now: datetime, name: str | None = None, terms: CouponTerms | None = None,
        validity: Validity | None = None, per_customer_limit: int | _Keep | None = KEEP,
    ) -> None:
        """Change a draft; a published (or later) batch is frozen."""
        aware(now, "now", "CPN-3")
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = text(name, f"name of coupon batch {self.id!r}", "CPN-2")
        if terms is not None:
            changes["terms"] = self._terms(terms)
        if validity is not None:
            changes["validity"] = self._validity(validity)
        if not isinstance(per_customer_limit, _Keep):
            what = f"per-customer limit of coupon batch {self.id!r}"
            changes["per_customer_limit"] = _limit(per_customer_limit, what)
        if not changes:
            raise InvalidInput(f"editing coupon batch {self.id!r}", "nothing to change",
                               rule="CPN-3")
        with self._lock:
            if self.status is not BatchStatus.DRAFT:
                raise InvalidTransition(f"editing coupon batch {self.id!r}", self.status.value,
                                        rule="CPN-3")
            for key, value in changes.items():
                setattr(self, key, value)
            self._record(BatchEdited(self.id, now, tuple(changes)))

    def publish(self, now: datetime) -> None:
        aware(now, "now", "CPN-3")
        with self._lock:
            self._move(BatchStatus.PUBLISHED, "publishing")
            if isinstance(self.validity, AbsoluteValidity) and now >= self.validity.ends_at:
                raise NotAllowed(
                    f"publishing coupon batch {self.id!r}",
                    f"its validity ended at {self.validity.ends_at.isoformat()}",
                    rule="CPN-8",
                )
            self.status = BatchStatus.PUBLISHED
            self._record(BatchPublished(self.id, now))

    def void(self, now: datetime) -> int:
        """Void: unclaimed codes (a reusable code) die now; returns how many units died."""
        aware(now, "now", "CPN-3")
        with self._lock:
            self._move(BatchStatus.VOIDED, "voiding")
            before = self._ledger.figures(self.status).voided
            self.status = BatchStatus.VOIDED
            killed = self._ledger.figures(self.status).voided - before
            self._ledger.close()
            self._record(BatchVoided(self.id, now, killed))
            return killed

    def delete(self, now: datetime) -> int:
        """Delete: every code dies, claimed ones too; returns how many units died."""
        aware(now, "now", "CPN-3")
        with self._lock:
            self._move(BatchStatus.DELETED, "deleting")
            before = self._ledger.figures(self.status).voided
            self.status = BatchStatus.DELETED
            killed = self._ledger.figures(self.status).voided - before
            self._ledger.close()
            self._record(BatchDeleted(self.id, now, killed))
            return killed

    # handing out (CPN-2, CPN-3)

    def distribute(
        self, customer_ids: Iterable[str], n_each: int, *, now: datetime,
        blocked: Blocked = None,
    ) -> dict[str, tuple[str, ...]]:
        """Give ``n_each`` codes to each chosen customer, or nothing at all.

        A customer named twice is chosen once.  Asking for more codes than
        remain is refused with "not enough coupons to distribute" (CPN-3).
        """
        if isinstance(customer_ids, str):
            raise InvalidInput("customers to distribute to", "one text, not a list of ids",
                               rule="CPN-3")
        ids = list(dict.fromkeys(identifier(c, "customer id", "CPN-3") for c in customer_ids))
        if not ids:
            raise InvalidInput(f"distributing coupons of batch {self.id!r}",
                               "no customers chosen", rule="CPN-3")
        n_each = whole(n_each, "coupons per customer", "CPN-3", minimum=1)
        aware(now, "now", "CPN-3")
        self._require_normal("distributing")
        refused = [c for c in ids if is_blocked(blocked, c)]
        if refused:
            raise NotAllowed(f"distributing coupons of batch {self.id!r} to {refused}",
                             "blacklisted customers cannot receive coupons", rule="CUS-1")
        with self._lock:
            self._require_open("distributing coupons of", now)
            need = len(ids) * n_each
            if need > self._ledger.free:
                raise LimitReached(
                    f"distributing {need} coupons of batch {self.id!r}",
                    f"not enough coupons to distribute: {self._ledger.free} remain",
                    rule="CPN-3",
                )
            grants = {c: tuple(self._ledger.give(c, now, self.validity) for _ in range(n_each))
                      for c in ids}
            self._record(CouponsDistributed(self.id, now, tuple(grants.items())))
            return grants

    def claim(self, customer_id: str, *, now: datetime, blocked: Blocked = None) -> CouponCode:
        """A customer claims one code through the link, within the per-customer limit."""
        customer_id = identifier(customer_id, "customer id", "CPN-3")
        aware(now, "now", "CPN-3")
        self._require_normal("claiming")
        if is_blocked(blocked, customer_id):
            raise NotAllowed(f"claiming a coupon of batch {self.id!r} by {customer_id!r}",
                             "blacklisted customers cannot receive coupons", rule="CUS-1")
        with self._lock:
            self._require_open("claiming a coupon of", now)
            held = len(self._ledger.held_by(customer_id))
            limit = self.per_customer_limit
            if limit is not None and held >= limit:
                raise LimitReached(
                    f"claiming a coupon of batch {self.id!r} by {customer_id!r}",
                    f"the limit is {limit} per customer and {held} are held", rule="CPN-3",
                )
            if not self._ledger.free:
                raise LimitReached(f"claiming a coupon of batch {self.id!r}",
                                   "every coupon has been handed out", rule="CPN-3")
            code = self._ledger.give(customer_id, now, self.validity)
            self._record(CouponClaimed(self.id, now, customer_id, code))
            return self._ledger.view(code, self.status)

    # using (CPN-4, CPN-5)

    def redeem(
        self, code: str, *, customer_id: str, order_number: str, now: datetime
    ) -> Redemption:
        """Use the code on an order: once for a normal code, one use of a reusable one."""
        code = self._known_code(code)
        customer_id = identifier(customer_id, "customer id", "CPN-4")
        order_number = identifier(order_number, "order number", "CPN-4")
        aware(now, "now", "CPN-4")
        with self._lock:
            self._check_redeem(code, customer_id, order_number, now)
            used = Redemption(self.id, code, customer_id, order_number, now)
            self._ledger.use(used)
            self._record(CouponRedeemed(self.id, now, code, customer_id, order_number))
            return used

    def restore(self, code: str, order_number: str, *, now: datetime) -> Redemption:
        """Give back what ``order_number`` used (CPN-5, when the shop's switch says so).

        The code returns to its holder with its own expiry unchanged; a reusable
        code gets the use back.  Nothing comes back from a deleted batch.
        """
        code = self._known_code(code)
        order_number = identifier(order_number, "order number", "CPN-5")
        aware(now, "now", "CPN-5")
        with self._lock:
            action = f"restoring code {code!r} of coupon batch {self.id!r}"
            if self.status is BatchStatus.DELETED:
                raise InvalidTransition(action, self.status.value, rule="CPN-3")
            used = self._ledger.use_by(code, order_number)
            if used is None:
                raise NotAllowed(action, f"order {order_number!r} did not use it",
                                 rule="CPN-5")
            self._ledger.give_back(used)
            self._record(CouponRestored(self.id, now, code, used.customer_id, order_number))
            return used

    # internals (the lock is held by the caller where state is read)

    def _known_code(self, code: str) -> str:
        code = canonical_code(code)
        if not self._ledger.knows(code):
            raise NotFound(f"code {code!r}", f"not a code of coupon batch {self.id!r}",
                           rule="CPN-4")
        return code

    def _require_normal(self, action: str) -> None:
        if self.family is not BatchFamily.NORMAL:
            raise NotAllowed(f"{action} coupon batch {self.id!r}",
                             "a reusable coupon is never distributed or claimed",
                             rule="CPN-2")

    def _require_open(self, action: str, now: datetime) -> None:
        if self.status is not BatchStatus.PUBLISHED:
            raise InvalidTransition(f"{action} coupon batch {self.id!r}", self.status.value,
                                    rule="CPN-3")
        if isinstance(self.validity, AbsoluteValidity) and now >= self.validity.ends_at:
            raise NotAllowed(f"{action} coupon batch {self.id!r}",
                             f"it expired at {self.validity.ends_at.isoformat()}",
                             rule="CPN-8")

    def _move(self, target: BatchStatus, action: str) -> None:
        if target not in _NEXT[self.status]:
            raise InvalidTransition(f"{action} coupon batch {self.id!r}", self.status.value,
                                    rule="CPN-3")

    def _check_redeem(
        self, code: str, customer_id: str, order_number: str | None, now: datetime
    ) -> None:
        action = f"redeeming code {code!r} of coupon batch {self.id!r}"
        status = self.status
        if status is BatchStatus.DRAFT or status is BatchStatus.DELETED or (
            status is BatchStatus.VOIDED and self.family is BatchFamily.REUSABLE
        ):
            raise InvalidTransition(action, status.value, rule="CPN-3")
        if self.family is BatchFamily.REUSABLE:
            self._ledger.check_reuse(action, customer_id, order_number,
                                     self.per_customer_limit, self.validity, now)
        else:
            self._ledger.check_single_use(action, code, customer_id, status, now)

    def _record(self, event: BatchEvent) -> None:
        self.version += 1
        self.events.append(event)


def wallet_of(
    batches: Iterable[CouponBatch], customer_id: str, now: datetime
) -> tuple[WalletEntry, ...]:
    """A customer's usable coupons across batches, soonest expiry first."""
    entries = [e for b in batches for e in b.wallet(customer_id, now)]
    return tuple(sorted(entries, key=lambda e: (e.expires_at, e.batch_id, e.code)))
