"""Gateway notices and refund answers become order commands, once each (ORD-2, PAY-2, AS-6).

The adapter verifies and decrypts what WeChat Pay sends; this module decides what it
means for the order: a payment notice pays it (after checking the amount), a refund
notice settles one refund leg.  WeChat repeats a notice until it is acknowledged, and
may deliver the same one several times at once: a repeat is acknowledged with no
second effect, and the notices of one order are handled one at a time.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from mallcore.errors import AmountMismatch, NotFound, PaymentGatewayError
from mallcore.orders.order import Order
from mallcore.orders.payments import PaymentMethod, PaymentPart
from mallcore.orders.refunds import RefundStatus
from mallcore.payments import (
    PaymentGateway,
    PaymentNotice,
    RefundAnswer,
    RefundNotice,
    RefundRequest,
    RefundState,
    TradeState,
)
from mallcore.ports import EventPublisher, NumberSource, UnitOfWork
from mallcore.services import orders as order_services

T = TypeVar("T")
WECHAT = PaymentMethod.WECHAT


class NoticeOutcome(enum.StrEnum):
    """What a notice did; every outcome is acknowledged to the gateway."""

    PAID = "paid"
    DEPOSIT_PAID = "deposit_paid"  # PRE-6: the deposit; the balance comes later
    DUPLICATE = "duplicate"  # seen before: acknowledged, no effect
    REFUNDED_LATE = "refunded_late"  # the order had closed: recorded, refunded in full
    REFUNDED_SURPLUS = "refunded_surplus"  # paid twice: recorded, refunded in full
    REFUNDED_OUT_OF_STOCK = "refunded_out_of_stock"  # ORD-9
    NOT_PAID = "not_paid"  # a transaction notice whose state is not SUCCESS
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"  # retryable, with the reason (AS-6)
    REFUND_PENDING = "refund_pending"  # the gateway is still processing it


_FROM_PAYMENT = {
    order_services.PaymentOutcome.PAID: NoticeOutcome.PAID,
    order_services.PaymentOutcome.DEPOSIT_PAID: NoticeOutcome.DEPOSIT_PAID,
    order_services.PaymentOutcome.DUPLICATE: NoticeOutcome.DUPLICATE,
    order_services.PaymentOutcome.REFUNDED_LATE: NoticeOutcome.REFUNDED_LATE,
    order_services.PaymentOutcome.REFUNDED_SURPLUS: NoticeOutcome.REFUNDED_SURPLUS,
    order_services.PaymentOutcome.REFUNDED_OUT_OF_STOCK: NoticeOutcome.REFUNDED_OUT_OF_STOCK,
}

_FROM_REFUND = {
    RefundStatus.SUCCEEDED: NoticeOutcome.REFUND_SUCCEEDED,
    RefundStatus.FAILED: NoticeOutcome.REFUND_FAILED,
    RefundStatus.PENDING: NoticeOutcome.REFUND_PENDING,
}


def _read(uow: UnitOfWork, read: Callable[[], T]) -> T:
    with uow:
        return read()


def _wechat_leg_fen(order: Order, refund_number: str) -> int:
    try:
        return order.refund(refund_number).leg(WECHAT).fen
    except KeyError:
        raise NotFound(f"wechat leg of refund {refund_number}", f"not in order {order.number}",
                       rule="PAY-2") from None


def refund_failure_reason(state: RefundState) -> str:
    """AS-6: the reason kept on a failed leg when WeChat ends a refund without paying it."""
    if state is RefundState.ABNORMAL:
        return ("WeChat Pay refund ABNORMAL: the buyer's account cannot receive it "
                "(closed or frozen card); retry to the balance or refund offline")
    return "WeChat Pay refund CLOSED by the gateway"


class PaymentNotices:
    """The use cases behind the notification endpoint, over one unit of work.

    One lock per order number serialises concurrent deliveries of an order's notices
    in this process, so "seen already?" and "record it" are one step; across
    processes the storage adapter's optimistic versions refuse the loser (Conflict),
    which the endpoint answers with a retry request.
    """

    def __init__(self, uow: UnitOfWork, numbers: NumberSource, *,
                 publisher: EventPublisher | None = None) -> None:
        self.uow = uow
        self.numbers = numbers
        self.publisher = publisher
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def _serialised(self, order_number: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(order_number, threading.Lock())
        with lock:
            yield

    # ------------------------------------------------------------------ payments
    def payment(self, notice: PaymentNotice, *, now: datetime) -> NoticeOutcome:
        """ORD-2: a SUCCESS notice pays the order, if its amount is the amount due.

        Raises ``AmountMismatch`` (nothing recorded) when the amount or currency is
        not what the order is due; the caller reports it.  A repeat is DUPLICATE.
        """
        if notice.state is not TradeState.SUCCESS:
            return NoticeOutcome.NOT_PAID
        with self._serialised(notice.order_number):
            def check() -> bool:
                order = self.uow.orders.get(notice.order_number)
                if any(p.transaction_id == notice.transaction_id for p in order.payments):
                    return True
                due = order.next_payment_fen
                if notice.total_fen != due or notice.currency != order.currency:
                    raise AmountMismatch(
                        f"payment {notice.transaction_id} of order {order.number} "
                        f"({notice.currency})", expected_fen=due,
                        got_fen=notice.total_fen, rule="ORD-2")
                return False

            if _read(self.uow, check):
                return NoticeOutcome.DUPLICATE
            outcome = order_services.pay_order(
                self.uow, self.numbers, notice.order_number,
                [PaymentPart(WECHAT, notice.total_fen)], transaction_id=notice.transaction_id,
                now=now, publisher=self.publisher)
        return _FROM_PAYMENT[outcome]

    # ------------------------------------------------------------------ refunds
    def refund(self, notice: RefundNotice, *, now: datetime) -> NoticeOutcome:
        """PAY-2 / AS-6: the final state of one WeChat refund leg; a repeat is DUPLICATE."""
        with self._serialised(notice.order_number):
            def check() -> bool:
                order = self.uow.orders.get(notice.order_number)
                due = _wechat_leg_fen(order, notice.refund_number)
                if notice.refund_fen != due:
                    raise AmountMismatch(
                        f"refund {notice.refund_number} of order {order.number}",
                        expected_fen=due, got_fen=notice.refund_fen, rule="PAY-2")
                leg = order.refund(notice.refund_number).leg(WECHAT)
                if leg.status is RefundStatus.SUCCEEDED:
                    return True
                return (notice.status is not RefundState.SUCCESS
                        and leg.status is RefundStatus.FAILED
                        and leg.reason == refund_failure_reason(notice.status))

            if _read(self.uow, check):
                return NoticeOutcome.DUPLICATE
            if notice.status is RefundState.PROCESSING:
                return NoticeOutcome.REFUND_PENDING
            ok = notice.status is RefundState.SUCCESS
            status = order_services.refund_result(
                self.uow, notice.order_number, notice.refund_number, WECHAT, ok=ok, now=now,
                reason=None if ok else refund_failure_reason(notice.status),
                publisher=self.publisher)
        return _FROM_REFUND[status]


# ---------------------------------------------------------------------- sending refunds
def apply_refund_answer(uow: UnitOfWork, order_number: str, answer: RefundAnswer, *,
                        now: datetime, publisher: EventPublisher | None = None) -> RefundStatus:
    """The synchronous answer to a refund request: SUCCESS settles the leg, PROCESSING
    waits for the notice, ABNORMAL / CLOSED fail it with the reason (AS-6)."""
    if answer.status is RefundState.PROCESSING:
        return _read(uow, lambda: uow.orders.get(order_number).refund(
            answer.refund_number).status)
    ok = answer.status is RefundState.SUCCESS
    return order_services.refund_result(
        uow, order_number, answer.refund_number, WECHAT, ok=ok, now=now,
        reason=None if ok else refund_failure_reason(answer.status), publisher=publisher)


def apply_refund_error(uow: UnitOfWork, order_number: str, refund_number: str,
                       error: PaymentGatewayError, *, now: datetime,
                       publisher: EventPublisher | None = None) -> RefundStatus:
    """AS-6: a refused refund (NOT_ENOUGH, certificate expired …) stays retryable, and
    the leg keeps the gateway's reason for the merchant to act on."""
    return order_services.refund_result(uow, order_number, refund_number, WECHAT, ok=False,
                                        now=now, reason=str(error), publisher=publisher)


