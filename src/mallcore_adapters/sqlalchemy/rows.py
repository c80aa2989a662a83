"""Versioned document rows, and the lazy collections the aggregates are rebuilt on.

``Documents`` loads a row's document once per unit of work, remembers the text
and version it read, and at flush writes back only what changed, with
``UPDATE … WHERE version = :read``.  No row updated means someone else committed
first: ``StaleState``, which the service layer retries on fresh state.

``LazyMapping`` / ``LazySet`` / ``AppendLog`` stand in for the dicts, sets and
lists inside an aggregate (the inventory's SKUs and reservations, the voucher
book's vouchers), so a unit of work reads and locks only the rows it touches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, MutableMapping, MutableSet
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mallcore.errors import Conflict, StaleState
from mallcore_adapters.sqlalchemy import codec

K = TypeVar("K")
V = TypeVar("V")

Columns = Callable[[Any], dict[str, object]]


class Documents(Generic[V]):
    """The rows of one document table, as seen by one unit of work."""

    def __init__(self, conn: Connection, table: Table, key: str,
                 columns: Columns | None = None, rule: str | None = None) -> None:
        self.conn = conn
        self.table = table
        self.key = table.c[key]
        self.columns = columns
        self.rule = rule
        self._read: dict[Any, tuple[int, str, V]] = {}
        self._new: dict[Any, V] = {}

    def get(self, key: Any) -> V | None:
        if key in self._new:
            return self._new[key]
        seen = self._read.get(key)
        if seen is not None:
            return seen[2]
        row = self.conn.execute(
            select(self.table.c.version, self.table.c.doc).where(self.key == key)
        ).first()
        if row is None:
            return None
        value: V = codec.loads(row.doc)
        self._read[key] = (row.version, row.doc, value)
        _set_version(value, row.version)
        return value

    def put(self, key: Any, value: V) -> None:
        """A new row, or a replacement object for one already read."""
        seen = self._read.get(key)
        if seen is not None:
            self._read[key] = (seen[0], seen[1], value)
        else:
            self._new[key] = value

    def all_keys(self) -> list[Any]:
        stored = list(self.conn.execute(select(self.key).order_by(self.key)).scalars())
        return stored + [k for k in self._new if k not in set(stored)]

    def count(self) -> int:
        stored = self.conn.execute(select(func.count()).select_from(self.table)).scalar_one()
        return int(stored) + len(self._new)

    def loaded(self) -> Iterator[V]:
        for _, _, value in self._read.values():
            yield value
        yield from self._new.values()

    def flush(self) -> list[tuple[Any, V]]:
        """Write what changed; returns the (key, value) pairs written."""
        written: list[tuple[Any, V]] = []
        for key, (version, text, value) in self._read.items():
            doc = codec.dumps(value)
            if doc == text:
                continue
            values: dict[str, object] = {"doc": doc, "version": version + 1}
            if self.columns is not None:
                values.update(self.columns(value))
            done = self.conn.execute(
                update(self.table).where(self.key == key, self.table.c.version == version)
                .values(**values)
            )
            if done.rowcount != 1:
                raise StaleState(f"{self.table.name} {key!r}",
                                 f"changed by another unit of work since version {version}",
                                 rule=self.rule)
            self._read[key] = (version + 1, doc, value)
            _set_version(value, version + 1)
            written.append((key, value))
        for key, value in self._new.items():
            doc = codec.dumps(value)
            values = {self.key.name: key, "doc": doc, "version": 1}
            if self.columns is not None:
                values.update(self.columns(value))
            try:
                self.conn.execute(insert(self.table).values(**values))
            except IntegrityError:
                raise Conflict(f"{self.table.name} {key!r}", "exists already",
                               rule=self.rule) from None
            self._read[key] = (1, doc, value)
            _set_version(value, 1)
            written.append((key, value))
        self._new.clear()
        return written


def _set_version(value: object, version: int) -> None:
    """Aggregates that carry a ``version`` see the one stored (optimistic locking)."""
    if hasattr(value, "version") and not isinstance(value, tuple):
        with contextlib.suppress(AttributeError):  # frozen value objects keep their own
            value.version = version


class LazyMapping(MutableMapping[K, V]):
    """A dict inside an aggregate whose entries are rows, read on first use."""

    def __init__(self, rows: Documents[V]) -> None:
        self.rows = rows

    def __getitem__(self, key: K) -> V:
        value = self.rows.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self.rows.put(key, value)

    def __delitem__(self, key: K) -> None:
        raise NotImplementedError("stored aggregates do not delete entries")

    def __iter__(self) -> Iterator[K]:
        return iter(self.rows.all_keys())

    def __len__(self) -> int:
        return self.rows.count()

    def __contains__(self, key: object) -> bool:
        return self.rows.get(key) is not None


class LazySet(MutableSet[K]):
    """A set of keys in a one-column table; additions are written at flush."""

    def __init__(self, conn: Connection, table: Table, column: str) -> None:
        self.conn = conn
        self.table = table
        self.column = table.c[column]
        self._added: list[K] = []

    def __contains__(self, key: object) -> bool:
        if key in self._added:
            return True
        return self.conn.execute(
            select(self.column).where(self.column == key)).first() is not None

    def __iter__(self) -> Iterator[K]:
        yield from self.conn.execute(select(self.column)).scalars()
        yield from self._added

    def __len__(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(self.table))
                   .scalar_one()) + len(self._added)

    def add(self, value: K) -> None:
        if value not in self:
            self._added.append(value)

    def discard(self, value: K) -> None:
        raise NotImplementedError("stored aggregates do not forget keys")

    def flush(self) -> None:
        for value in self._added:
            try:
                self.conn.execute(insert(self.table).values({self.column.name: value}))
            except IntegrityError:
                raise StaleState(f"{self.table.name} {value!r}",
                                 "added by another unit of work first") from None
        self._added.clear()


class AppendLog(Generic[V]):
    """An append-only list (a trail of movements): reads all rows, writes new ones."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self._added: list[V] = []

    def append(self, value: V) -> None:
        self._added.append(value)

    def __iter__(self) -> Iterator[V]:
        for doc in self.conn.execute(select(self.table.c.doc).order_by(self.table.c.id)).scalars():
            yield codec.loads(doc)
        yield from self._added

    def __len__(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(self.table))
                   .scalar_one()) + len(self._added)

    def flush(self) -> None:
        if self._added:
            self.conn.execute(insert(self.table), [{"doc": codec.dumps(v)} for v in self._added])
        self._added.clear()
