"""Batch shipping from a file (ORD-7): each row ships or fails on its own.

The merchant uploads a CSV of (order number, carrier, tracking number) rows,
at most 1000 of them (004 批量发货 "最大支持 1000 条记录").  Work happens in two
steps so that nothing is applied from a file that is refused as a whole:

1. ``parse_batch`` reads the whole file.  It refuses the file (and so ships
   nothing) when it cannot be read or lacks a required column
   (``InvalidInput``), or has more than 1000 data rows (``LimitReached``).
   Otherwise every non-blank data row becomes either a ``ShipRow`` ready to
   ship or a ``RejectedRow`` carrying why it cannot be (missing order number,
   duplicate order in file, missing / unknown carrier, missing / bad tracking
   number).
2. ``apply_batch`` calls the caller's ``ship`` function for each ``ShipRow``
   in file order.  ``ship`` refuses one row by raising a ``MallcoreError``
   (the order service's NotFound "unknown order", InvalidTransition for an
   order already shipped or not paid, ...): that row fails with the error's
   reason and rule and the next rows go on.  Any other exception is a bug, not
   a row failure: it propagates, with a note naming the row it stopped at.

Header names: ``order_number,carrier,tracking_number`` or 订单编号,物流公司,运单号
(plus the synonyms in ``HEADER_NAMES``), in any order, ignoring case, spaces,
underscores and hyphens, and a leading byte-order mark.  Other columns are
ignored and listed in ``BatchFile.ignored_columns``.  Row numbers are
spreadsheet rows: the header is row 1, blank rows keep their number.

When one order number appears on several rows, the first row goes on and every
later one fails with "duplicate order in file", even if the first row itself
fails: the file is ambiguous about which waybill is right, so the merchant
decides.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator

import attrs

from mallcore.errors import InvalidInput, LimitReached, MallcoreError
from mallcore.orders.carriers import (
    DEFAULT_CARRIERS,
    Carrier,
    CarrierRegistry,
    validate_tracking_number,
)

__all__ = [
    "BATCH_COLUMNS",
    "HEADER_NAMES",
    "MAX_BATCH_ROWS",
    "REASON_BAD_TRACKING_NUMBER",
    "REASON_DUPLICATE_ORDER",
    "REASON_EXTRA_CELLS",
    "REASON_MISSING_CARRIER",
    "REASON_MISSING_ORDER_NUMBER",
    "REASON_MISSING_TRACKING_NUMBER",
    "REASON_UNKNOWN_CARRIER",
    "REPORT_COLUMNS",
    "BatchFile",
    "BatchReport",
    "RejectedRow",
    "RowOutcome",
    "ShipRow",
    "apply_batch",
    "parse_batch",
]

MAX_BATCH_ROWS = 1000

REASON_UNKNOWN_CARRIER = "unknown carrier"
REASON_BAD_TRACKING_NUMBER = "bad tracking number"
REASON_MISSING_ORDER_NUMBER = "missing order number"
REASON_MISSING_CARRIER = "missing carrier"
REASON_MISSING_TRACKING_NUMBER = "missing tracking number"
REASON_DUPLICATE_ORDER = "duplicate order in file"
REASON_EXTRA_CELLS = "more cells than the header"

ORDER_NUMBER = "order_number"
CARRIER = "carrier"
TRACKING_NUMBER = "tracking_number"
BATCH_COLUMNS = (ORDER_NUMBER, CARRIER, TRACKING_NUMBER)

HEADER_NAMES: dict[str, tuple[str, ...]] = {
    ORDER_NUMBER: ("order_number", "order_no", "订单编号", "订单号"),
    CARRIER: ("carrier", "物流公司", "快递公司"),
    TRACKING_NUMBER: (
        "tracking_number",
        "tracking_no",
        "运单号",
        "运单编号",
        "物流单号",
        "快递单号",
        "物流号",
    ),
}

_SEPARATORS = re.compile(r"[\s_\-]+")
_PLAIN = re.compile(r"[A-Za-z0-9-]+")


def _header_key(text: str) -> str:
    return _SEPARATORS.sub("", text.replace("\ufeff", "").casefold())


_COLUMN_OF = {_header_key(name): column for column, names in HEADER_NAMES.items() for name in names}


# --- the parsed file ---------------------------------------------------------------------


@attrs.frozen
class ShipRow:
    """A row ready to ship; ``row_number`` is the spreadsheet row (the header is row 1)."""

    row_number: int
    order_number: str
    carrier: Carrier
    tracking_number: str


@attrs.frozen
class RejectedRow:
    """A row that failed while reading the file; ``carrier``/``tracking_number`` as typed."""

    row_number: int
    order_number: str
    reason: str
    rule: str | None
    carrier: str = ""
    tracking_number: str = ""


def _check_rows(
    instance: object,
    attribute: attrs.Attribute[tuple[ShipRow | RejectedRow, ...]],
    rows: tuple[ShipRow | RejectedRow, ...],
) -> None:
    """Hold a hand-built BatchFile to what ``parse_batch`` guarantees."""
    if len(rows) > MAX_BATCH_ROWS:
        raise LimitReached(
            "batch shipping file", f"has more than {MAX_BATCH_ROWS} data rows", rule="ORD-7"
        )
    seen: set[str] = set()
    for row in rows:
        if isinstance(row, ShipRow):
            if row.order_number in seen:
                raise InvalidInput(
                    f"order {row.order_number!r}", "is to ship twice in one batch", rule="ORD-7"
                )
            seen.add(row.order_number)


@attrs.frozen
class BatchFile:
    """Every non-blank data row of an upload, in file order."""

    rows: tuple[ShipRow | RejectedRow, ...] = attrs.field(validator=_check_rows)
    ignored_columns: tuple[str, ...] = ()

    @property
    def to_ship(self) -> tuple[ShipRow, ...]:
        return tuple(row for row in self.rows if isinstance(row, ShipRow))

    @property
    def rejected(self) -> tuple[RejectedRow, ...]:
        return tuple(row for row in self.rows if isinstance(row, RejectedRow))

    def __len__(self) -> int:
        return len(self.rows)


# --- the report --------------------------------------------------------------------------


@attrs.frozen
class RowOutcome:
    """What happened to one data row.

    ``carrier`` and ``tracking_number`` are what the report's CSV shows: the
    carrier's name and the checked number for rows that reached ``ship``, the
    cells as typed for rows rejected while reading.
    """

    row_number: int
    order_number: str
    ok: bool
    reason: str | None
    rule: str | None
    carrier: str = ""
    tracking_number: str = ""


REPORT_COLUMNS = (
    "row",
    ORDER_NUMBER,
    CARRIER,
    TRACKING_NUMBER,
    "result",
    "reason",
    "rule",
)


@attrs.frozen
class BatchReport:
    rows: tuple[RowOutcome, ...]

    @property
    def shipped(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    @property
    def failures(self) -> tuple[RowOutcome, ...]:
        return tuple(row for row in self.rows if not row.ok)

    def render(self) -> str:
        """A summary line, then one line per failed row."""
        lines = [
            f"Batch shipping: {self.shipped} of {len(self.rows)} rows shipped, "
            f"{self.failed} failed."
        ]
        for row in self.failures:
            order = repr(row.order_number) if row.order_number else "(none)"
            rule = f" [{row.rule}]" if row.rule else ""
            lines.append(f"row {row.row_number}, order {order}: {row.reason}{rule}")
        return "\n".join(lines)

    def to_csv(self) -> str:
        """Every row with its result, as CSV text (header: ``REPORT_COLUMNS``).

        The download keeps the upload's column names, so the merchant can fix
        the failed rows and upload them again.  Cells that a spreadsheet
        would run as a formula are prefixed with ``'``.  Encode the text as
        ``utf-8-sig`` for Excel to read the Chinese correctly.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(REPORT_COLUMNS)
        for row in self.rows:
            writer.writerow(
                [
                    str(row.row_number),
                    *map(_cell, (row.order_number, row.carrier, row.tracking_number)),
                    "shipped" if row.ok else "failed",
                    _cell(row.reason or ""),
                    row.rule or "",
                ]
            )
        return out.getvalue()


