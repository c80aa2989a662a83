"""The pre-sale parts of an order: ship dates (PRE-3) and deposits (PRE-6).

The ``Order`` keeps them as plain data (ints, dates, datetimes, enums, attrs
classes), never the ``PreSale`` or its rules, so a storage adapter can save an
order without knowing the campaigns:

* ``ShipTerms`` — a pre-sale line's ship-date rule, copied from the pre-sale when
  the order is placed; the order works out the line's ship date (``ship_from``)
  when it is paid in full, with the one PRE-3 rule
  (``promotions.presale_shipping``).
* ``OrderDeposit`` — a deposit pre-sale order's deposit, its balance window and
  what a missed balance costs, copied from the pre-sale's ``DepositTerms``, plus
  where the deposit stands.  Its states are ``presale_deposit.DepositState`` and it
  moves only along ``presale_deposit.ALLOWED``; the order's own status moves in
  step (``orders.status``): pending payment → deposit paid → paid, or closed.

Readings (**Interpretation**, PRE-6 goes beyond the source):

* The deposit is ``deposit × units`` of the order's pre-sale lines; the balance is
  the rest of what the order costs, shipping included (the 定金膨胀 bonus is already
  a stage-1 price cut, see ``promotions.presale_deposit``).  So deposit + balance
  is always the payable amount, and a price adjustment (ORD-3, before the deposit
  is paid) may not take the goods below the deposit.
* The deposit may be paid until the balance window ends; the balance only inside
  the window, exactly the amount still due.  Anything else is refused (like a
  payment of the wrong amount, ORD-3), so the gateway layer returns it.
* A deposit-paid order is not shippable and takes no after-sale: until the balance
  is paid it is a promise.  When the window ends unpaid the deposit is forfeited
  (定金, the default) or refunded through the order's refunds (订金), and the order
  closes (``balance_missed``).  The merchant may refund the deposit at any time
  before the balance (``deposit_refunded``).  Stock and points go back as for any
  closed order.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import attrs

from mallcore.errors import InvalidConfiguration, InvalidTransition, NotAllowed
from mallcore.guards import aware
from mallcore.money import format_yuan
from mallcore.promotions.presale_deposit import ALLOWED, DepositState, DepositTerms
from mallcore.promotions.presale_shipping import ShipAfterPayment, ShipDateRule, ShipOnDate

__all__ = ["DepositState", "OrderDeposit", "ShipTerms"]

RULE = "PRE-6"


def _zone(tz: tzinfo | None) -> tuple[str | None, timedelta | None]:
    """A ship rule's time zone as plain data: an IANA key, or a fixed UTC offset."""
    if tz is None:
        return None, None
    if isinstance(tz, ZoneInfo):
        return tz.key, None
    if isinstance(tz, timezone):
        return None, tz.utcoffset(None)
    raise InvalidConfiguration("ship-date time zone",
                               f"{tz!r} is neither a ZoneInfo nor a fixed offset",
                               rule="PRE-3")


@attrs.frozen
class ShipTerms:
    """PRE-3 on an order line: ships ``days_after_payment`` days after the payment
    date, or from the date ``on``; ``presale_id`` names the pre-sale."""

    presale_id: str
    days_after_payment: int | None = None
    on: date | None = None
    zone: str | None = None  # IANA key of the zone the payment date is read in
    utc_offset: timedelta | None = None  # or a fixed offset

    @classmethod
    def from_rule(cls, presale_id: str, rule: ShipDateRule) -> ShipTerms:
        if isinstance(rule, ShipAfterPayment):
            zone, offset = _zone(rule.tz)
            return cls(presale_id, days_after_payment=rule.days, zone=zone, utc_offset=offset)
        return cls(presale_id, on=rule.on)

    def rule(self) -> ShipDateRule:
        if self.days_after_payment is None:
            assert self.on is not None
            return ShipOnDate(self.on)
        tz: tzinfo | None = None
        if self.zone is not None:
            tz = ZoneInfo(self.zone)
        elif self.utc_offset is not None:
            tz = timezone(self.utc_offset)
        return ShipAfterPayment(self.days_after_payment, tz)

    def ship_date(self, paid_at: datetime) -> date:
        """PRE-3: the date the line ships from, for an order paid in full at ``paid_at``."""
        return self.rule().ship_date(paid_at)


