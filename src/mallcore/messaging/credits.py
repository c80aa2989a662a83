"""The merchant's SMS credits (短信额度): an integer balance that never goes negative.

SMS-4: sending stops when credits run out.  The delivery loop asks how many
recipients it can afford before each request and spends only for numbers the
provider accepted, so a failed number costs nothing and the balance can never
drop below zero.  Thread-safe: two campaigns running at once cannot both spend
the last credit.
"""

from __future__ import annotations

import threading

from mallcore.errors import LimitReached
from mallcore.guards import whole

__all__ = ["SmsCredits"]


class SmsCredits:
    def __init__(self, balance: int = 0) -> None:
        self._balance = whole(balance, "SMS credits", "SMS-4")
        self._lock = threading.Lock()

    @property
    def balance(self) -> int:
        return self._balance

    def add(self, credits: int) -> None:
        """Credits bought (短信购买)."""
        credits = whole(credits, "SMS credits bought", "SMS-4", minimum=1)
        with self._lock:
            self._balance += credits

    def affordable(self, cost_each: int) -> int:
        """How many recipients at ``cost_each`` the balance covers now."""
        cost_each = whole(cost_each, "credits per message", "SMS-4", minimum=1)
        return self._balance // cost_each

    def reserve(self, recipients: int, cost_each: int) -> int:
        """Reserve credits for up to ``recipients`` messages; returns how many are covered.

        Atomic, so two runs sharing the balance cannot both take the last credit.
        """
        recipients = whole(recipients, "recipients to reserve credits for", "SMS-4")
        cost_each = whole(cost_each, "credits per message", "SMS-4", minimum=1)
        with self._lock:
            covered = min(recipients, self._balance // cost_each)
            self._balance -= covered * cost_each
            return covered

    def spend(self, credits: int) -> None:
        """Spend ``credits`` outright (all or nothing); refused when the balance is short."""
        credits = whole(credits, "SMS credits to spend", "SMS-4")
        with self._lock:
            if credits > self._balance:
                raise LimitReached(f"spending {credits} SMS credits",
                                   f"only {self._balance} left", rule="SMS-4")
            self._balance -= credits

    def give_back(self, credits: int) -> None:
        """Return reserved credits not used (numbers the provider did not accept)."""
        credits = whole(credits, "SMS credits returned", "SMS-4")
        with self._lock:
            self._balance += credits

    def __repr__(self) -> str:
        return f"SmsCredits(balance={self._balance})"

    def __getstate__(self) -> dict[str, int]:
        return {"balance": self._balance}

    def __setstate__(self, state: dict[str, int]) -> None:
        self._balance = state["balance"]
        self._lock = threading.Lock()
