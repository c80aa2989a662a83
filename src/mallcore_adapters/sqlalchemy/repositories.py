"""The core's repositories on one connection of a unit of work.

Each repository reads the rows it needs as it is asked, keeps what it read for
the rest of the unit of work (one object per row, so two reads see one state),
and writes at flush.  The exactly-once tables (``schema`` lists them) are written
in the same transaction as the document, so a duplicate is refused by the
database whatever the documents say.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from mallcore.catalog import Catalog
from mallcore.coupons.batches import CouponBatch, WalletEntry, wallet_of
from mallcore.customers.points import PointsAccount
from mallcore.errors import Conflict, NotFound, StaleState
from mallcore.inventory import Inventory
from mallcore.orders.order import Order
from mallcore.orders.search import OrderQuery
from mallcore.orders.status import CloseReason
from mallcore.orders.summary import OrderSummary
from mallcore.orders.views import summarize
from mallcore.vouchers import VoucherBook
from mallcore.vouchers.model import Voucher
from mallcore_adapters.sqlalchemy import codec, schema
from mallcore_adapters.sqlalchemy.rows import AppendLog, Documents, LazyMapping, LazySet
from mallcore_adapters.sqlalchemy.search import search_summaries, utc

_SUMMARY_SETS = ("payment_methods", "payment_ids", "product_types", "activity_types",
                 "tracking_numbers", "product_ids", "product_names", "categories", "brands",
                 "sku_ids")


def _counts_as_paid(order: Order) -> int:
    """ACT-5's "has had an order paid": paid, and not refused for want of stock."""
    return int(order.paid_at is not None and order.close_reason is not CloseReason.OUT_OF_STOCK)