@attrs.define
class OrderDeposit:
    """A deposit pre-sale order's deposit (PRE-6); see the module docstring."""

    presale_id: str
    deposit_fen: int
    balance_ends_at: datetime
    balance_opens_at: datetime | None = None
    forfeit_on_missed_balance: bool = True
    state: DepositState = DepositState.AWAITING_DEPOSIT
    deposit_paid_at: datetime | None = None
    balance_paid_at: datetime | None = None
    settled_at: datetime | None = None
    transitions: list[tuple[DepositState, DepositState, datetime]] = attrs.Factory(list)

    @classmethod
    def from_terms(cls, presale_id: str, terms: DepositTerms, units: int) -> OrderDeposit:
        """The deposit of ``units`` pre-sale units under ``terms``."""
        if not isinstance(terms, DepositTerms):
            raise InvalidConfiguration(f"deposit of pre-sale {presale_id!r}",
                                       f"{terms!r} is not DepositTerms", rule=RULE)
        return cls(presale_id, terms.deposit_fen * units, terms.balance_ends_at,
                   terms.balance_window.starts_at, terms.forfeit_on_missed_balance)

    # ------------------------------------------------------------------ reading
    def balance_open(self, now: datetime) -> bool:
        opens = self.balance_opens_at
        return (opens is None or now >= opens) and now < self.balance_ends_at

    def missed(self, now: datetime) -> bool:
        """The balance window ended and the balance was not paid."""
        return self.state is DepositState.AWAITING_BALANCE and now >= self.balance_ends_at

    def describe(self) -> str:
        missed = "forfeited" if self.forfeit_on_missed_balance else "refunded"
        return (f"deposit {format_yuan(self.deposit_fen)}, balance until "
                f"{self.balance_ends_at.isoformat()}; missed balance: {missed}")

    # ------------------------------------------------------------------ checks
    def check_deposit(self, fen: int, now: datetime, order: str) -> None:
        """The first payment of the order: exactly the deposit, before the window ends."""
        self._require(order, "pay the deposit of", DepositState.AWAITING_BALANCE)
        if now >= self.balance_ends_at:
            raise NotAllowed(f"paying the deposit of order {order}",
                             f"the balance window ended at {self.balance_ends_at.isoformat()}",
                             rule=RULE)
        if fen != self.deposit_fen:
            raise NotAllowed(f"payment of {format_yuan(fen)} for order {order}",
                             f"the deposit due is exactly {format_yuan(self.deposit_fen)}",
                             rule=RULE)

    def check_balance(self, fen: int, balance_fen: int, now: datetime, order: str) -> None:
        """The second payment: inside the balance window, exactly what is still due."""
        self._require(order, "pay the balance of", DepositState.COMPLETED)
        if not self.balance_open(now):
            opens = self.balance_opens_at
            when = (f"opens at {opens.isoformat()}" if opens is not None and now < opens
                    else f"ended at {self.balance_ends_at.isoformat()}")
            raise NotAllowed(f"paying the balance of order {order}",
                             f"the balance window {when}", rule=RULE)
        if fen != balance_fen:
            raise NotAllowed(f"payment of {format_yuan(fen)} for order {order}",
                             f"the balance due is exactly {format_yuan(balance_fen)}", rule=RULE)

    def check_settle(self, now: datetime, order: str) -> DepositState:
        """The balance is missed: the state the deposit moves to (forfeited / refunded)."""
        to = (DepositState.FORFEITED if self.forfeit_on_missed_balance
              else DepositState.REFUNDED)
        self._require(order, "settle the missed balance of", to)
        if now < self.balance_ends_at:
            raise NotAllowed(f"settling the balance of order {order} as missed",
                             f"the balance window is open until "
                             f"{self.balance_ends_at.isoformat()}", rule=RULE)
        return to

    def check_refund(self, order: str) -> None:
        self._require(order, "refund the deposit of", DepositState.REFUNDED)

    def check_cancel(self, order: str) -> None:
        self._require(order, "cancel", DepositState.CANCELLED)

    # ------------------------------------------------------------------ change
    def move(self, to: DepositState, now: datetime) -> None:
        """Move along ``presale_deposit.ALLOWED`` (checked again: never a silent edge)."""
        aware(now, "now", RULE)
        if to not in ALLOWED[self.state]:
            raise InvalidTransition(f"move the deposit to {to.value}", self.state.value,
                                    rule=RULE)
        self.transitions.append((self.state, to, now))
        self.state = to
        if to is DepositState.AWAITING_BALANCE:
            self.deposit_paid_at = now
        elif to is DepositState.COMPLETED:
            self.balance_paid_at = now
        else:
            self.settled_at = now

    def _require(self, order: str, action: str, to: DepositState) -> None:
        if to not in ALLOWED[self.state]:
            raise InvalidTransition(f"{action} order {order} (deposit → {to.value})",
                                    self.state.value, rule=RULE)