def send_wechat_refund(
    uow: UnitOfWork, gateway: PaymentGateway, order_number: str, refund_number: str, *,
    now: datetime, notify_url: str | None = None, reason: str | None = None,
    publisher: EventPublisher | None = None,
) -> RefundStatus:
    """PAY-2: ask the gateway to pay back the WeChat leg of a refund the order decided,
    and record what it answered.  The gateway is called outside any unit of work."""
    def request() -> RefundRequest:
        order = uow.orders.get(order_number)
        refund = order.refund(refund_number)
        fen = _wechat_leg_fen(order, refund_number)
        payments = [p for p in order.payments if WECHAT in p.by_method()]
        paid = next((p for p in payments if p.transaction_id == refund.transaction_id),
                    payments[0] if payments else None)
        if paid is None:
            raise NotFound(f"wechat payment of order {order_number}",
                           "the order was not paid by WeChat Pay", rule="PAY-2")
        return RefundRequest(order_number, refund_number, fen, paid.by_method()[WECHAT],
                             reason=reason, notify_url=notify_url,
                             transaction_id=paid.transaction_id)

    refund_request = _read(uow, request)
    try:
        answer = gateway.refund(refund_request)
    except PaymentGatewayError as error:
        return apply_refund_error(uow, order_number, refund_number, error, now=now,
                                  publisher=publisher)
    return apply_refund_answer(uow, order_number, answer, now=now, publisher=publisher)


__all__ = [
    "NoticeOutcome", "PaymentNotices", "apply_refund_answer",
    "apply_refund_error", "refund_failure_reason", "send_wechat_refund",
]