# ------------------------------------------------------------------ orders
class SqlOrders:
    """``OrderRepository``: orders with their payments, refunds and search rows."""

    def __init__(self, conn: Connection, catalog: Catalog | None = None) -> None:
        self.conn = conn
        self.catalog = catalog
        self.rows: Documents[Order] = Documents(
            conn, schema.orders, "number", rule="ORD-1",
            columns=lambda o: {"customer_id": o.customer_id, "status": o.status.value,
                               "placed_at": utc(o.placed_at), "paid_at": utc(o.paid_at),
                               "counts_as_paid": _counts_as_paid(o)})
        self._payments: dict[str, set[str]] = {}  # order → transaction ids read
        self._refunds: dict[str, dict[str, str]] = {}  # order → refund no. → status

    def add(self, order: Order) -> None:
        if self.rows.get(order.number) is not None:
            raise Conflict(f"order {order.number}", "exists already", rule="ORD-1")
        self.rows.put(order.number, order)
        self._payments[order.number] = set()
        self._refunds[order.number] = {}

    def get(self, number: str) -> Order:
        order = self.rows.get(number)
        if order is None:
            raise NotFound(f"order {number!r}", "unknown order", rule="ORD-7")
        if number not in self._payments:
            self._payments[number] = set(self.conn.execute(
                select(schema.order_payments.c.transaction_id)
                .where(schema.order_payments.c.order_number == number)).scalars())
            self._refunds[number] = {
                r.refund_number: r.status for r in self.conn.execute(
                    select(schema.order_refunds.c.refund_number, schema.order_refunds.c.status)
                    .where(schema.order_refunds.c.order_number == number))}
        return order

    def __iter__(self) -> Iterator[Order]:
        return iter([self.get(number) for number in self.rows.all_keys()])

    def due_for_attention(self) -> Iterator[Order]:
        """Orders not yet completed or closed: what the timers look at."""
        numbers = self.conn.execute(
            select(schema.orders.c.number)
            .where(schema.orders.c.status.not_in(("completed", "closed")))
            .order_by(schema.orders.c.number)).scalars()
        return iter([self.get(n) for n in numbers])

    def search(self, query: OrderQuery, now: datetime) -> list[OrderSummary]:
        self.flush()  # what this unit of work changed is searchable in it
        return search_summaries(self.conn, query, now)

    def has_paid_order(self, customer_id: str) -> bool:
        if any(o.customer_id == customer_id and _counts_as_paid(o) for o in self.rows.loaded()):
            return True
        return bool(self.conn.execute(select(exists().where(
            schema.orders.c.customer_id == customer_id,
            schema.orders.c.counts_as_paid == 1))).scalar())

    def flush(self) -> None:
        for _, order in self.rows.flush():
            self._write_payments(order)
            self._write_refunds(order)
            self._write_summary(order)

    def _write_payments(self, order: Order) -> None:
        known = self._payments.setdefault(order.number, set())
        for payment in order.payments:
            if payment.transaction_id in known:
                continue
            try:
                self.conn.execute(insert(schema.order_payments).values(
                    transaction_id=payment.transaction_id, order_number=order.number,
                    fen=payment.fen, at=utc(payment.at)))
            except IntegrityError:
                raise StaleState(f"payment {payment.transaction_id!r}",
                                 "recorded by another unit of work first", rule="ORD-2") from None
            known.add(payment.transaction_id)

    def _write_refunds(self, order: Order) -> None:
        known = self._refunds.setdefault(order.number, {})
        for refund in order.refunds:
            status = refund.status.value
            if refund.number not in known:
                try:
                    self.conn.execute(insert(schema.order_refunds).values(
                        refund_number=refund.number, order_number=order.number,
                        fen=refund.fen, status=status))
                except IntegrityError:
                    raise Conflict(f"refund {refund.number!r}", "the number is taken",
                                   rule="AS-6") from None
            elif known[refund.number] != status:
                self.conn.execute(update(schema.order_refunds)
                                  .where(schema.order_refunds.c.refund_number == refund.number)
                                  .values(status=status))
            known[refund.number] = status

    def _write_summary(self, order: Order) -> None:
        s = summarize(order, self.catalog)
        number = order.number
        self.conn.execute(delete(schema.order_terms).where(schema.order_terms.c.number == number))
        self.conn.execute(delete(schema.order_summaries)
                          .where(schema.order_summaries.c.number == number))
        self.conn.execute(insert(schema.order_summaries).values(
            number=number, status=s.status, logistics=s.logistics, placed_at=utc(s.placed_at),
            paid_at=utc(s.paid_at), total_fen=s.total_fen, star=s.star, customer_id=s.customer_id,
            phone=s.phone, consignee_lc=None if s.consignee is None else s.consignee.lower(),
            open_after_sales=s.open_after_sales,
            refund_requested=int(s.refund_requested), doc=codec.dumps(s)))
        terms = [{"number": number, "field": field, "value": value}
                 for field in _SUMMARY_SETS for value in sorted(getattr(s, field))]
        terms += [{"number": number, "field": "product_names_lc", "value": value}
                  for value in sorted({n.lower() for n in s.product_names})]
        if terms:
            self.conn.execute(insert(schema.order_terms), terms)


# ------------------------------------------------------------------ points
class SqlPoints:
    """``PointsAccounts``: one document per customer's ledger."""

    def __init__(self, conn: Connection, *, expiry_enabled: bool = True) -> None:
        self.rows: Documents[PointsAccount] = Documents(conn, schema.points_accounts,
                                                        "customer_id", rule="PTS-4")
        self.expiry_enabled = expiry_enabled

    def get(self, customer_id: str) -> PointsAccount:
        account = self.rows.get(customer_id)
        if account is None:
            account = PointsAccount(customer_id, expiry_enabled=self.expiry_enabled)
            self.rows.put(customer_id, account)
        return account

    def flush(self) -> None:
        self.rows.flush()


