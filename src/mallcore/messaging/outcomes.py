"""What happened to each recipient: exactly one outcome per number (SMS-2..4).

A report never drops a number: sent, failed (with the provider's code and
why), skipped for quiet hours, skipped for lack of credits, or — for
notifications only — unreachable (no usable phone).  Reprs mask numbers.
"""

from __future__ import annotations

import enum
from collections import Counter

import attrs

from mallcore.messaging.phones import Phone

__all__ = ["DeliveryReport", "Outcome", "RecipientOutcome"]


class Outcome(enum.Enum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED_QUIET_HOURS = "skipped_quiet_hours"  # SMS-3
    SKIPPED_NO_CREDITS = "skipped_no_credits"  # SMS-4
    UNREACHABLE = "unreachable"  # notifications: no usable phone number


@attrs.frozen
class RecipientOutcome:
    phone: Phone
    outcome: Outcome
    reason: str = ""
    code: str | None = None  # the provider's code, when it answered
    serial: str | None = None


@attrs.frozen
class DeliveryReport:
    """Per-number outcomes in recipient order, requests made and credits spent."""

    outcomes: tuple[RecipientOutcome, ...]
    requests: int = 0
    credits_spent: int = 0
    stopped_by: str | None = None  # the provider error that stopped sending, if any
    out_of_balance: bool = False  # the provider said its balance is gone (SMS-4)

    def bucket(self, outcome: Outcome) -> tuple[RecipientOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome is outcome)

    @property
    def sent(self) -> tuple[RecipientOutcome, ...]:
        return self.bucket(Outcome.SENT)

    @property
    def failed(self) -> tuple[RecipientOutcome, ...]:
        return self.bucket(Outcome.FAILED)

    @property
    def skipped_quiet_hours(self) -> tuple[RecipientOutcome, ...]:
        return self.bucket(Outcome.SKIPPED_QUIET_HOURS)

    @property
    def skipped_no_credits(self) -> tuple[RecipientOutcome, ...]:
        return self.bucket(Outcome.SKIPPED_NO_CREDITS)

    def counts(self) -> dict[str, int]:
        found = Counter(o.outcome.value for o in self.outcomes)
        return {o.value: found.get(o.value, 0) for o in Outcome}

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in self.counts().items() if v)
        return f"{len(self.outcomes)} numbers: {parts or 'none'}; {self.requests} requests, " \
               f"{self.credits_spent} credits"
