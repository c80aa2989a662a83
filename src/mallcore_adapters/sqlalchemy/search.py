"""``OrderQuery`` in SQL, field by field as ``mallcore.orders.search`` defines each one.

The read model is ``order_summaries`` (one row per order) and ``order_terms``
(one row per member of a set-valued field).  Times are compared in UTC (SQLite
keeps no zone); texts compared "ignoring case" were lowered by Python when
written, so SQLite and PostgreSQL agree with ``str.lower`` beyond ASCII.  The
same queries run in memory and here in the tests, and must return the same
orders in the same order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import ColumnElement, Connection, and_, exists, false, or_, select

from mallcore.orders.search import OrderQuery, QuickFilter
from mallcore.orders.summary import OrderSummary
from mallcore_adapters.sqlalchemy import codec, schema

__all__ = ["search_summaries", "utc"]

S = schema.order_summaries
T = schema.order_terms


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _term(field: str, values: frozenset[str] | set[str]) -> ColumnElement[bool]:
    return exists().where(T.c.number == S.c.number, T.c.field == field,
                          T.c.value.in_(sorted(values)))


def _term_like(field: str, part: str) -> ColumnElement[bool]:
    return exists().where(T.c.number == S.c.number, T.c.field == field,
                          T.c.value.like(f"%{_escape(part)}%", escape="\\"))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _quick(quick: QuickFilter, since: datetime | None) -> ColumnElement[bool]:
    if quick is QuickFilter.LAST_3_MONTHS:
        assert since is not None
        return S.c.placed_at >= utc(since)
    if quick is QuickFilter.REFUND_REQUESTS:
        return or_(S.c.open_after_sales > 0, S.c.refund_requested == 1)
    if quick is QuickFilter.STARRED:
        return S.c.star.is_not(None)
    assert quick.status is not None
    return S.c.status == quick.status


def _where(q: OrderQuery, since: datetime | None) -> list[ColumnElement[bool]]:
    w: list[ColumnElement[bool]] = []
    if q.quick is not None:
        w.append(_quick(q.quick, since))
    if q.statuses:
        w.append(S.c.status.in_(sorted(q.statuses)))
    if q.logistics:
        w.append(S.c.logistics.in_(sorted(q.logistics)))
    for field in ("payment_methods", "product_types", "activity_types"):
        wanted = getattr(q, field)
        if wanted:
            w.append(_term(field, wanted))
    if q.star_colours:
        w.append(S.c.star.in_(sorted(q.star_colours)))
    if q.placed_from is not None:
        w.append(S.c.placed_at >= utc(q.placed_from))
    if q.placed_to is not None:
        w.append(S.c.placed_at < utc(q.placed_to))
    if q.paid_from is not None or q.paid_to is not None:
        w.append(S.c.paid_at.is_not(None))
        if q.paid_from is not None:
            w.append(S.c.paid_at >= utc(q.paid_from))
        if q.paid_to is not None:
            w.append(S.c.paid_at < utc(q.paid_to))
    low, high = q._total_min_fen, q._total_max_fen
    if low is not None:
        w.append(S.c.total_fen >= low)
    if high is not None:
        w.append(S.c.total_fen <= high)
    if q.number is not None:
        w.append(S.c.number == q.number)
    for attr, field in (("payment_id", "payment_ids"), ("product_id", "product_ids"),
                        ("category", "categories"), ("brand", "brands"),
                        ("tracking_number", "tracking_numbers"), ("sku_id", "sku_ids")):
        value = getattr(q, attr)
        if value is not None:
            w.append(_term(field, {value}))
    if q.product_name is not None:
        w.append(_term_like("product_names_lc", q.product_name.lower()))
    if q.phone is not None:
        w.append(S.c.phone.like(f"%{_escape(q.phone)}", escape="\\"))
    if q.consignee is not None:
        w.append(S.c.consignee_lc.like(f"%{_escape(q.consignee.lower())}%", escape="\\"))
    return w


def search_summaries(conn: Connection, query: OrderQuery, now: datetime) -> list[OrderSummary]:
    since = query._since(now)
    primary: Any = S.c.placed_at if query.order_by == "placed_at" else S.c.total_fen
    order = ([primary.desc(), S.c.number.desc()] if query.descending
             else [primary.asc(), S.c.number.asc()])
    where = _where(query, since)
    stmt = select(S.c.doc).where(and_(*where) if where else ~false()).order_by(*order)
    if query.offset:
        stmt = stmt.offset(query.offset)
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    return [codec.loads(doc) for doc in conn.execute(stmt).scalars()]
