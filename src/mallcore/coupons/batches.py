"""Coupon batches: the two families, the lifecycle, distribution, claims and redemption.

CPN-2: a *normal* batch is a set of single-use codes (its quantity is the number
of codes; customers claim them through a link, or the merchant distributes
them); a *reusable* batch is one custom code used many times (its quantity is the
number of uses; it is neither claimed nor distributed nor gifted).

CPN-3: draft → published → voided or deleted.  Publishing freezes the batch.
Voiding a normal batch kills the unclaimed codes and leaves claimed ones usable
until their own expiry; voiding a reusable batch kills its code.  Deleting kills
every code, claimed ones too.  A code's death is *derived* from the batch status
(never stored per code), so the two can never disagree.

CPN-4: a normal code is used once; a reusable code gives up one use per order;
no code is used twice.  An internal lock makes "check, then use" one step in a
process, so two orders racing for the last use cannot both win; across
processes a storage adapter must serialise changes to one batch.

CPN-8: validity is an absolute window, or N days from claiming.

The batch partitions its quantity at every moment (see ``BatchFigures``):
``claimed + unclaimed + voided == quantity``, used codes counting as claimed.
Every method checks everything before changing anything: a refused call leaves
no trace, no event and the same version.
"""

from __future__ import annotations

import enum
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
from moneyed import Money

from mallcore.coupons.benefits import (
    CouponBenefit,
    CouponOffer,
    ExchangeItem,
    FixedAmount,
    FreeShippingCoupon,
    PercentOff,
)
from mallcore.coupons.codes import CodeGenerator, canonical_code
from mallcore.customers.customer import CustomerBook
from mallcore.errors import (
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotAllowed,
    NotFound,
)
from mallcore.guards import aware, identifier, text, whole
from mallcore.promotions.scope import ALL_PRODUCTS, ProductScope

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


class BatchFamily(enum.StrEnum):
    NORMAL = "normal"  # 普通券: many single-use codes
    REUSABLE = "reusable"  # 复用券: one code, many uses


class BatchStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    VOIDED = "voided"
    DELETED = "deleted"


#: CPN-3 edges.  **Interpretation:** a draft may be deleted (nothing was issued), and a
#: voided batch may still be deleted (which then kills the claimed codes too).
_NEXT: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.DRAFT: frozenset({BatchStatus.PUBLISHED, BatchStatus.DELETED}),
    BatchStatus.PUBLISHED: frozenset({BatchStatus.VOIDED, BatchStatus.DELETED}),
    BatchStatus.VOIDED: frozenset({BatchStatus.DELETED}),
    BatchStatus.DELETED: frozenset(),
}


# validity (CPN-8)


@attrs.frozen
class AbsoluteValidity:
    """Usable in ``[starts_at, ends_at)``, whenever the code was claimed."""

    starts_at: datetime
    ends_at: datetime

    def __attrs_post_init__(self) -> None:
        aware(self.starts_at, "coupon validity start", "CPN-8")
        aware(self.ends_at, "coupon validity end", "CPN-8")
        if self.ends_at <= self.starts_at:
            raise InvalidConfiguration(
                "coupon validity", f"ends {self.ends_at.isoformat()} before it starts",
                rule="CPN-8",
            )

    def window(self, claimed_at: datetime) -> tuple[datetime, datetime]:
        return self.starts_at, self.ends_at

    def describe(self) -> str:
        return f"{self.starts_at.isoformat()} – {self.ends_at.isoformat()}"


@attrs.frozen
class RelativeValidity:
    """Usable for ``days`` × 24 hours from the instant the code was claimed.

    **Interpretation** (CPN-8): "N days" counts whole 24-hour days from the
    claim, not calendar days, so it does not depend on the merchant's time zone.
    """

    days: int

    def __attrs_post_init__(self) -> None:
        whole(self.days, "coupon validity days", "CPN-8", minimum=1,
              error=InvalidConfiguration)

    def window(self, claimed_at: datetime) -> tuple[datetime, datetime]:
        return claimed_at, claimed_at + timedelta(days=self.days)

    def describe(self) -> str:
        return f"{self.days} days from claiming"