# ------------------------------------------------------------------ coupons
class SqlCouponBatches:
    """``CouponRedemptions`` through the batches (CPN-3..8), one document per batch,
    and one ``coupon_redemptions`` row per use in force: a single-use code has one
    slot, so two orders can never both hold it, even past the batch's version."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.rows: Documents[CouponBatch] = Documents(conn, schema.coupon_batches, "id",
                                                      rule="CPN-4")

    def add(self, batch: CouponBatch) -> None:
        if self.rows.get(batch.id) is not None:
            raise Conflict(f"coupon batch {batch.id}", "exists already", rule="CPN-2")
        self.rows.put(batch.id, batch)

    def get(self, batch_id: str) -> CouponBatch:
        batch = self.rows.get(batch_id)
        if batch is None:
            raise NotFound(f"coupon batch {batch_id!r}", "no such batch", rule="CPN-2")
        return batch

    def batch_of(self, code: str) -> CouponBatch:
        for batch in self.rows.loaded():
            if code in {c.code for c in batch.codes()}:
                return batch
        batch_id = self.conn.execute(select(schema.coupon_codes.c.batch_id)
                                     .where(schema.coupon_codes.c.code == code)).scalar()
        if batch_id is None:
            raise NotFound(f"coupon {code!r}", "no batch has this code", rule="CPN-4")
        return self.get(batch_id)

    def batches(self) -> list[CouponBatch]:
        return [self.get(batch_id) for batch_id in self.rows.all_keys()]

    def wallet(self, customer_id: str, now: datetime) -> tuple[WalletEntry, ...]:
        return wallet_of(self.batches(), customer_id, now)

    def redeem(self, code: str, *, customer_id: str, order_number: str, now: datetime) -> None:
        self.batch_of(code).redeem(code, customer_id=customer_id, order_number=order_number,
                                   now=now)

    def restore(self, code: str, *, order_number: str, now: datetime) -> None:
        self.batch_of(code).restore(code, order_number, now=now)

    def flush(self) -> None:
        for batch_id, batch in self.rows.flush():
            self._write_codes(batch_id, batch)
            self._write_redemptions(batch)

    def _write_codes(self, batch_id: str, batch: CouponBatch) -> None:
        table = schema.coupon_codes
        stored = set(self.conn.execute(select(table.c.code).where(table.c.batch_id == batch_id))
                     .scalars())
        new = [{"code": c.code, "batch_id": batch_id} for c in batch.codes()
               if c.code not in stored]
        if new:
            try:
                self.conn.execute(insert(table), new)
            except IntegrityError:
                raise Conflict(f"coupon batch {batch_id}", "a code belongs to another batch",
                               rule="CPN-2") from None

    def _write_redemptions(self, batch: CouponBatch) -> None:
        table = schema.coupon_redemptions
        wanted: set[tuple[str, int, str]] = set()
        slots: dict[str, int] = {}
        for use in batch.uses():
            slots[use.code] = slots.get(use.code, 0) + 1
            wanted.add((use.code, slots[use.code], use.order_number))
        codes = [c.code for c in batch.codes()]
        stored = {(r.code, r.slot, r.order_number) for r in self.conn.execute(
            select(table.c.code, table.c.slot, table.c.order_number)
            .where(table.c.code.in_(codes)))} if codes else set()
        for code, slot, order in stored - wanted:
            self.conn.execute(delete(table).where(table.c.code == code, table.c.slot == slot,
                                                  table.c.order_number == order))
        for code, slot, order in sorted(wanted - stored):
            try:
                self.conn.execute(insert(table).values(code=code, slot=slot, order_number=order))
            except IntegrityError:
                raise StaleState(f"coupon {code!r}", "redeemed by another order first",
                                 rule="CPN-4") from None


# ------------------------------------------------------------------ vouchers
class _CodeIndex(LazyMapping[str, str]):
    """The voucher book's code → id index, answered by the vouchers table."""

    def __init__(self, conn: Connection, vouchers: Documents[Voucher]) -> None:
        super().__init__(vouchers)  # type: ignore[arg-type]
        self.conn = conn
        self._added: dict[str, str] = {}

    def __getitem__(self, code: str) -> str:
        if code in self._added:
            return self._added[code]
        found = self.conn.execute(select(schema.vouchers.c.id)
                                  .where(schema.vouchers.c.code == code)).scalar()
        if found is None:
            raise KeyError(code)
        return str(found)

    def __setitem__(self, code: str, voucher_id: str) -> None:
        self._added[code] = voucher_id

    def __contains__(self, code: object) -> bool:
        try:
            self[code]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        yield from self.conn.execute(select(schema.vouchers.c.code)).scalars()
        yield from self._added


