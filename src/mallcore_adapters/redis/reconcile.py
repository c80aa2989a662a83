"""Reconciliation between Redis and the database: after a drain, what Redis says was
sold equals the paid orders (FS-5), and Redis can be rebuilt from the database.

The database is the record of orders; Redis is the fast gate in front of it.  They
can drift: a Redis failover that lost the last writes, a process that died between
the Lua script and the database commit.  Both functions take plain
``FlashRecord``s, one per flash line of an order, in the database's words
(reserved = submitted and unpaid, sold = paid, released = closed unpaid), so any
storage adapter can produce them.

``reconcile`` reads Redis (levels at one instant; refs by HSCAN) and reports every
difference; it changes nothing.  Run it on a drained or paused sale: while buyers
submit, a difference may only be a request between Redis and the database.

``rebuild`` replaces a sale's Redis state with what the records say, atomically
(staging keys in the sale's slot, swapped in by one script).  It refuses unless
the sale is paused (``RedisFlashStore.pause``): a submission accepted by Redis
between reading the records and the swap would be wiped.  Payments and closes
are not paused; one that lands between the read and the swap shows in the next
``reconcile`` and a second ``rebuild`` settles it (it is idempotent).  Refused
attempts are not in the database, so they are gone after a rebuild: a retry of
one is judged afresh.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum

import attrs

from mallcore.errors import InvalidInput, NotAllowed
from mallcore.guards import identifier, whole
from mallcore.promotions.flash_sale import FlashSale
from mallcore.promotions.flash_stock import FlashLevel
from mallcore_adapters.redis.flash_store import RedisFlashStore, used_field

__all__ = [
    "FlashRecord",
    "LimitDifference",
    "ReconcileReport",
    "RecordState",
    "RefDifference",
    "SkuDifference",
    "rebuild",
    "reconcile",
]


class RecordState(StrEnum):
    RESERVED = "reserved"  # the order was submitted and is not paid
    SOLD = "sold"  # paid
    RELEASED = "released"  # closed unpaid: its units went back (FS-3)


#: Redis's stock state of a ref in the database's words.
_STOCK_TO_RECORD = {"held": RecordState.RESERVED, "sold": RecordState.SOLD,
                    "released": RecordState.RELEASED}


@attrs.frozen
class FlashRecord:
    """One flash line of one order as the database has it."""

    ref: str
    sku_id: str
    customer_id: str
    quantity: int
    state: RecordState = attrs.field(converter=RecordState)


@attrs.frozen
class SkuDifference:
    """A SKU whose counts differ (``loaded`` 0: Redis never loaded it)."""

    sku_id: str
    loaded: int
    redis_reserved: int
    redis_sold: int
    database_reserved: int
    database_sold: int

    def __str__(self) -> str:
        return (f"{self.sku_id}: Redis reserved {self.redis_reserved} sold {self.redis_sold}, "
                f"database reserved {self.database_reserved} sold {self.database_sold}")


@attrs.frozen
class RefDifference:
    """A ref the two sides disagree on; ``redis`` / ``database`` None: unknown there."""

    ref: str
    redis: str | None
    database: str | None
    detail: str

    def __str__(self) -> str:
        return f"{self.ref}: {self.detail}"


@attrs.frozen
class LimitDifference:
    """A customer's FS-2 use of a SKU that differs from what their records imply."""

    customer_id: str
    sku_id: str
    redis: int
    database: int

    def __str__(self) -> str:
        return (f"{self.customer_id}/{self.sku_id}: Redis counts {self.redis} used, the "
                f"database {self.database}")


@attrs.frozen
class ReconcileReport:
    """Every difference between Redis and the database for one sale; ``ok`` if none."""

    sale_id: str
    levels: dict[str, FlashLevel] = attrs.field(eq=False)
    skus: tuple[SkuDifference, ...]
    refs: tuple[RefDifference, ...]
    limits: tuple[LimitDifference, ...]
    unbalanced: tuple[str, ...]  # SKUs where remaining + reserved + sold != loaded

    @property
    def ok(self) -> bool:
        return not (self.skus or self.refs or self.limits or self.unbalanced)

    def __str__(self) -> str:
        if self.ok:
            return f"flash sale {self.sale_id!r}: Redis and the database agree"
        lines = [f"flash sale {self.sale_id!r}: Redis and the database differ"]
        lines += [f"  stock {d}" for d in self.skus]
        lines += [f"  unbalanced {sku}: {self.levels[sku]}" for sku in self.unbalanced]
        lines += [f"  ref {d}" for d in self.refs]
        lines += [f"  limit {d}" for d in self.limits]
        return "\n".join(lines)


