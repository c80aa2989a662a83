"""``UnitOfWork`` on one database transaction.

Entering opens a connection and a transaction (``BEGIN IMMEDIATE`` on SQLite);
the repositories read rows into the aggregates as the use case asks for them;
``commit`` collects the aggregates' events, writes them to the outbox, writes
every changed row with its version check and commits, all in that one
transaction.  Leaving without ``commit`` (an exception, a refusal, a killed
process) rolls everything back: the database never holds half a use case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import Connection, Engine, insert

from mallcore.catalog import Catalog
from mallcore.errors import NotAllowed
from mallcore.inventory import Inventory
from mallcore.ports import DomainEvent
from mallcore.vouchers import VoucherBook
from mallcore_adapters.sqlalchemy import codec, schema
from mallcore_adapters.sqlalchemy.engine import unit_of_work_connection
from mallcore_adapters.sqlalchemy.repositories import (
    InventoryRows,
    SqlCouponBatches,
    SqlOrders,
    SqlPoints,
    flush_vouchers,
    voucher_book,
)

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """One use case's transaction; reusable, one transaction per ``with`` block."""

    orders: SqlOrders
    inventory: Inventory
    points: SqlPoints
    coupons: SqlCouponBatches
    vouchers: VoucherBook

    def __init__(self, engine: Engine, *, catalog: Catalog | None = None,
                 expiry_enabled: bool = True) -> None:
        self.engine = engine
        self.catalog = catalog
        self.expiry_enabled = expiry_enabled
        self._conn: Connection | None = None
        self._events: list[DomainEvent] = []
        self.commits = 0

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise NotAllowed("using the unit of work", "it is not open: use it in a `with`")
        return self._conn

    def __enter__(self) -> SqlUnitOfWork:
        if self._conn is not None:
            raise NotAllowed("opening the unit of work", "it is open already")
        conn = self.engine.connect()
        conn.begin()
        self._conn = conn
        self._joined = unit_of_work_connection(self.engine, conn)
        self._joined.__enter__()
        self.orders = SqlOrders(conn, self.catalog)
        self._inventory = InventoryRows(conn)
        self.inventory = self._inventory.inventory
        self.points = SqlPoints(conn, expiry_enabled=self.expiry_enabled)
        self.coupons = SqlCouponBatches(conn)
        self.vouchers, self._voucher_rows = voucher_book(conn)
        self._events = []
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        self._joined.__exit__(None, None, None)
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()

    def commit(self) -> None:
        conn = self.connection
        events = self._pull_events()
        if events:
            now = datetime.now(UTC)  # the outbox's own clock: when the row was written
            conn.execute(insert(schema.outbox), [
                {"at": now, "kind": type(e).__name__, "doc": codec.dumps(e)} for e in events])
        self.orders.flush()
        self._inventory.flush()
        self.points.flush()
        self.coupons.flush()
        flush_vouchers(conn, self._voucher_rows)
        conn.commit()
        self._events.extend(events)
        self.commits += 1

    def rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()

    def _pull_events(self) -> list[DomainEvent]:
        events: list[DomainEvent] = []
        for order in self.orders.rows.loaded():
            events.extend(order.pull_events())
        for voucher in self._voucher_rows.loaded():
            events.extend(voucher.pull_events())
        return events

    def collect_events(self) -> list[DomainEvent]:
        out, self._events = self._events, []
        return out