def _voucher_columns(v: Voucher) -> dict[str, object]:
    return {"code": v.code, "order_number": v.order_number, "customer_id": v.customer_id,
            "issued_at": utc(v.issued_at)}


def voucher_book(conn: Connection) -> tuple[VoucherBook, Documents[Voucher]]:
    rows: Documents[Voucher] = Documents(conn, schema.vouchers, "id", _voucher_columns,
                                         rule="VCH-1")
    book = VoucherBook.__new__(VoucherBook)
    book.__dict__.update({"_by_id": LazyMapping(rows), "_ids_by_code": _CodeIndex(conn, rows)})
    return book, rows


def flush_vouchers(conn: Connection, rows: Documents[Voucher]) -> None:
    """Write changed vouchers, and one ``voucher_uses`` row per use (VCH-2): the
    key (voucher, use number) makes a use beyond ``total_uses`` impossible to record
    twice, even by two units of work that read the same version."""
    table = schema.voucher_uses
    for voucher_id, voucher in rows.flush():
        stored = int(conn.execute(select(table.c.use_number).where(table.c.voucher_id == voucher_id)
                                  .order_by(table.c.use_number.desc()).limit(1)).scalar() or 0)
        if voucher.used > stored:
            at = voucher.verifications[-1].at if voucher.verifications else voucher.issued_at
            try:
                conn.execute(insert(table), [
                    {"voucher_id": voucher_id, "use_number": n, "at": utc(at)}
                    for n in range(stored + 1, voucher.used + 1)])
            except IntegrityError:
                raise StaleState(f"voucher {voucher_id}", "verified by another unit of work "
                                 "first", rule="VCH-2") from None
        elif voucher.used < stored:
            conn.execute(delete(table).where(table.c.voucher_id == voucher_id,
                                             table.c.use_number > voucher.used))


# ------------------------------------------------------------------ inventory
class InventoryRows:
    """An ``Inventory`` whose SKUs, reservations and sales are rows read on demand:
    the rules stay in ``Inventory``; each SKU row is versioned, so two orders that
    race for the last unit of one SKU cannot both commit."""

    def __init__(self, conn: Connection) -> None:
        self.stock: Documents[Any] = Documents(conn, schema.stock_levels, "sku_id", rule="ORD-9")
        self.reservations: Documents[Any] = Documents(conn, schema.stock_reservations, "ref",
                                                      rule="ORD-9")
        self.sold: Documents[Any] = Documents(conn, schema.stock_sold, "ref", rule="AS-3")
        self.taken: LazySet[str] = LazySet(conn, schema.stock_taken, "ref")
        self.movements: AppendLog[Any] = AppendLog(conn, schema.stock_movements)
        inventory = Inventory.__new__(Inventory)
        inventory.__setstate__({
            "shop_id": None, "_stock": LazyMapping(self.stock),
            "_reservations": LazyMapping(self.reservations), "_taken": self.taken,
            "_sold": LazyMapping(self.sold), "_movements": self.movements,
        })
        self.inventory = inventory

    def flush(self) -> None:
        self.stock.flush()
        self.reservations.flush()
        self.sold.flush()
        self.taken.flush()
        self.movements.flush()