def _cell(text: str) -> str:
    """Defuse spreadsheet formulas (=, +, -, @ first) unless the text is a plain code."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PLAIN.fullmatch(text):
        return "'" + text
    return text


# --- parsing -----------------------------------------------------------------------------


def parse_batch(
    source: str | Iterable[str], registry: CarrierRegistry = DEFAULT_CARRIERS
) -> BatchFile:
    """Read a batch shipping CSV (text, or a text file / lines) into checked rows.

    Refuses the whole file with ``InvalidInput`` (ORD-7) when it cannot be read
    as CSV or its header lacks a required column, and with ``LimitReached``
    (ORD-7) when it has more than ``MAX_BATCH_ROWS`` non-blank data rows.
    """
    records = _records(source)
    columns, width, ignored = _header(records)
    rows: list[ShipRow | RejectedRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_BATCH_ROWS:
            raise LimitReached(
                "batch shipping file",
                f"has more than {MAX_BATCH_ROWS} data rows; split it into files "
                f"of at most {MAX_BATCH_ROWS}",
                rule="ORD-7",
            )
        rows.append(_row(number, cells, columns, width, registry, first_row_of))
    return BatchFile(rows=tuple(rows), ignored_columns=ignored)


def _records(source: str | Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, cells) pairs; unreadable text becomes ``InvalidInput``."""
    try:
        lines = io.StringIO(source, newline="") if isinstance(source, str) else source
        yield from enumerate(csv.reader(lines, strict=True), start=1)
    except (csv.Error, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "batch shipping file", f"cannot be read as CSV: {exc}", rule="ORD-7"
        ) from exc


