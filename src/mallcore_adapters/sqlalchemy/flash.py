"""Flash-sale (and limited-time) stock and per-user limits by conditional update (FS-2, FS-5).

Each call is its own short transaction, outside any unit of work (the port's
contract, ``mallcore.promotions.flash_stock``).  Exactly-once is the database's:

* a reservation first claims its ``ref`` row (primary key): a retried request
  finds it and returns the first answer, never reserving twice;
* the stock moves by ``UPDATE … SET remaining = remaining - :n WHERE remaining >= :n``,
  one statement the database serialises on the row: no read-then-write window,
  so no oversell at any concurrency;
* a limit is used by ``UPDATE … SET used = used + :n WHERE used + :n <= :limit``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from mallcore.errors import InvalidTransition, LimitReached, NotAllowed, NotFound
from mallcore.guards import identifier, whole
from mallcore_adapters.sqlalchemy import schema
from mallcore_adapters.sqlalchemy.engine import short_transaction

__all__ = ["SqlFlashLimits", "SqlFlashStock"]

S = schema.flash_stock
H = schema.flash_holds
C = schema.flash_limit_counts
U = schema.flash_limit_uses

HELD, REFUSED, RELEASED, SOLD = "held", "refused", "released", "sold"

_ONE_STATEMENT = text("""
WITH moved AS (
    UPDATE flash_stock SET remaining = remaining - :q, reserved = reserved + :q
    WHERE sale_id = :sale AND sku_id = :sku AND remaining >= :q
    RETURNING 1
)
INSERT INTO flash_holds (ref, sale_id, sku_id, quantity, state)
VALUES (:ref, :sale, :sku, :q,
        CASE WHEN EXISTS (SELECT 1 FROM moved) THEN 'held' ELSE 'refused' END)
RETURNING state
""")
USED, CONFIRMED, RETURNED = "used", "confirmed", "returned"


def _insert_ignore(conn: Connection, table: Any, values: dict[str, object]) -> bool:
    """Insert unless the key exists; True if this call inserted."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        stmt: Any = pg_insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - other databases: a savepoint around a plain insert
        try:
            with conn.begin_nested():
                conn.execute(insert(table).values(**values))
        except IntegrityError:
            return False
        return True
    key = next(iter(table.primary_key.columns))
    return conn.execute(stmt.returning(key)).first() is not None


