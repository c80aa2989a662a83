"""The registration gift (注册送券, CPN-6): one coupon pushed to each new account.

An account is known by any of its identities (email, phone, third-party id,
seed 004 "同一账号：邮箱、手机、第三方账号"): a registration that shares any identity
with an account already gifted gets nothing, so re-registering with the same
phone cannot farm coupons.  Registering is not refused when no coupon can be
given (campaign over, batch exhausted): the account is created all the same, so
``register`` reports the outcome instead of raising.

Only normal batches qualify (CPN-2, CPN-6), and not one already used by a
gift-coupon activity (seed 004 "参与满送优惠券活动的优惠券").  Deleting the campaign
keeps every coupon already given: they live in the batch, not here.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable
from datetime import datetime

import attrs

from mallcore.coupons.batches import (
    AbsoluteValidity,
    BatchFamily,
    BatchStatus,
    CouponBatch,
)
from mallcore.errors import InvalidConfiguration, InvalidInput, InvalidTransition, LimitReached
from mallcore.guards import aware, identifier, text
from mallcore.promotions.window import Window

__all__ = [
    "AccountKey",
    "GiftOutcome",
    "GiftResult",
    "IdentityKind",
    "RegistrationGift",
]


class IdentityKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    THIRD_PARTY = "third_party"  # e.g. a WeChat openid / unionid, with its provider


_SPACES = re.compile(r"[\s()-]")


def _normal_identity(kind: IdentityKind, value: str) -> str:
    """One spelling per identity: "A@x.cn" and "a@x.cn " are the same account."""
    value = value.strip()
    if kind is IdentityKind.EMAIL:
        if "@" not in value.strip("@"):
            raise InvalidInput("email", f"{value!r} is not an email address", rule="CPN-6")
        return value.lower()
    if kind is IdentityKind.PHONE:
        digits = _SPACES.sub("", value)
        if not re.fullmatch(r"\+?[0-9]{5,20}", digits):
            raise InvalidInput("phone", f"{value!r} is not a phone number", rule="CPN-6")
        return digits.removeprefix("+86")
    return value


@attrs.frozen
class AccountKey:
    """One identity of an account: ``AccountKey.email("a@x.cn")``, ``.phone``, ``.third_party``."""

    kind: IdentityKind
    value: str

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.kind, IdentityKind):
            raise InvalidInput("account key", f"{self.kind!r} is not an identity kind",
                               rule="CPN-6")
        text(self.value, f"{self.kind.value} of an account", "CPN-6")
        object.__setattr__(self, "value", _normal_identity(self.kind, self.value))

    @classmethod
    def email(cls, value: str) -> AccountKey:
        return cls(IdentityKind.EMAIL, value)

    @classmethod
    def phone(cls, value: str) -> AccountKey:
        return cls(IdentityKind.PHONE, value)

    @classmethod
    def third_party(cls, provider: str, subject: str) -> AccountKey:
        provider = identifier(provider, "identity provider", "CPN-6")
        subject = identifier(subject, f"{provider} account id", "CPN-6")
        return cls(IdentityKind.THIRD_PARTY, f"{provider}:{subject}")


class GiftOutcome(enum.StrEnum):
    GRANTED = "granted"
    ALREADY_GIFTED = "already_gifted"  # this account (one of its identities) had one
    OUTSIDE_WINDOW = "outside_window"  # the campaign has not started or has ended
    CAMPAIGN_DELETED = "campaign_deleted"
    BATCH_UNAVAILABLE = "batch_unavailable"  # voided, deleted or expired
    EXHAUSTED = "exhausted"  # every coupon of the batch has been handed out


@attrs.frozen
class GiftResult:
    outcome: GiftOutcome
    customer_id: str
    code: str | None = None

    @property
    def granted(self) -> bool:
        return self.outcome is GiftOutcome.GRANTED


class RegistrationGift:
    """A registration-gift campaign over one normal, published batch."""

    def __init__(
        self,
        campaign_id: str,
        name: str,
        batch: CouponBatch,
        window: Window,
        *,
        gift_activity_batches: Collection[str] = frozenset(),
    ) -> None:
        self.id = identifier(campaign_id, "campaign id", "CPN-6")
        self.name = text(name, f"name of campaign {self.id!r}", "CPN-6")
        if not isinstance(window, Window):
            raise InvalidConfiguration(f"campaign {self.id!r}", f"{window!r} is not a Window",
                                       rule="CPN-6")
        if not isinstance(batch, CouponBatch):
            raise InvalidConfiguration(f"campaign {self.id!r}", f"{batch!r} is not a batch",
                                       rule="CPN-6")
        if batch.family is not BatchFamily.NORMAL:
            raise InvalidConfiguration(
                f"campaign {self.id!r}",
                f"batch {batch.id!r} is reusable; a registration gift gives normal coupons",
                rule="CPN-6",
            )
        if batch.id in gift_activity_batches:
            raise InvalidConfiguration(
                f"campaign {self.id!r}",
                f"batch {batch.id!r} is already in a gift-coupon activity", rule="CPN-6",
            )
        if batch.status is not BatchStatus.PUBLISHED:
            raise InvalidConfiguration(
                f"campaign {self.id!r}",
                f"batch {batch.id!r} is {batch.status.value}; publish it first", rule="CPN-6",
            )
        self.window = window
        self.batch_id = batch.id
        self.deleted = False
        self.version = 0
        self._gifted: dict[AccountKey, GiftResult] = {}
        self.results: list[GiftResult] = []  # every registration seen, in order

    def register(
        self, keys: Iterable[AccountKey], customer_id: str, batch: CouponBatch, now: datetime
    ) -> GiftResult:
        """A new account registered: push it one coupon if it may have one.

        Refused (``InvalidInput``) only for malformed calls; every business
        reason for giving nothing is in the result's ``outcome``.
        """
        keys = frozenset(keys)
        if not keys or not all(isinstance(k, AccountKey) for k in keys):
            raise InvalidInput("account identities", "give at least one AccountKey",
                               rule="CPN-6")
        customer_id = identifier(customer_id, "customer id", "CPN-6")
        aware(now, "now", "CPN-6")
        if batch.id != self.batch_id:
            raise InvalidInput(f"campaign {self.id!r}",
                               f"batch {batch.id!r} is not this campaign's", rule="CPN-6")
        outcome = self._why_not(keys, batch, now)
        code = None
        if outcome is None:
            try:
                (code,) = batch.distribute([customer_id], 1, now=now)[customer_id]
                outcome = GiftOutcome.GRANTED
            except LimitReached:  # another registration took the last coupon meanwhile
                outcome = GiftOutcome.EXHAUSTED
        result = GiftResult(outcome, customer_id, code)
        if result.granted:
            for key in keys:
                self._gifted[key] = result
            self.version += 1
        self.results.append(result)
        return result

    def gifted(self, key: AccountKey) -> GiftResult | None:
        return self._gifted.get(key)

    def delete(self) -> None:
        """End the campaign; the coupons already given stay with their holders."""
        if self.deleted:
            raise InvalidTransition(f"deleting campaign {self.id!r}", "deleted", rule="CPN-6")
        self.deleted = True
        self.version += 1

    def _why_not(
        self, keys: frozenset[AccountKey], batch: CouponBatch, now: datetime
    ) -> GiftOutcome | None:
        if self.deleted:
            return GiftOutcome.CAMPAIGN_DELETED
        if not self.window.is_active(now):
            return GiftOutcome.OUTSIDE_WINDOW
        if any(k in self._gifted for k in keys):
            return GiftOutcome.ALREADY_GIFTED
        validity = batch.validity
        if batch.status is not BatchStatus.PUBLISHED or (
            isinstance(validity, AbsoluteValidity) and now >= validity.ends_at
        ):
            return GiftOutcome.BATCH_UNAVAILABLE
        if batch.remaining == 0:
            return GiftOutcome.EXHAUSTED
        return None
