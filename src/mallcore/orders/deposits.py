"""Deposit pre-sale steps of the ``Order`` (PRE-6), kept out of ``order.py``.

``DepositSteps`` is a mixin of ``Order``: the order's status moves pending payment →
deposit paid → paid (``orders.status.ALLOWED``), its ``OrderDeposit``
(``orders.presale``) moves along ``presale_deposit.ALLOWED`` in step, and every
refund goes through the order's own refund machinery, so refunds never exceed
what was paid.  The readings are in ``orders.presale``.  Every step checks
everything before it changes anything.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from mallcore.errors import InvalidInput
from mallcore.guards import aware
from mallcore.orders import events as ev
from mallcore.orders.payments import Payment
from mallcore.orders.presale import DepositState, OrderDeposit
from mallcore.orders.refunds import Refund
from mallcore.orders.status import CloseReason, OrderStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mallcore.orders.order import OrderLine


class DepositSteps:
    """PRE-6 (and the PRE-3 summary date) for ``Order``; see the module docstring."""

    if TYPE_CHECKING:  # what the mixin reads of the Order
        number: str
        status: OrderStatus
        deposit: OrderDeposit | None
        lines: Sequence[OrderLine]
        payments: list[Payment]
        events: list[ev.Event]

        @property
        def payable_fen(self) -> int: ...

        @property
        def paid_fen(self) -> int: ...

        @property
        def refunded_fen(self) -> int: ...

        def _require(self, action: str, *allowed: OrderStatus, rule: str = "ORD-1") -> None: ...

        def _move(self, to: OrderStatus, action: str) -> None: ...

        def _close(self, reason: CloseReason, now: datetime) -> None: ...

        def _full_refund(self, number: str, cause: str, now: datetime) -> Refund | None: ...

        def _paid_in_full(self, payment: Payment, now: datetime) -> None: ...

    @property
    def balance_fen(self) -> int:
        """PRE-6: what the balance payment is (the payable less the deposit); the whole
        payable for an order without a deposit."""
        return self.payable_fen - (self.deposit.deposit_fen if self.deposit else 0)

    @property
    def next_payment_fen(self) -> int:
        """ORD-2 / PRE-6: the exact amount the next payment must be: the deposit, then
        the rest of the balance; the whole payable for an order without a deposit (and
        for a late or second payment, which is booked and refunded as a surplus)."""
        if self.deposit is not None and self.status is OrderStatus.PENDING_PAYMENT:
            return self.deposit.deposit_fen
        if self.deposit is not None and self.status is OrderStatus.DEPOSIT_PAID:
            return self.payable_fen - self.paid_fen
        return self.payable_fen

    @property
    def ship_from(self) -> date | None:
        """PRE-3: the earliest ship date of its pre-sale lines, once paid in full."""
        dates = [line.ship_from for line in self.lines if line.ship_from is not None]
        return min(dates) if dates else None

    def due_for_settlement(self, now: datetime) -> bool:
        """PRE-6: deposit paid, and the balance window ended unpaid."""
        return (self.status is OrderStatus.DEPOSIT_PAID and self.deposit is not None
                and self.deposit.missed(now))


    # ------------------------------------------------------------------ PRE-6
    def _pay_deposit_order(self, payment: Payment, now: datetime) -> Payment:
        """The deposit first (→ deposit paid), then the balance in its window (→ paid)."""
        deposit = self.deposit
        assert deposit is not None
        if self.status is OrderStatus.PENDING_PAYMENT:
            deposit.check_deposit(payment.fen, now, self.number)
            self.payments.append(payment)
            deposit.move(DepositState.AWAITING_BALANCE, now)
            self._move(OrderStatus.DEPOSIT_PAID, "pay the deposit of")
            self.events.append(ev.DepositPaid(self.number, now, payment.transaction_id,
                                              payment.fen, self.balance_fen,
                                              deposit.balance_ends_at))
            return payment
        deposit.check_balance(payment.fen, self.payable_fen - self.paid_fen, now, self.number)
        deposit.move(DepositState.COMPLETED, now)
        self._paid_in_full(payment, now)
        return payment

    def settle_missed_balance(self, refund_number: str, now: datetime) -> Refund | None:
        """PRE-6: the balance window ended unpaid: the deposit is forfeited, or refunded
        (through the order's refunds) as the terms say; the order closes."""
        aware(now)
        self._require("settle the balance of", OrderStatus.DEPOSIT_PAID, rule="PRE-6")
        assert self.deposit is not None
        to = self.deposit.check_settle(now, self.number)
        refund = None
        if to is DepositState.REFUNDED:
            refund = self._full_refund(refund_number, "balance_missed", now)
        self._end_deposit(to, CloseReason.BALANCE_MISSED, refund, now)
        return refund

    def refund_deposit(self, refund_number: str, *, reason: str, now: datetime) -> Refund | None:
        """PRE-6: the merchant refunds the deposit before the balance is paid (cancelling
        the pre-sale, or agreeing to the buyer's request); the order closes."""
        aware(now)
        self._require("refund the deposit of", OrderStatus.DEPOSIT_PAID, rule="PRE-6")
        assert self.deposit is not None
        self.deposit.check_refund(self.number)
        if not reason.strip():
            raise InvalidInput("deposit refund", "needs a reason", rule="PRE-6")
        refund = self._full_refund(refund_number, "deposit_refunded", now)
        self._end_deposit(DepositState.REFUNDED, CloseReason.DEPOSIT_REFUNDED, refund, now)
        return refund

    def _end_deposit(self, to: DepositState, reason: CloseReason, refund: Refund | None,
                     now: datetime) -> None:
        assert self.deposit is not None
        refunded = refund.fen if refund is not None else 0
        self.deposit.move(to, now)
        self.events.append(ev.DepositSettled(self.number, now, to.value, refunded,
                                             self.paid_fen - self.refunded_fen))
        self._close(reason, now)