def _header(
    records: Iterator[tuple[int, list[str]]],
) -> tuple[dict[str, int], int, tuple[str, ...]]:
    """Position of each required column, the header's width, the ignored column names."""
    for _, cells in records:
        if any(cell.strip() for cell in cells):
            break
    else:
        raise InvalidInput("batch shipping file", "has no header row", rule="ORD-7")
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for position, raw in enumerate(cells):
        column = _COLUMN_OF.get(_header_key(raw))
        if column is None:
            if raw.strip():
                ignored.append(raw.replace("\ufeff", "").strip())
            continue
        if column in columns:
            raise InvalidInput(
                "batch shipping header", f"has the {column} column twice", rule="ORD-7"
            )
        columns[column] = position
    missing = [column for column in BATCH_COLUMNS if column not in columns]
    if missing:
        raise InvalidInput(
            "batch shipping header",
            f"lacks required column(s) {', '.join(missing)} "
            "(order_number,carrier,tracking_number or 订单编号,物流公司,运单号)",
            rule="ORD-7",
        )
    return columns, len(cells), tuple(ignored)


def _row(
    number: int,
    cells: list[str],
    columns: dict[str, int],
    width: int,
    registry: CarrierRegistry,
    first_row_of: dict[str, int],
) -> ShipRow | RejectedRow:
    def cell(column: str) -> str:
        position = columns[column]
        return cells[position].strip() if position < len(cells) else ""

    order_number, carrier_text, tracking_text = map(cell, BATCH_COLUMNS)

    def reject(reason: str, rule: str | None) -> RejectedRow:
        return RejectedRow(number, order_number, reason, rule, carrier_text, tracking_text)

    if not order_number:
        return reject(REASON_MISSING_ORDER_NUMBER, "ORD-7")
    if order_number in first_row_of:
        return reject(REASON_DUPLICATE_ORDER, "ORD-7")
    first_row_of[order_number] = number
    if any(extra.strip() for extra in cells[width:]):
        return reject(REASON_EXTRA_CELLS, "ORD-7")
    if not carrier_text:
        return reject(REASON_MISSING_CARRIER, "ORD-4")
    carrier = registry.find(carrier_text)
    if carrier is None:
        return reject(REASON_UNKNOWN_CARRIER, "ORD-7")
    try:
        tracking_number = validate_tracking_number(tracking_text)
    except InvalidInput as exc:
        return reject(exc.reason, exc.rule)
    return ShipRow(number, order_number, carrier, tracking_number)


# --- applying ----------------------------------------------------------------------------


def apply_batch(batch: BatchFile, ship: Callable[[ShipRow], None]) -> BatchReport:
    """Ship every valid row of ``batch`` in file order; one outcome per row.

    ``ship`` is called once per ``ShipRow`` and never for a ``RejectedRow``.
    A ``MallcoreError`` from ``ship`` fails that row (its reason and rule are
    kept) and the batch goes on; any other exception propagates.
    """
    outcomes: list[RowOutcome] = []
    for row in batch.rows:
        if isinstance(row, RejectedRow):
            outcomes.append(
                RowOutcome(
                    row.row_number,
                    row.order_number,
                    False,
                    row.reason,
                    row.rule,
                    row.carrier,
                    row.tracking_number,
                )
            )
            continue
        try:
            ship(row)
        except MallcoreError as exc:
            outcome = RowOutcome(
                row.row_number,
                row.order_number,
                False,
                exc.reason,
                exc.rule,
                row.carrier.name,
                row.tracking_number,
            )
        except Exception as exc:
            exc.add_note(
                f"batch shipping stopped at row {row.row_number} (order {row.order_number!r}); "
                f"{sum(1 for done in outcomes if done.ok)} earlier row(s) were shipped"
            )
            raise
        else:
            outcome = RowOutcome(
                row.row_number,
                row.order_number,
                True,
                None,
                None,
                row.carrier.name,
                row.tracking_number,
            )
        outcomes.append(outcome)
    return BatchReport(rows=tuple(outcomes))
