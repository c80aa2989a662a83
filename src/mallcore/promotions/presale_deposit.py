"""Deposit pre-sales (定金预售): a deposit now, the balance later (PRE-6).

The source announces deposit pre-sales as "coming soon" (PRE-6); everything here
goes beyond it, and each reading is stated where it is made.

``DepositTerms`` is the merchant's configuration, shared by every order of a
pre-sale.  ``DepositPlan`` is one order's two payments, a small standalone
aggregate: it knows the order's number and total, never the ``Order`` itself
(the order integration comes later).  Its states move only along ``ALLOWED``::

    awaiting_deposit ──pay_deposit──▶ awaiting_balance ──pay_balance──▶ completed
          │                                 │
        cancel                 settle_missed / refund_deposit
          ▼                                 ▼
      cancelled                   forfeited  or  refunded

Readings (**Interpretation**, PRE-6):

* The deposit is per unit: an order of 3 pre-sale units pays 3 deposits.
* 定金膨胀 (``deposit_multiplier``): a deposit of X counts as X × multiplier
  against the price.  The extra (X × (multiplier − 1), the "bonus") is a price
  cut the pre-sale rule makes in stage 1 of the pipeline, so the order's total
  already includes it and every later stage, allocation and refund stays exact
  (PIPE-3).  The plan's balance is therefore simply ``total − deposit``; it
  equals "price − credit" before any other discount.  The bonus is earned only
  by paying the balance: a missed balance returns (or forfeits) the deposit
  alone, never the credit.
* A deposit that the buyer loses on a missed balance is a 定金 in the sense of
  the PRC Civil Code (art. 586-587), which caps it at 20% of the contract
  amount; ``PreSale`` refuses a forfeitable deposit above 20% of the pre-sale
  price (``MAX_FORFEITABLE_PERCENT``).  A refundable deposit (订金,
  ``forfeit_on_missed_balance=False``) has no such cap.
* The balance may be paid only inside the balance window, and only the exact
  amount still due.  A balance window must end: otherwise it could never be
  missed.  The deposit may be paid until the balance window ends (the checkout
  checks the pre-sale window itself when it prices the line).
* The merchant may refund a paid deposit before the balance is paid (cancelling
  the pre-sale, or agreeing to a buyer's request), whatever the terms say.  A
  forfeited deposit is final.  Once the balance is paid the order is paid in
  full, and its refunds are the order's after-sales (AS-*), not the plan's.
* Time never goes backwards in a plan: a ``now`` before its last change is
  refused, so the entries read as a history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import attrs

from mallcore.errors import (
    CurrencyMismatch,
    InvalidConfiguration,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
)
from mallcore.guards import aware, identifier, text, whole
from mallcore.money import EXACT, Money, format_yuan, from_fen, half_up, to_fen
from mallcore.promotions.window import Window

__all__ = [
    "ALLOWED",
    "MAX_FORFEITABLE_PERCENT",
    "DepositEntry",
    "DepositPlan",
    "DepositState",
    "DepositTerms",
    "EntryKind",
    "Outcome",
]

RULE = "PRE-6"

#: PRC Civil Code art. 586: a 定金 may not exceed 20% of the contract amount.
MAX_FORFEITABLE_PERCENT = 20


class DepositState(enum.StrEnum):
    AWAITING_DEPOSIT = "awaiting_deposit"
    AWAITING_BALANCE = "awaiting_balance"
    COMPLETED = "completed"  # deposit + balance paid: the order is paid in full
    CANCELLED = "cancelled"  # closed before the deposit was paid
    FORFEITED = "forfeited"  # balance missed, the merchant keeps the deposit
    REFUNDED = "refunded"  # balance missed under refund terms, or refunded by the merchant


#: The only edges a plan may move along.
ALLOWED: dict[DepositState, frozenset[DepositState]] = {
    DepositState.AWAITING_DEPOSIT: frozenset(
        {DepositState.AWAITING_BALANCE, DepositState.CANCELLED}
    ),
    DepositState.AWAITING_BALANCE: frozenset(
        {DepositState.COMPLETED, DepositState.FORFEITED, DepositState.REFUNDED}
    ),
    DepositState.COMPLETED: frozenset(),
    DepositState.CANCELLED: frozenset(),
    DepositState.FORFEITED: frozenset(),
    DepositState.REFUNDED: frozenset(),
}


def _multiplier(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidConfiguration(
            "deposit multiplier", f'{value!r}: give a Decimal such as Decimal("1.5")', rule=RULE
        )
    return Decimal(value)


@attrs.frozen
class DepositTerms:
    """A deposit pre-sale's terms: the deposit per unit, when the balance is due, and
    what a missed balance costs.

    ``deposit_multiplier`` (定金膨胀, default 1: no expansion): a deposit of X
    counts as ``X × multiplier`` against the price, rounded half-up to the fen;
    see the module docstring for how the bonus reaches the order.
    ``forfeit_on_missed_balance``: True keeps the deposit when the balance is
    missed (定金), False refunds it (订金).
    """

    deposit: Money
    balance_window: Window
    deposit_multiplier: Decimal = attrs.field(default=Decimal(1), converter=_multiplier)
    forfeit_on_missed_balance: bool = True
    deposit_fen: int = attrs.field(init=False, repr=False, eq=False)
    credit_fen: int = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.deposit, Money):
            raise InvalidConfiguration("deposit", f"{self.deposit!r} is not Money", rule=RULE)
        fen = to_fen(self.deposit, str(self.deposit.currency.code), what="deposit")
        if fen <= 0:
            raise InvalidConfiguration("deposit", f"{format_yuan(fen)} is not positive", rule=RULE)
        multiplier = self.deposit_multiplier
        if not multiplier.is_finite() or multiplier < 1:
            raise InvalidConfiguration(
                "deposit multiplier",
                f"{multiplier} is below 1: a deposit counts at least as itself",
                rule=RULE,
            )
        if not isinstance(self.balance_window, Window):
            raise InvalidConfiguration(
                "balance window", f"{self.balance_window!r} is not a Window", rule=RULE
            )
        if self.balance_window.ends_at is None:
            raise InvalidConfiguration(
                "balance window", "has no end: a balance could never be missed", rule=RULE
            )
        if not isinstance(self.forfeit_on_missed_balance, bool):
            raise InvalidConfiguration(
                "forfeit on missed balance",
                f"{self.forfeit_on_missed_balance!r} is not a bool",
                rule=RULE,
            )
        object.__setattr__(self, "deposit_fen", fen)
        object.__setattr__(self, "credit_fen", half_up(EXACT.multiply(multiplier, Decimal(fen))))

    @property
    def currency(self) -> str:
        return str(self.deposit.currency.code)

    @property
    def bonus_fen(self) -> int:
        """Per unit, what the deposit counts for beyond itself (0 without 定金膨胀)."""
        return self.credit_fen - self.deposit_fen

    @property
    def credit(self) -> Money:
        """Per unit, what the deposit counts as at balance time."""
        return from_fen(self.credit_fen, self.currency)

    @property
    def balance_ends_at(self) -> datetime:
        end = self.balance_window.ends_at
        assert end is not None  # checked at construction
        return end

    def describe(self) -> str:
        out = f"deposit {format_yuan(self.deposit_fen)}"
        if self.bonus_fen:
            out += f" counts as {format_yuan(self.credit_fen)}"
        missed = "forfeited" if self.forfeit_on_missed_balance else "refunded"
        return f"{out}; balance {self.balance_window.describe()}; missed balance: {missed}"


class EntryKind(enum.StrEnum):
    DEPOSIT = "deposit"
    BALANCE = "balance"
    REFUND = "refund"
    FORFEIT = "forfeit"


@attrs.frozen
class DepositEntry:
    """One money movement of a plan; ``state`` is the state it moved the plan to."""

    kind: EntryKind
    fen: int
    at: datetime
    state: DepositState
    reason: str = ""


@attrs.frozen
class Outcome:
    """How a plan ended when its balance was not paid: what went back, what was kept."""

    state: DepositState
    refunded: Money
    forfeited: Money


class DepositPlan:
    """One order's deposit and balance (PRE-6); see the module docstring.

    Every method checks everything before changing anything: a refusal leaves
    the plan as it was.  Wrong state → ``InvalidTransition`` naming the action
    (with the state it would move to) and the current state; wrong time or
    amount → ``NotAllowed``.
    """

    def __init__(
        self,
        order_number: str,
        terms: DepositTerms,
        *,
        units: int,
        total: Money,
        created_at: datetime,
    ) -> None:
        self.order_number = identifier(order_number, "order number", RULE)
        if not isinstance(terms, DepositTerms):
            raise InvalidInput("deposit terms", f"{terms!r} is not DepositTerms", rule=RULE)
        self.units = whole(units, f"pre-sale units of order {order_number}", RULE, minimum=1)
        self.created_at = aware(created_at, "created_at", RULE)
        self.terms = terms
        self.currency = terms.currency
        if not isinstance(total, Money):
            raise InvalidInput("order total", f"{total!r} is not Money", rule=RULE)
        if str(total.currency.code) != self.currency:
            raise CurrencyMismatch(
                f"total of order {order_number}",
                f"in {total.currency.code}, the deposit is in {self.currency}",
            )
        self.total_fen = to_fen(total, self.currency, what=f"total of order {order_number}")
        self.deposit_fen = terms.deposit_fen * units
        if self.total_fen < self.deposit_fen:
            raise NotAllowed(
                f"deposit plan of order {order_number}",
                f"the deposit {format_yuan(self.deposit_fen)} is more than the order total "
                f"{format_yuan(self.total_fen)}",
                rule=RULE,
            )
        self.state = DepositState.AWAITING_DEPOSIT
        self.entries: list[DepositEntry] = []
        self.transitions: list[tuple[DepositState, DepositState, datetime]] = []
        self.updated_at = self.created_at

    # ------------------------------------------------------------------ reading
    @property
    def balance_fen(self) -> int:
        """What the balance payment is: the total less the deposit itself."""
        return self.total_fen - self.deposit_fen

    @property
    def credit_fen(self) -> int:
        """What the deposit counts as against the price (定金膨胀), for display."""
        return self.terms.credit_fen * self.units

    @property
    def paid_fen(self) -> int:
        return sum(e.fen for e in self.entries if e.kind in (EntryKind.DEPOSIT, EntryKind.BALANCE))

    @property
    def refunded_fen(self) -> int:
        return sum(e.fen for e in self.entries if e.kind is EntryKind.REFUND)

    @property
    def forfeited_fen(self) -> int:
        return sum(e.fen for e in self.entries if e.kind is EntryKind.FORFEIT)

    @property
    def due_fen(self) -> int:
        """What the buyer must pay next: the deposit, then the balance, then nothing."""
        if self.state is DepositState.AWAITING_DEPOSIT:
            return self.deposit_fen
        if self.state is DepositState.AWAITING_BALANCE:
            return self.balance_fen
        return 0

    @property
    def finished(self) -> bool:
        return not ALLOWED[self.state]

    def money(self, fen: int) -> Money:
        return from_fen(fen, self.currency)

    # ------------------------------------------------------------------ changes
    def pay_deposit(self, amount: Money, *, now: datetime) -> DepositEntry:
        """The buyer pays the deposit: exactly ``deposit × units``, before the balance
        window ends → awaiting balance."""
        self._require("pay the deposit of", DepositState.AWAITING_BALANCE, now)
        end = self.terms.balance_ends_at
        if now >= end:
            raise NotAllowed(
                f"paying the deposit of order {self.order_number}",
                f"the balance window ended at {end.isoformat()}",
                rule=RULE,
            )
        self._exact(amount, self.deposit_fen, "deposit")
        return self._record(EntryKind.DEPOSIT, self.deposit_fen, now, DepositState.AWAITING_BALANCE)

    def pay_balance(self, amount: Money, *, now: datetime) -> DepositEntry:
        """The buyer pays the balance: inside the balance window, exactly what remains
        → completed."""
        self._require("pay the balance of", DepositState.COMPLETED, now)
        window = self.terms.balance_window
        if not window.is_active(now):
            when = "has not opened" if window.starts_at and now < window.starts_at else "ended"
            raise NotAllowed(
                f"paying the balance of order {self.order_number}",
                f"the balance window {window.describe()} {when}",
                rule=RULE,
            )
        self._exact(amount, self.balance_fen, "balance")
        return self._record(EntryKind.BALANCE, self.balance_fen, now, DepositState.COMPLETED)

    def settle_missed(self, *, now: datetime) -> Outcome:
        """The balance window ended unpaid: the deposit is forfeited or refunded, as the
        terms say."""
        forfeit = self.terms.forfeit_on_missed_balance
        to = DepositState.FORFEITED if forfeit else DepositState.REFUNDED
        self._require("settle the missed balance of", to, now)
        end = self.terms.balance_ends_at
        if now < end:
            raise NotAllowed(
                f"settling the balance of order {self.order_number} as missed",
                f"the balance window is open until {end.isoformat()}",
                rule=RULE,
            )
        kind = EntryKind.FORFEIT if forfeit else EntryKind.REFUND
        self._record(kind, self.deposit_fen, now, to, "balance missed")
        return self.outcome()

    def refund_deposit(self, *, now: datetime, reason: str) -> Outcome:
        """The merchant refunds the deposit before the balance is paid (cancelling the
        pre-sale, or agreeing to a buyer's request), whatever the terms."""
        self._require("refund the deposit of", DepositState.REFUNDED, now)
        text(reason, "refund reason", RULE)
        self._record(EntryKind.REFUND, self.deposit_fen, now, DepositState.REFUNDED, reason)
        return self.outcome()

    def cancel(self, *, now: datetime) -> None:
        """Close the plan before any money moved (the order closed unpaid)."""
        self._require("cancel", DepositState.CANCELLED, now)
        self._move(DepositState.CANCELLED, now)

    def outcome(self) -> Outcome:
        return Outcome(self.state, self.money(self.refunded_fen), self.money(self.forfeited_fen))

    # ------------------------------------------------------------------ internals
    def _require(self, action: str, to: DepositState, now: datetime) -> None:
        aware(now, "now", RULE)
        if to not in ALLOWED[self.state]:
            raise InvalidTransition(
                f"{action} deposit plan of order {self.order_number} (→ {to.value})",
                self.state.value,
                rule=RULE,
            )
        if now < self.updated_at:
            raise InvalidInput(
                f"now {now.isoformat()}",
                f"is before the plan's last change at {self.updated_at.isoformat()}",
                rule=RULE,
            )

    def _exact(self, amount: Money, expected: int, what: str) -> None:
        if not isinstance(amount, Money):
            raise InvalidInput(f"{what} payment", f"{amount!r} is not Money", rule=RULE)
        if str(amount.currency.code) != self.currency:
            raise CurrencyMismatch(
                f"{what} payment of order {self.order_number}",
                f"in {amount.currency.code}, the plan is in {self.currency}",
            )
        fen = to_fen(amount, self.currency, what=f"{what} payment")
        if fen != expected:
            raise NotAllowed(
                f"{what} payment of {format_yuan(fen)} for order {self.order_number}",
                f"the {what} due is exactly {format_yuan(expected)}",
                rule=RULE,
            )

    def _record(
        self, kind: EntryKind, fen: int, now: datetime, to: DepositState, reason: str = ""
    ) -> DepositEntry:
        entry = DepositEntry(kind, fen, now, to, reason)
        self.entries.append(entry)
        self._move(to, now)
        return entry

    def _move(self, to: DepositState, now: datetime) -> None:
        self.transitions.append((self.state, to, now))
        self.state = to
        self.updated_at = now