class SqlFlashStock:
    """``FlashStock`` on the ``flash_stock`` / ``flash_holds`` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _begin(self) -> AbstractContextManager[Connection]:
        return short_transaction(self.engine)

    def load(self, sale_id: str, sku_id: str, stock: int) -> bool:
        sale_id = identifier(sale_id, "flash sale id", "FS-1")
        sku_id = identifier(sku_id, "flash SKU", "FS-1")
        stock = whole(stock, f"flash stock of SKU {sku_id!r} in sale {sale_id!r}", "FS-1",
                      minimum=1)
        with self._begin() as conn:
            if _insert_ignore(conn, S, {"sale_id": sale_id, "sku_id": sku_id, "loaded": stock,
                                        "remaining": stock, "reserved": 0, "sold": 0}):
                return True
            loaded = conn.execute(select(S.c.loaded).where(S.c.sale_id == sale_id,
                                                           S.c.sku_id == sku_id)).scalar_one()
        if loaded != stock:
            raise NotAllowed(f"loading flash stock of SKU {sku_id!r} in sale {sale_id!r}",
                             f"it was loaded with {loaded}, not {stock}", rule="FS-1")
        return False

    def reserve(self, sale_id: str, sku_id: str, quantity: int, ref: str) -> bool:
        sale_id = identifier(sale_id, "flash sale id", "FS-5")
        sku_id = identifier(sku_id, "flash SKU", "FS-5")
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-5", minimum=1)
        ref = identifier(ref, "flash reservation reference", "FS-5")
        if self.engine.dialect.name == "postgresql":
            return self._reserve_in_one_statement(sale_id, sku_id, quantity, ref)
        with self._begin() as conn:
            level = select(S.c.loaded).where(S.c.sale_id == sale_id, S.c.sku_id == sku_id)
            if conn.execute(level).first() is None:
                raise NotFound(f"flash stock of SKU {sku_id!r} in sale {sale_id!r}",
                               "not loaded", rule="FS-1")
            if not _insert_ignore(conn, H, {"ref": ref, "sale_id": sale_id, "sku_id": sku_id,
                                            "quantity": quantity, "state": HELD}):
                return self._repeat(conn, ref, sale_id, sku_id, quantity)
            moved = conn.execute(
                update(S).where(S.c.sale_id == sale_id, S.c.sku_id == sku_id,
                                S.c.remaining >= quantity)
                .values(remaining=S.c.remaining - quantity, reserved=S.c.reserved + quantity)
            ).rowcount
            if moved != 1:
                conn.execute(update(H).where(H.c.ref == ref).values(state=REFUSED))
                return False
            return True

    def _reserve_in_one_statement(self, sale_id: str, sku_id: str, quantity: int,
                                  ref: str) -> bool:
        """PostgreSQL: the move and the ref's row in one autocommitted statement, so
        the hot stock row is locked for one round trip.  A repeated ref breaks the
        primary key, which undoes the whole statement (the move included); its first
        answer is then read back."""
        params = {"sale": sale_id, "sku": sku_id, "q": quantity, "ref": ref}
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                state = conn.execute(_ONE_STATEMENT, params).scalar_one()
        except IntegrityError:
            with self._begin() as conn:
                return self._repeat(conn, ref, sale_id, sku_id, quantity)
        if state == HELD:
            return True
        with self.engine.begin() as conn:  # refused: was the stock ever loaded?
            if conn.execute(select(S.c.loaded).where(S.c.sale_id == sale_id,
                                                     S.c.sku_id == sku_id)).first() is None:
                conn.execute(H.delete().where(H.c.ref == ref))
                raise NotFound(f"flash stock of SKU {sku_id!r} in sale {sale_id!r}",
                               "not loaded", rule="FS-1")
        return False

    @staticmethod
    def _repeat(conn: Connection, ref: str, sale_id: str, sku_id: str, quantity: int) -> bool:
        row = conn.execute(select(H).where(H.c.ref == ref)).one()
        if (row.sale_id, row.sku_id, row.quantity) != (sale_id, sku_id, quantity):
            raise NotAllowed(f"reserving flash stock under {ref!r}",
                             f"{ref!r} already reserved {row.quantity} of SKU {row.sku_id!r} in "
                             f"sale {row.sale_id!r}", rule="FS-5")
        return bool(row.state != REFUSED)

    def _move(self, ref: str, to: str, action: str) -> bool:
        ref = identifier(ref, "flash reservation reference", "FS-5")
        with self._begin() as conn:
            row = conn.execute(select(H).where(H.c.ref == ref)).first()
            if row is None:
                if to == RELEASED:
                    return False
                raise NotFound(f"{action} {ref!r}", "no flash stock was reserved", rule="FS-5")
            if row.state != HELD:
                if row.state == to:
                    return False
                if to == RELEASED:
                    return False
                raise InvalidTransition(f"{action} {ref!r}", row.state,
                                        rule="FS-3" if row.state == RELEASED else "FS-5")
            if conn.execute(update(H).where(H.c.ref == ref, H.c.state == HELD)
                            .values(state=to)).rowcount != 1:
                return False  # a concurrent call moved it first
            bucket = {RELEASED: {"remaining": S.c.remaining + row.quantity},
                      SOLD: {"sold": S.c.sold + row.quantity}}[to]
            conn.execute(update(S).where(S.c.sale_id == row.sale_id, S.c.sku_id == row.sku_id)
                         .values(reserved=S.c.reserved - row.quantity, **bucket))
            return True

    def release(self, ref: str) -> bool:
        return self._move(ref, RELEASED, "releasing the flash reservation")

    def confirm(self, ref: str) -> bool:
        return self._move(ref, SOLD, "confirming the flash reservation")

    def _column(self, sale_id: str, sku_id: str, column: str) -> int:
        with self._begin() as conn:
            value = conn.execute(select(S.c[column]).where(S.c.sale_id == sale_id,
                                                           S.c.sku_id == sku_id)).scalar()
        if value is None:
            raise NotFound(f"flash stock of SKU {sku_id!r} in sale {sale_id!r}", "not loaded",
                           rule="FS-1")
        return int(value)

    def remaining(self, sale_id: str, sku_id: str) -> int:
        return self._column(sale_id, sku_id, "remaining")

    def reserved(self, sale_id: str, sku_id: str) -> int:
        return self._column(sale_id, sku_id, "reserved")

    def sold(self, sale_id: str, sku_id: str) -> int:
        return self._column(sale_id, sku_id, "sold")

    def holds(self, sale_id: str) -> list[tuple[str, str, int, str]]:
        """(ref, SKU, quantity, state) of every reservation of a sale: what the Redis
        store is reconciled with and rebuilt from."""
        with self._begin() as conn:
            rows = conn.execute(select(H.c.ref, H.c.sku_id, H.c.quantity, H.c.state)
                                .where(H.c.sale_id == sale_id).order_by(H.c.ref))
            return [(r.ref, r.sku_id, r.quantity, r.state) for r in rows]


class SqlFlashLimits:
    """``FlashLimitLedger`` on ``flash_limit_counts`` / ``flash_limit_uses`` (FS-2)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _begin(self) -> AbstractContextManager[Connection]:
        return short_transaction(self.engine)

    def used(self, sale_id: str, customer_id: str, sku_id: str) -> int:
        with self._begin() as conn:
            value = conn.execute(select(C.c.used).where(
                C.c.sale_id == sale_id, C.c.customer_id == customer_id,
                C.c.sku_id == sku_id)).scalar()
        return int(value or 0)

    def use(self, sale_id: str, customer_id: str, sku_id: str, quantity: int, ref: str, *,
            limit: int | None) -> None:
        sale_id = identifier(sale_id, "flash sale id", "FS-2")
        customer_id = identifier(customer_id, "customer id", "FS-2")
        sku_id = identifier(sku_id, "flash SKU", "FS-2")
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-2", minimum=1)
        ref = identifier(ref, "flash order reference", "FS-2")
        if limit is not None:
            limit = whole(limit, f"per-user limit of SKU {sku_id!r}", "FS-2", minimum=1)
        key = {"sale_id": sale_id, "customer_id": customer_id, "sku_id": sku_id}
        with self._begin() as conn:
            if not _insert_ignore(conn, U, {"ref": ref, "quantity": quantity, "state": USED,
                                            **key}):
                row = conn.execute(select(U).where(U.c.ref == ref)).one()
                if (row.sale_id, row.customer_id, row.sku_id, row.quantity) != (
                        sale_id, customer_id, sku_id, quantity):
                    raise NotAllowed(f"using the flash limit under {ref!r}",
                                     f"{ref!r} already used {row.quantity} of SKU "
                                     f"{row.sku_id!r} for customer {row.customer_id!r} in sale "
                                     f"{row.sale_id!r}", rule="FS-2")
                if row.state == RETURNED:
                    raise NotAllowed(f"using the flash limit under {ref!r}",
                                     "its order was closed and the limit given back; a new "
                                     "order needs a new reference", rule="FS-2")
                return
            _insert_ignore(conn, C, {**key, "used": 0})
            where = [C.c.sale_id == sale_id, C.c.customer_id == customer_id, C.c.sku_id == sku_id]
            if limit is not None:
                where.append(C.c.used + quantity <= limit)
            if conn.execute(update(C).where(*where).values(used=C.c.used + quantity)
                            ).rowcount != 1:
                already = conn.execute(select(C.c.used).where(*where[:3])).scalar_one()
                raise LimitReached(
                    f"flash SKU {sku_id!r} in sale {sale_id!r} for customer {customer_id!r}",
                    f"limit {limit} per customer, {already} already ordered, {quantity} asked",
                    rule="FS-2")

    def confirm(self, ref: str) -> bool:
        with self._begin() as conn:
            row = conn.execute(select(U.c.state).where(U.c.ref == ref)).first()
            if row is None:
                raise NotFound(f"confirming the flash limit of {ref!r}", "nothing was used",
                               rule="FS-2")
            if row.state == RETURNED:
                raise InvalidTransition(f"confirming the flash limit of {ref!r}", RETURNED,
                                        rule="FS-3")
            return bool(conn.execute(update(U).where(U.c.ref == ref, U.c.state == USED)
                                     .values(state=CONFIRMED)).rowcount == 1)

    def give_back(self, ref: str) -> bool:
        with self._begin() as conn:
            row = conn.execute(select(U).where(U.c.ref == ref)).first()
            if row is None or conn.execute(update(U).where(U.c.ref == ref, U.c.state == USED)
                                           .values(state=RETURNED)).rowcount != 1:
                return False
            conn.execute(update(C).where(C.c.sale_id == row.sale_id,
                                         C.c.customer_id == row.customer_id,
                                         C.c.sku_id == row.sku_id)
                         .values(used=C.c.used - row.quantity))
            return True
