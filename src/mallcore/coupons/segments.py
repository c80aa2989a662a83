"""Targeted distribution (发券宝, CPN-7): pick customers, count them, then send.

A ``Segment`` is a conjunction of conditions over what the shop knows of a
customer: attributes (level, registration date, spending totals), behaviour
(paid within the last N days, or not) and tags (seed 004: 消费客户群, 活跃客户群,
用户标签).  Behaviour is read from an injected order history, a function from a
customer id to their paid orders ``(paid_at, amount)``, so the core reads no
database and the same segment can be replayed at any ``now``.

``plan_campaign`` counts the recipients and refuses the campaign when the
batch cannot cover them ("当优惠券库存不足时，无法创建活动"), before anything is
sent.  ``run_campaign`` then hands out the coupons (all or nothing) and sends the
optional SMS while credits last: short credits never hold back the coupons
(CPN-7, SMS-4).  Quiet hours (SMS-3) are the sender's business, not the plan's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs
from moneyed import Money

from mallcore._convert import frozen
from mallcore.coupons.batches import (
    AbsoluteValidity,
    BatchFamily,
    BatchStatus,
    Blocked,
    CouponBatch,
)
from mallcore.customers.customer import Customer
from mallcore.errors import (
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotAllowed,
)
from mallcore.guards import aware, whole
from mallcore.money import to_fen

__all__ = [
    "CampaignPlan",
    "CampaignResult",
    "Condition",
    "LevelIn",
    "NotPaidWithin",
    "OrderHistory",
    "PaidWithin",
    "Registered",
    "Segment",
    "SmsBudget",
    "SmsResult",
    "Spent",
    "Tagged",
    "plan_campaign",
    "run_campaign",
]

#: customer id -> that customer's paid orders, as (paid at, amount paid).
OrderHistory = Callable[[str], Sequence[tuple[datetime, Money]]]


class Condition(Protocol):
    """One test a customer passes or fails; ``needs_history`` ones read paid orders."""

    @property
    def needs_history(self) -> bool: ...

    def matches(
        self, customer: Customer, paid: Sequence[tuple[datetime, Money]], now: datetime
    ) -> bool: ...


def _days(value: object, what: str) -> int:
    return whole(value, what, "CPN-7", minimum=1, error=InvalidConfiguration)


def _in_last(paid: Sequence[tuple[datetime, Money]], days: int, now: datetime
             ) -> list[tuple[datetime, Money]]:
    """Payments in the closed window ``[now - days, now]``; later ones are not yet known."""
    since = now - timedelta(days=days)
    return [(at, amount) for at, amount in paid if since <= at <= now]


@attrs.frozen
class LevelIn:
    levels: frozenset[str] = attrs.field(converter=frozen)
    needs_history = False

    def __attrs_post_init__(self) -> None:
        if not self.levels:
            raise InvalidConfiguration("segment levels", "choose at least one", rule="CPN-7")

    def matches(self, customer: Customer, paid: Sequence[tuple[datetime, Money]],
                now: datetime) -> bool:
        return customer.level_id in self.levels


@attrs.frozen
class Tagged:
    """Carries any of ``tags`` (or all of them with ``require_all``)."""

    tags: frozenset[str] = attrs.field(converter=frozen)
    require_all: bool = False
    needs_history = False

    def __attrs_post_init__(self) -> None:
        if not self.tags:
            raise InvalidConfiguration("segment tags", "choose at least one", rule="CPN-7")

    def matches(self, customer: Customer, paid: Sequence[tuple[datetime, Money]],
                now: datetime) -> bool:
        if self.require_all:
            return self.tags <= customer.tags
        return not self.tags.isdisjoint(customer.tags)


@attrs.frozen
class Registered:
    """Registered in ``[after, before)``; a customer with no registration date never matches."""

    after: datetime | None = None
    before: datetime | None = None
    needs_history = False

    def __attrs_post_init__(self) -> None:
        if self.after is None and self.before is None:
            raise InvalidConfiguration("segment registration", "give after and/or before",
                                       rule="CPN-7")
        for bound in (self.after, self.before):
            if bound is not None:
                aware(bound, "segment registration bound", "CPN-7")
        if self.after and self.before and self.before <= self.after:
            raise InvalidConfiguration("segment registration", "before is not after after",
                                       rule="CPN-7")

    def matches(self, customer: Customer, paid: Sequence[tuple[datetime, Money]],
                now: datetime) -> bool:
        at = customer.registered_at
        if at is None:
            return False
        return (self.after is None or at >= self.after) and (
            self.before is None or at < self.before)


@attrs.frozen
class Spent:
    """Total paid in ``[at_least, below)``, over the last ``within_days`` days or ever."""

    at_least: Money | None = None
    below: Money | None = None
    within_days: int | None = None
    needs_history = True

    def __attrs_post_init__(self) -> None:
        if self.at_least is None and self.below is None:
            raise InvalidConfiguration("segment spending", "give at_least and/or below",
                                       rule="CPN-7")
        if self.within_days is not None:
            _days(self.within_days, "segment spending window")
        low, high = self._bounds()
        if low is not None and high is not None and high <= low:
            raise InvalidConfiguration("segment spending", "below is not above at_least",
                                       rule="CPN-7")

    @property
    def currency(self) -> str:
        bound = self.at_least if self.at_least is not None else self.below
        assert bound is not None
        return bound.currency.code

    def _bounds(self) -> tuple[int | None, int | None]:
        cur = self.currency
        low = None if self.at_least is None else to_fen(self.at_least, cur, what="at_least")
        high = None if self.below is None else to_fen(self.below, cur, what="below")
        return low, high

    def matches(self, customer: Customer, paid: Sequence[tuple[datetime, Money]],
                now: datetime) -> bool:
        if self.within_days is not None:
            paid = _in_last(paid, self.within_days, now)
        else:
            paid = [(at, amount) for at, amount in paid if at <= now]
        cur = self.currency
        total = sum(to_fen(amount, cur, what=f"paid by {customer.id!r}") for _, amount in paid)
        low, high = self._bounds()
        return (low is None or total >= low) and (high is None or total < high)


@attrs.frozen
class PaidWithin:
    """At least one paid order in the last ``days`` days (``now`` included)."""

    days: int
    needs_history = True

    def __attrs_post_init__(self) -> None:
        _days(self.days, "segment 'paid within' days")

    def matches(self, customer: Customer, paid: Sequence[tuple[datetime, Money]],
                now: datetime) -> bool:
        return bool(_in_last(paid, self.days, now))


@attrs.frozen
class NotPaidWithin:
    """No paid order in the last ``days`` days: a lapsing customer (with ``PaidWithin``)."""

    days: int
    needs_history = True

    def __attrs_post_init__(self) -> None:
        _days(self.days, "segment 'not paid within' days")

    def matches(self, customer: Customer, paid: Sequence[tuple[datetime, Money]],
                now: datetime) -> bool:
        return not _in_last(paid, self.days, now)


class Segment:
    """All ``conditions`` hold.  Blacklisted customers are left out (CUS-1)."""

    def __init__(self, *conditions: Condition, history: OrderHistory | None = None) -> None:
        if not conditions:
            raise InvalidConfiguration("segment", "give at least one condition", rule="CPN-7")
        if history is None and any(c.needs_history for c in conditions):
            raise InvalidConfiguration(
                "segment", "behaviour and spending conditions need an order history",
                rule="CPN-7",
            )
        self.conditions = conditions
        self._history = history

    def matches(self, customer: Customer, now: datetime) -> bool:
        if customer.blacklisted:
            return False
        paid: Sequence[tuple[datetime, Money]] = ()
        if self._history is not None:
            paid = self._history(customer.id)
            for at, _ in paid:
                aware(at, f"paid time of customer {customer.id!r}", "CPN-7")
        return all(c.matches(customer, paid, now) for c in self.conditions)

    def select(self, customers: Iterable[Customer], now: datetime) -> list[str]:
        """Ids of the matching customers, sorted (each once)."""
        aware(now, "now", "CPN-7")
        return sorted({c.id for c in customers if self.matches(c, now)})


# SMS credits (CPN-7, SMS-4)


@attrs.frozen
class SmsResult:
    sent: tuple[str, ...]  # customer ids that got a message
    unsent: tuple[str, ...]  # credits ran out before them


class SmsBudget:
    """The merchant's SMS credits: one per message; sending stops when they run out."""

    def __init__(self, credits: int) -> None:
        self.credits = whole(credits, "SMS credits", "SMS-4")

    def send(self, recipients: Sequence[str]) -> SmsResult:
        n = min(self.credits, len(recipients))
        self.credits -= n
        return SmsResult(tuple(recipients[:n]), tuple(recipients[n:]))


