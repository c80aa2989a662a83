"""Write-off voucher use cases: issue on payment, verify at the counter, staff actions,
and refunds of unused uses through the order's refund path (VCH-1..9).

The voucher decides what may be verified, transferred or refunded; the order
decides how much money may go back (AS-2, AS-5).  Both change in one unit of work.
"""

from __future__ import annotations

from datetime import datetime

from mallcore.money import allocate
from mallcore.orders.order import Order
from mallcore.ports import EventPublisher, NumberSource, UnitOfWork
from mallcore.services._uow import run as _run
from mallcore.vouchers import (
    CodeGenerator,
    Store,
    VerificationMethod,
    VerificationRecord,
    Verifier,
    Voucher,
    VoucherCatalog,
    system_random,
)


def issue_for_order(
    uow: UnitOfWork, catalog: VoucherCatalog, order: Order, numbers: NumberSource,
    now: datetime, codes: CodeGenerator = system_random,
) -> list[Voucher]:
    """VCH-1, VCH-9: a paid order's lines whose product grants vouchers get them.

    Called inside the payment's unit of work (``pay_order``), so an order is never
    paid without its vouchers, nor vouchers issued for an unpaid order.
    """
    issued: list[Voucher] = []
    for line in order.lines:
        terms = catalog.grants(line.product_id)
        if terms is None:
            continue
        issued += uow.vouchers.issue(
            terms, order_number=order.number, line_id=line.line_id,
            customer_id=order.customer_id, quantity=line.quantity, now=now,
            ids=lambda: numbers.next("V"), codes=codes,
        )
    return issued


def verify_voucher(
    uow: UnitOfWork, code: str, *, verifier: Verifier, store: Store, uses: int,
    now: datetime, how: VerificationMethod, publisher: EventPublisher | None = None,
) -> VerificationRecord:
    """VCH-3: a mistyped code is refused before any lookup; every check, then a record."""
    return _run(uow, publisher, lambda: uow.vouchers.verify(code, verifier, store, uses, now,
                                                            how))


def transfer_voucher(
    uow: UnitOfWork, numbers: NumberSource, voucher_id: str, uses: int, *,
    to_customer_id: str, now: datetime, by: str, codes: CodeGenerator = system_random,
    publisher: EventPublisher | None = None,
) -> str:
    """VCH-4: staff move n uses to another member; returns the new voucher's id."""
    def work() -> str:
        child = uow.vouchers.transfer(voucher_id, uses, to_customer_id=to_customer_id,
                                      new_voucher_id=numbers.next("V"), now=now, by=by,
                                      codes=codes)
        return child.id

    return _run(uow, publisher, work)


def void_voucher(uow: UnitOfWork, voucher_id: str, *, now: datetime, by: str, reason: str,
                 publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.vouchers.get(voucher_id).void(now, by, reason))


def restore_voucher(uow: UnitOfWork, voucher_id: str, *, now: datetime, by: str,
                    publisher: EventPublisher | None = None) -> None:
    _run(uow, publisher, lambda: uow.vouchers.get(voucher_id).restore(now, by))


def change_voucher_validity(
    uow: UnitOfWork, voucher_id: str, *, new_end: datetime, now: datetime, by: str,
    publisher: EventPublisher | None = None,
) -> None:
    _run(uow, publisher, lambda: uow.vouchers.get(voucher_id).change_validity(new_end, now,
                                                                              by))


def paid_for_voucher(uow: UnitOfWork, order: Order, origin_id: str) -> int:
    """What the buyer paid for one issued voucher: its line's amount due, split over
    the line's issued vouchers by their uses, to the fen (PIPE-3)."""
    origin = uow.vouchers.get(origin_id)
    issued = {v.id: v.total_uses for v in uow.vouchers.by_order(order.number)
              if v.line_id == origin.line_id and v.origin.voucher_id == v.id}
    return allocate(order.due[origin.line_id], issued)[origin_id]


def refund_voucher(
    uow: UnitOfWork, numbers: NumberSource, voucher_id: str, *, now: datetime, by: str,
    publisher: EventPublisher | None = None,
) -> str | None:
    """VCH-7: staff refund the unused uses, even of a non-refundable product; the money,
    pro rata, goes back through the order's refund path.  Returns the refund number
    (None when the unused uses were worth nothing)."""
    def work() -> str | None:
        voucher = uow.vouchers.get(voucher_id)
        order = uow.orders.get(voucher.order_number)
        voucher.refund_unused(now, by)
        fen = voucher.refund_fen(paid_for_voucher(uow, order, voucher.origin.voucher_id))
        if not fen:
            return None
        refund = order.refund_line(voucher.line_id, fen, refund_number=numbers.next("R"),
                                   cause="voucher", now=now)
        return refund.number

    return _run(uow, publisher, work)