Validity = AbsoluteValidity | RelativeValidity


# terms: what the coupon does (CPN-1), as CouponOffer will price it


_BENEFITS = (FixedAmount, PercentOff, ExchangeItem, FreeShippingCoupon)


@attrs.frozen
class CouponTerms:
    """Benefit, threshold and scope of every coupon of a batch (CPN-1).

    Building the terms builds a probe ``CouponOffer``, so a batch whose coupons
    the pricing pipeline would refuse is refused when it is configured.
    """

    benefit: CouponBenefit
    threshold: Money | None = None
    scope: ProductScope = ALL_PRODUCTS
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.benefit, _BENEFITS):
            raise InvalidConfiguration(
                "coupon benefit", f"{self.benefit!r} is not a coupon benefit", rule="CPN-1"
            )
        if not isinstance(self.scope, ProductScope):
            raise InvalidConfiguration(
                "coupon scope", f"{self.scope!r} is not a ProductScope", rule="CPN-1"
            )
        self.offer("terms", "terms")

    def offer(self, coupon_id: str, name: str) -> CouponOffer:
        return CouponOffer(coupon_id, name, self.benefit, self.threshold, self.scope,
                           self.currency)


# views and events


class CodeStatus(enum.StrEnum):
    UNCLAIMED = "unclaimed"  # alive, nobody holds it (reusable: uses left)
    HELD = "held"  # a customer holds it, unused (it may still be expired: see usable())
    USED = "used"  # redeemed by an order (reusable: every use consumed)
    VOID = "void"  # killed by voiding or deleting the batch


@attrs.frozen
class CouponCode:
    """One code as the merchant's detail page shows it (seed 004 "4.1 详情")."""

    batch_id: str
    code: str
    status: CodeStatus
    owner: str | None = None
    claimed_at: datetime | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    order_number: str | None = None
    used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return (
            self.status is CodeStatus.HELD
            and self.valid_from is not None
            and self.expires_at is not None
            and self.valid_from <= now < self.expires_at
        )


@attrs.frozen
class WalletEntry:
    """A usable coupon in a customer's hand, priced as stage 2 will see it."""

    batch_id: str
    code: str
    offer: CouponOffer
    valid_from: datetime
    expires_at: datetime


@attrs.frozen
class Redemption:
    batch_id: str
    code: str
    customer_id: str
    order_number: str
    at: datetime


@attrs.frozen
class BatchFigures:
    """Per-batch figures (seed 004 "3.1 数据").

    ``issued`` is the quantity: codes of a normal batch, uses of a reusable one.
    Every unit is in exactly one of ``claimed`` (used ones included),
    ``unclaimed`` (alive, still to hand out) or ``voided``, so
    ``claimed + unclaimed + voided == issued``.  For a reusable batch a use is
    its own claim: ``claimed == used``.
    """

    family: BatchFamily
    issued: int
    claimed: int
    unclaimed: int
    used: int
    voided: int

    @property
    def quantity(self) -> int:
        return self.issued


@attrs.frozen
class BatchEvent:
    batch_id: str
    at: datetime


@attrs.frozen
class BatchEdited(BatchEvent):
    changed: tuple[str, ...]


@attrs.frozen
class BatchPublished(BatchEvent):
    pass


@attrs.frozen
class BatchVoided(BatchEvent):
    killed: int  # units that died (unclaimed codes, or the reusable code's uses left)


@attrs.frozen
class BatchDeleted(BatchEvent):
    killed: int


@attrs.frozen
class CouponsDistributed(BatchEvent):
    grants: tuple[tuple[str, tuple[str, ...]], ...]  # (customer id, codes)


@attrs.frozen
class CouponClaimed(BatchEvent):
    customer_id: str
    code: str


@attrs.frozen
class CouponRedeemed(BatchEvent):
    code: str
    customer_id: str
    order_number: str


@attrs.frozen
class CouponRestored(BatchEvent):
    code: str
    customer_id: str
    order_number: str