def _records(records: Iterable[FlashRecord], sale_id: str) -> dict[str, FlashRecord]:
    out: dict[str, FlashRecord] = {}
    for record in records:
        if not isinstance(record, FlashRecord):
            raise InvalidInput(f"records of flash sale {sale_id!r}",
                               f"{record!r} is not a FlashRecord", rule="FS-5")
        identifier(record.ref, "flash order reference", "FS-5")
        identifier(record.sku_id, "flash SKU", "FS-5")
        identifier(record.customer_id, "customer id", "FS-2")
        whole(record.quantity, f"quantity of {record.ref!r}", "FS-5", minimum=1)
        if record.ref in out:
            raise InvalidInput(f"records of flash sale {sale_id!r}",
                               f"ref {record.ref!r} appears twice", rule="FS-5")
        out[record.ref] = record
    return out


def _expected_use(
    records: Iterable[FlashRecord], return_limit_on_close: bool
) -> dict[tuple[str, str], int]:
    used: dict[tuple[str, str], int] = defaultdict(int)
    for r in records:
        if r.state is not RecordState.RELEASED or not return_limit_on_close:
            used[(r.customer_id, r.sku_id)] += r.quantity
    return {key: n for key, n in used.items() if n}


def reconcile(
    store: RedisFlashStore, sale_id: str, expected: Iterable[FlashRecord], *,
    return_limit_on_close: bool = True,
) -> ReconcileReport:
    """Compare Redis's per-SKU reserved / sold, per-ref states and per-customer uses
    with the database's ``expected`` records.  Changes nothing.

    Refs Redis refused (sold out, over the limit) hold nothing and are not
    expected in the database; they count only if the database has them.
    ``return_limit_on_close`` is the sale's setting (FS-2: does a closed order
    give its limit back?), needed to know what the uses should be.
    """
    sale_id = identifier(sale_id, "flash sale id", "FS-1")
    db = _records(expected, sale_id)
    levels, used = store.levels(sale_id)
    db_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in db.values():
        if r.state is RecordState.RESERVED:
            db_counts[r.sku_id][0] += r.quantity
        elif r.state is RecordState.SOLD:
            db_counts[r.sku_id][1] += r.quantity
    skus = []
    for sku in sorted(set(levels) | set(db_counts)):
        level = levels.get(sku, FlashLevel(0, 0, 0, 0))
        want = db_counts.get(sku, [0, 0])
        if sku not in levels or (level.reserved, level.sold) != tuple(want):
            skus.append(SkuDifference(sku, level.loaded, level.reserved, level.sold, *want))
    unbalanced = tuple(sorted(
        sku for sku, lv in levels.items()
        if lv.remaining + lv.reserved + lv.sold != lv.loaded or min(
            lv.remaining, lv.reserved, lv.sold) < 0))
    refs: list[RefDifference] = []
    seen: set[str] = set()
    for rec in store.records(sale_id):
        seen.add(rec.ref)
        state = _STOCK_TO_RECORD.get(rec.stock or "")
        mine = db.get(rec.ref)
        shown = rec.stock or f"limit {rec.limit}"
        if mine is None:
            if state is not None:
                refs.append(RefDifference(rec.ref, shown, None,
                                          f"Redis has it {shown}, the database does not know it"))
            continue
        if state is not mine.state:
            refs.append(RefDifference(rec.ref, shown, mine.state.value,
                                      f"Redis has it {shown}, the database {mine.state.value}"))
        elif (rec.sku_id, rec.quantity, rec.customer_id) != (
                mine.sku_id, mine.quantity, mine.customer_id):
            refs.append(RefDifference(
                rec.ref, shown, mine.state.value,
                f"Redis has {rec.quantity} of {rec.sku_id} for {rec.customer_id}, the database "
                f"{mine.quantity} of {mine.sku_id} for {mine.customer_id}"))
    for ref in sorted(set(db) - seen):
        known = db[ref].state.value
        refs.append(RefDifference(ref, None, known,
                                  f"the database has it {known}, Redis does not know it"))
    want_used = _expected_use(db.values(), return_limit_on_close)
    limits = [LimitDifference(c, s, used.get((c, s), 0), want_used.get((c, s), 0))
              for c, s in sorted(set(used) | set(want_used))
              if used.get((c, s), 0) != want_used.get((c, s), 0)]
    return ReconcileReport(sale_id, levels, tuple(skus), tuple(sorted(refs, key=lambda d: d.ref)),
                           tuple(limits), unbalanced)


