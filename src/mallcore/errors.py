"""One exception hierarchy for every refusal the core makes.

Each error names what was refused, why, and the RULES.md id behind the refusal,
so a caller can show it to a merchant or catch it by kind.  Errors are raised
before any state changes: nothing is ever half-applied.
"""

from __future__ import annotations


class MallcoreError(Exception):
    """Base of every refusal.  ``refused`` is the thing, ``reason`` the why."""

    code = "error"

    def __init__(self, refused: str, reason: str, *, rule: str | None = None) -> None:
        self.refused = refused
        self.reason = reason
        self.rule = rule
        suffix = f" [{rule}]" if rule else ""
        super().__init__(f"{refused}: {reason}{suffix}")


class InvalidInput(MallcoreError):
    """A value that can never be right (negative price, float amount, name too long)."""

    code = "invalid_input"


class CurrencyMismatch(InvalidInput):
    """Two amounts in different currencies met in one calculation."""

    code = "currency_mismatch"


class InvalidConfiguration(MallcoreError):
    """A promotion, level or policy whose settings contradict a rule."""

    code = "invalid_configuration"


class NotFound(MallcoreError):
    """A reference (SKU, product, level, customer, tag) that does not exist."""

    code = "not_found"


class NotAllowed(MallcoreError):
    """A well-formed request that the rules forbid for this actor or this state."""

    code = "not_allowed"


class LimitReached(NotAllowed):
    """A cap, balance or quota would be exceeded."""

    code = "limit_reached"


class InvalidTransition(NotAllowed):
    """An action not allowed in the current status; names both."""

    code = "invalid_transition"

    def __init__(self, action: str, status: str, *, rule: str | None = None) -> None:
        self.action = action
        self.status = status
        super().__init__(action, f"not allowed while {status}", rule=rule)


class Conflict(MallcoreError):
    """A concurrent change won first (optimistic version, unique key); retryable."""

    code = "conflict"