# plan and run


@attrs.frozen
class CampaignPlan:
    """Who gets what, counted before anything is sent."""

    batch_id: str
    n_each: int
    recipients: tuple[str, ...]
    sms: bool = False
    sms_recipients: tuple[str, ...] = ()  # recipients with a phone, when SMS is on
    without_phone: tuple[str, ...] = ()

    @property
    def coupons_needed(self) -> int:
        return self.n_each * len(self.recipients)


@attrs.frozen
class CampaignResult:
    grants: tuple[tuple[str, tuple[str, ...]], ...]  # (customer id, codes)
    messaged: tuple[str, ...] = ()
    not_messaged: tuple[str, ...] = ()  # had a phone, but the credits ran out


def plan_campaign(
    segment: Segment, batch: CouponBatch, n_each: int, customers: Iterable[Customer],
    now: datetime, *, sms: bool = False,
) -> CampaignPlan:
    """Count the recipients; refuse if the batch cannot cover them all (CPN-7)."""
    n_each = whole(n_each, "coupons per customer", "CPN-7", minimum=1)
    aware(now, "now", "CPN-7")
    action = f"targeted campaign with coupon batch {batch.id!r}"
    if batch.family is not BatchFamily.NORMAL:
        raise NotAllowed(action, "only normal coupons can be sent to customers", rule="CPN-7")
    if batch.status is not BatchStatus.PUBLISHED:
        raise InvalidTransition(action, batch.status.value, rule="CPN-3")
    validity = batch.validity
    if isinstance(validity, AbsoluteValidity) and now >= validity.ends_at:
        raise NotAllowed(action, f"the batch expired at {validity.ends_at.isoformat()}",
                         rule="CPN-8")
    people = {c.id: c for c in customers}
    recipients = tuple(segment.select(people.values(), now))
    if not recipients:
        raise NotAllowed(action, "no customer matches the segment", rule="CPN-7")
    plan = CampaignPlan(batch.id, n_each, recipients, sms)
    stock = batch.remaining
    if plan.coupons_needed > stock:
        raise LimitReached(
            action,
            f"{len(recipients)} customers × {n_each} need {plan.coupons_needed} coupons, "
            f"{stock} in stock",
            rule="CPN-7",
        )
    if sms:
        with_phone = tuple(r for r in recipients if people[r].phone)
        plan = attrs.evolve(plan, sms_recipients=with_phone,
                            without_phone=tuple(r for r in recipients if not people[r].phone))
    return plan


def run_campaign(
    plan: CampaignPlan, batch: CouponBatch, now: datetime, *,
    sms_budget: SmsBudget | None = None, blocked: Blocked = None,
) -> CampaignResult:
    """Send the coupons (all or nothing), then the messages while credits last."""
    if batch.id != plan.batch_id:
        raise InvalidInput("running a targeted campaign",
                           f"batch {batch.id!r} is not the planned {plan.batch_id!r}",
                           rule="CPN-7")
    if plan.sms and sms_budget is None:
        raise InvalidInput("running a targeted campaign", "SMS is on but no SMS budget given",
                           rule="CPN-7")
    grants = batch.distribute(plan.recipients, plan.n_each, now=now, blocked=blocked)
    result = CampaignResult(tuple(grants.items()))
    if plan.sms and sms_budget is not None:
        sent = sms_budget.send(plan.sms_recipients)
        result = attrs.evolve(result, messaged=sent.sent, not_messaged=sent.unsent)
    return result