def rebuild(
    store: RedisFlashStore, sale: FlashSale, records: Iterable[FlashRecord], *,
    chunk: int = 1000,
) -> dict[str, FlashLevel]:
    """Replace ``sale``'s Redis state with what the database ``records`` say.

    Every SKU of the sale is loaded with its flash stock; reserved / sold come
    from the records, remaining is the rest; each customer's use is what their
    reserved and sold (and, if the sale keeps limits on close, released) records
    add up to; each ref gets its record back.  Atomic (staging keys swapped in by
    one script) and idempotent.  Refused (``NotAllowed``) unless the sale is
    paused, or if the records sell more than the flash stock (FS-5); records of
    a SKU outside the sale are refused (``InvalidInput``) before anything changes.
    Returns the rebuilt levels.
    """
    if not isinstance(sale, FlashSale):
        raise InvalidInput("rebuilding flash stock", f"{sale!r} is not a FlashSale", rule="FS-1")
    db = _records(records, sale.id)
    counts: dict[str, list[int]] = {sku: [0, 0] for sku in sale.sku_ids}
    for r in db.values():
        if r.sku_id not in counts:
            raise InvalidInput(f"record {r.ref!r}", f"SKU {r.sku_id!r} is not in flash sale "
                               f"{sale.id!r}", rule="FS-1")
        if r.state is RecordState.RESERVED:
            counts[r.sku_id][0] += r.quantity
        elif r.state is RecordState.SOLD:
            counts[r.sku_id][1] += r.quantity
    levels: dict[str, FlashLevel] = {}
    for item in sale.items:
        reserved, sold = counts[item.sku_id]
        if reserved + sold > item.stock:
            raise NotAllowed(
                f"rebuilding flash stock of SKU {item.sku_id!r} in sale {sale.id!r}",
                f"the records hold {reserved} reserved and {sold} sold, more than the "
                f"{item.stock} flash units", rule="FS-5")
        levels[item.sku_id] = FlashLevel(item.stock, item.stock - reserved - sold, reserved, sold)
    keep = not sale.return_limit_on_close
    refs: dict[str, str] = {}
    for r in db.values():
        stock = {"reserved": "h", "sold": "s", "released": "r"}[r.state.value]
        limit = {"h": "u", "s": "c", "r": "u" if keep else "g"}[stock]
        refs[r.ref] = _json({"g": 1, "k": r.sku_id, "c": r.customer_id, "q": r.quantity,
                             "f": used_field(r.customer_id, r.sku_id), "s": stock, "l": limit})
    uses = _expected_use(db.values(), sale.return_limit_on_close)
    used = {used_field(c, s): n for (c, s), n in uses.items()}
    keys = store.keys(sale.id)
    if not store.is_paused(sale.id):
        raise _not_paused(sale.id)
    staging = keys.staging()
    data: list[dict[str, int | str]] = [
        {sku: lv.loaded for sku, lv in levels.items()},
        {sku: lv.remaining for sku, lv in levels.items()},
        {sku: lv.reserved for sku, lv in levels.items()},
        {sku: lv.sold for sku, lv in levels.items()},
        dict(used),
        dict(refs),
    ]
    client = store.client
    client.delete(*staging)
    for key, mapping in zip(staging, data, strict=True):
        items = list(mapping.items())
        for start in range(0, len(items), chunk):
            client.hset(key, mapping=dict(items[start:start + chunk]))
    if store._swap([keys.paused, *keys.data, *staging]) != 1:
        client.delete(*staging)
        raise _not_paused(sale.id)
    if sale.id not in store.sales():
        client.sadd(store.sales_key, sale.id)
    return levels


def _not_paused(sale_id: str) -> NotAllowed:
    return NotAllowed(f"rebuilding flash sale {sale_id!r} in Redis",
                      "the sale is not paused: submissions in flight would be lost "
                      "(pause it, let requests drain, read the records, rebuild, resume)",
                      rule="FS-5")


def _json(value: dict[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