#: Who may not receive coupons (CUS-1): a predicate on customer ids, or the book.
Blocked = Callable[[str], bool] | CustomerBook | None


class _Keep(enum.Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP


@attrs.define
class _Slot:
    """A normal code's bookkeeping; whether it is dead follows from the batch status."""

    code: str
    owner: str | None = None
    claimed_at: datetime | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    order_number: str | None = None
    used_at: datetime | None = None


def _limit(value: object, what: str) -> int | None:
    if value is None:
        return None
    return whole(value, what, "CPN-3", minimum=1, error=InvalidConfiguration)


class CouponBatch:
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
        if isinstance(codes, str):
            raise InvalidInput(f"codes of coupon batch {self.id!r}", "one text, not a list",
                               rule="CPN-2")
        canon = [canonical_code(c, f"code of coupon batch {self.id!r}") for c in codes]
        if len(set(canon)) != len(canon):
            dup = sorted({c for c in canon if canon.count(c) > 1})
            raise InvalidInput(f"codes of coupon batch {self.id!r}", f"duplicates {dup}",
                               rule="CPN-2")
        if family is BatchFamily.NORMAL:
            if not canon:
                raise InvalidConfiguration(
                    f"coupon batch {self.id!r}", "a normal batch needs at least one code",
                    rule="CPN-2",
                )
            self.quantity = len(canon)
        else:
            if len(canon) != 1:
                raise InvalidConfiguration(
                    f"coupon batch {self.id!r}", "a reusable batch has exactly one code",
                    rule="CPN-2",
                )
            self.quantity = whole(uses, f"uses of coupon batch {self.id!r}", "CPN-2",
                                  minimum=1, error=InvalidConfiguration)
        self.status = BatchStatus.DRAFT
        self.version = 0
        self.events: list[BatchEvent] = []
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {c: _Slot(c) for c in canon} if (
            family is BatchFamily.NORMAL) else {}
        self._free: deque[str] = deque(self._slots)  # unclaimed codes, in creation order
        self._held: dict[str, list[str]] = {}  # customer -> codes, in the order received
        self._code = canon[0]  # the reusable code (or the first normal one)
        self._uses: list[Redemption] = []  # reusable only

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
        if not isinstance(terms, CouponTerms):
            raise InvalidConfiguration(
                f"coupon batch {self.id!r}", f"{terms!r} is not CouponTerms", rule="CPN-1"
            )
        return terms

    def _validity(self, validity: object) -> Validity:
        if not isinstance(validity, AbsoluteValidity | RelativeValidity):
            raise InvalidConfiguration(
                f"validity of coupon batch {self.id!r}", f"{validity!r} is not a validity",
                rule="CPN-8",
            )
        if self.family is BatchFamily.REUSABLE and isinstance(validity, RelativeValidity):
            raise InvalidConfiguration(
                f"validity of coupon batch {self.id!r}",
                "a reusable code is never claimed, so it needs an absolute window",
                rule="CPN-8",
            )
        return validity

    # the lock cannot be copied or pickled; a copy gets its own

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"CouponBatch({self.id!r}, {self.family.value}, {self.status.value}, "
                f"quantity={self.quantity})")

    # queries

    def figures(self) -> BatchFigures:
        with self._lock:
            return self._figures()

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
            return self._view(code)

    def codes(self) -> tuple[CouponCode, ...]:
        """Every code, in creation order (the merchant's export, seed 004 4.1)."""
        with self._lock:
            return tuple(self._view(c) for c in (self._slots or (self._code,)))

    def codes_of(self, customer_id: str) -> tuple[CouponCode, ...]:
        """Every code ``customer_id`` ever received, whatever its state now."""
        with self._lock:
            return tuple(self._view(c) for c in self._held.get(customer_id, ()))

    def uses(self) -> tuple[Redemption, ...]:
        """Who used the code, with which order and when (seed 004 4.2)."""
        with self._lock:
            if self.family is BatchFamily.REUSABLE:
                return tuple(self._uses)
            return tuple(
                Redemption(self.id, s.code, s.owner, s.order_number, s.used_at)
                for s in self._slots.values()
                if s.order_number is not None and s.owner is not None and s.used_at
            )

    def wallet(self, customer_id: str, now: datetime) -> tuple[WalletEntry, ...]:
        """The codes ``customer_id`` can use at ``now``, soonest expiry first.

        A reusable code is in nobody's wallet: it is typed at checkout.
        """
        aware(now, "now", "CPN-8")
        with self._lock:
            views = [self._view(c) for c in self._held.get(customer_id, ())]
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
            before = self._figures().voided
            self.status = BatchStatus.VOIDED
            killed = self._figures().voided - before
            self._free.clear()
            self._record(BatchVoided(self.id, now, killed))
            return killed

    def delete(self, now: datetime) -> int:
        """Delete: every code dies, claimed ones too; returns how many units died."""
        aware(now, "now", "CPN-3")
        with self._lock:
            self._move(BatchStatus.DELETED, "deleting")
            before = self._figures().voided
            self.status = BatchStatus.DELETED
            killed = self._figures().voided - before
            self._free.clear()
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
        refused = [c for c in ids if _is_blocked(blocked, c)]
        if refused:
            raise NotAllowed(f"distributing coupons of batch {self.id!r} to {refused}",
                             "blacklisted customers cannot receive coupons", rule="CUS-1")
        with self._lock:
            self._require_open("distributing coupons of", now)
            need = len(ids) * n_each
            if need > len(self._free):
                raise LimitReached(
                    f"distributing {need} coupons of batch {self.id!r}",
                    f"not enough coupons to distribute: {len(self._free)} remain",
                    rule="CPN-3",
                )
            grants = {c: tuple(self._give(c, now) for _ in range(n_each)) for c in ids}
            self._record(CouponsDistributed(self.id, now, tuple(grants.items())))
            return grants

    def claim(self, customer_id: str, *, now: datetime, blocked: Blocked = None) -> CouponCode:
        """A customer claims one code through the link, within the per-customer limit."""
        customer_id = identifier(customer_id, "customer id", "CPN-3")
        aware(now, "now", "CPN-3")
        self._require_normal("claiming")
        if _is_blocked(blocked, customer_id):
            raise NotAllowed(f"claiming a coupon of batch {self.id!r} by {customer_id!r}",
                             "blacklisted customers cannot receive coupons", rule="CUS-1")
        with self._lock:
            self._require_open("claiming a coupon of", now)
            held = len(self._held.get(customer_id, ()))
            limit = self.per_customer_limit
            if limit is not None and held >= limit:
                raise LimitReached(
                    f"claiming a coupon of batch {self.id!r} by {customer_id!r}",
                    f"the limit is {limit} per customer and {held} are held", rule="CPN-3",
                )
            if not self._free:
                raise LimitReached(f"claiming a coupon of batch {self.id!r}",
                                   "every coupon has been handed out", rule="CPN-3")
            code = self._give(customer_id, now)
            self._record(CouponClaimed(self.id, now, customer_id, code))
            return self._view(code)

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
            if self.family is BatchFamily.REUSABLE:
                self._uses.append(used)
            else:
                slot = self._slots[code]
                slot.order_number, slot.used_at = order_number, now
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
            used = self._use_by(code, order_number)
            if used is None:
                raise NotAllowed(action, f"order {order_number!r} did not use it",
                                 rule="CPN-5")
            if self.family is BatchFamily.REUSABLE:
                self._uses.remove(used)
            else:
                slot = self._slots[code]
                slot.order_number = slot.used_at = None
            self._record(CouponRestored(self.id, now, code, used.customer_id, order_number))
            return used

    # internals (the lock is held by the caller where state is read)

    def _known_code(self, code: str) -> str:
        code = canonical_code(code)
        known = code in self._slots if self.family is BatchFamily.NORMAL else code == self._code
        if not known:
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

    def _give(self, customer_id: str, now: datetime) -> str:
        code = self._free.popleft()
        slot = self._slots[code]
        slot.owner, slot.claimed_at = customer_id, now
        slot.valid_from, slot.expires_at = self.validity.window(now)
        self._held.setdefault(customer_id, []).append(code)
        return code

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
            self._check_reusable(action, customer_id, order_number, now)
            return
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
        _check_window(action, slot.valid_from, slot.expires_at, now)

    def _check_reusable(
        self, action: str, customer_id: str, order_number: str | None, now: datetime
    ) -> None:
        if order_number is not None and any(u.order_number == order_number for u in self._uses):
            raise NotAllowed(action, f"order {order_number!r} already used it", rule="CPN-4")
        if len(self._uses) >= self.quantity:
            raise LimitReached(action, f"all {self.quantity} uses are consumed", rule="CPN-4")
        limit = self.per_customer_limit
        if limit is not None and sum(u.customer_id == customer_id for u in self._uses) >= limit:
            raise LimitReached(action, f"customer {customer_id!r} used it {limit} times, "
                               "the limit per customer", rule="CPN-4")
        start, end = self.validity.window(now)
        _check_window(action, start, end, now)

    def _use_by(self, code: str, order_number: str) -> Redemption | None:
        if self.family is BatchFamily.REUSABLE:
            return next((u for u in self._uses if u.order_number == order_number), None)
        slot = self._slots[code]
        if slot.order_number != order_number or slot.owner is None or slot.used_at is None:
            return None
        return Redemption(self.id, code, slot.owner, order_number, slot.used_at)

    def _alive(self, slot: _Slot) -> bool:
        if self.status is BatchStatus.DELETED:
            return slot.order_number is not None  # a used code stays a used code
        if self.status is BatchStatus.VOIDED:
            return slot.owner is not None
        return True

    def _view(self, code: str) -> CouponCode:
        if self.family is BatchFamily.REUSABLE:
            if self.status in (BatchStatus.VOIDED, BatchStatus.DELETED):
                status = CodeStatus.VOID
            elif len(self._uses) >= self.quantity:
                status = CodeStatus.USED
            else:
                status = CodeStatus.UNCLAIMED
            return CouponCode(self.id, code, status)
        s = self._slots[code]
        if s.order_number is not None:
            status = CodeStatus.USED
        elif not self._alive(s):
            status = CodeStatus.VOID
        elif s.owner is not None:
            status = CodeStatus.HELD
        else:
            status = CodeStatus.UNCLAIMED
        return CouponCode(self.id, code, status, s.owner, s.claimed_at, s.valid_from,
                          s.expires_at, s.order_number, s.used_at)

    def _figures(self) -> BatchFigures:
        if self.family is BatchFamily.REUSABLE:
            used = len(self._uses)
            left = self.quantity - used
            dead = self.status in (BatchStatus.VOIDED, BatchStatus.DELETED)
            return BatchFigures(self.family, self.quantity, used, 0 if dead else left, used,
                                left if dead else 0)
        claimed = unclaimed = used = voided = 0
        for s in self._slots.values():
            used += s.order_number is not None
            if not self._alive(s):
                voided += 1
            elif s.owner is not None:
                claimed += 1
            else:
                unclaimed += 1
        return BatchFigures(self.family, self.quantity, claimed, unclaimed, used, voided)

    def _record(self, event: BatchEvent) -> None:
        self.version += 1
        self.events.append(event)


def _check_window(action: str, start: datetime, end: datetime, now: datetime) -> None:
    if now < start:
        raise NotAllowed(action, f"not valid before {start.isoformat()}", rule="CPN-8")
    if now >= end:
        raise NotAllowed(action, f"expired at {end.isoformat()}", rule="CPN-8")


def _is_blocked(blocked: Blocked, customer_id: str) -> bool:
    if blocked is None:
        return False
    if isinstance(blocked, CustomerBook):
        return blocked.get(customer_id).blacklisted
    return bool(blocked(customer_id))


def wallet_of(
    batches: Iterable[CouponBatch], customer_id: str, now: datetime
) -> tuple[WalletEntry, ...]:
    """A customer's usable coupons across batches, soonest expiry first."""
    entries = [e for b in batches for e in b.wallet(customer_id, now)]
    return tuple(sorted(entries, key=lambda e: (e.expires_at, e.batch_id, e.code)))
