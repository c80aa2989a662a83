"""Applying a batch (ORD-7): each row ships or fails on its own; the report says which."""

from __future__ import annotations

import csv
import io

import pytest

from mallcore.errors import InvalidTransition, NotFound
from mallcore.orders.batch_shipping import (
    REPORT_COLUMNS,
    BatchReport,
    ShipRow,
    apply_batch,
    parse_batch,
)

EN = ["order_number", "carrier", "tracking_number"]


def csv_text(header: list[str], *rows: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


class OrderDesk:
    """A stand-in for the order service: ships paid orders, refuses the rest."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = dict(statuses)
        self.calls: list[int] = []
        self.waybills: dict[str, tuple[str, str]] = {}

    def ship(self, row: ShipRow) -> None:
        self.calls.append(row.row_number)
        status = self.statuses.get(row.order_number)
        if status is None:
            raise NotFound(f"order {row.order_number!r}", "unknown order", rule="ORD-7")
        if status != "paid":
            raise InvalidTransition("ship", status, rule="ORD-1")
        self.statuses[row.order_number] = "shipped"
        self.waybills[row.order_number] = (row.carrier.code, row.tracking_number)


SEED_FILE = csv_text(
    ["订单编号", "物流公司", "运单号"],
    ["O1", "顺丰", "SF1000000001"],  # row 2: ships
    ["O2", "中通", "ZT2000000002"],  # row 3: already shipped
    ["O3", "顺风", "SF3000000003"],  # row 4: unknown carrier
    ["O4", "韵达", "YD4000000004"],  # row 5: ships
    ["O9", "EMS", "E9000000009"],  # row 6: unknown order
    ["O5", "申通", "ST5"],  # row 7: bad tracking number
    ["O6", "圆通", "YT6000000006"],  # row 8: not paid
    ["O1", "顺丰", "SF1000000001"],  # row 9: duplicate
)
SEED_STATUSES = {
    "O1": "paid",
    "O2": "shipped",
    "O3": "paid",
    "O4": "paid",
    "O5": "paid",
    "O6": "pending payment",
}


def run(text: str = SEED_FILE) -> tuple[BatchReport, OrderDesk]:
    desk = OrderDesk(SEED_STATUSES)
    return apply_batch(parse_batch(text), desk.ship), desk


def test_good_rows_ship_and_bad_rows_report_their_reason() -> None:
    # RULES: ORD-7, ORD-4
    report, desk = run()
    assert desk.waybills == {"O1": ("SF", "SF1000000001"), "O4": ("YUNDA", "YD4000000004")}
    assert (report.shipped, report.failed) == (2, 6)
    assert [
        (row.row_number, row.order_number, row.ok, row.reason, row.rule) for row in report.rows
    ] == [
        (2, "O1", True, None, None),
        (3, "O2", False, "not allowed while shipped", "ORD-1"),
        (4, "O3", False, "unknown carrier", "ORD-7"),
        (5, "O4", True, None, None),
        (6, "O9", False, "unknown order", "ORD-7"),
        (7, "O5", False, "bad tracking number", "ORD-4"),
        (8, "O6", False, "not allowed while pending payment", "ORD-1"),
        (9, "O1", False, "duplicate order in file", "ORD-7"),
    ]


def test_ship_is_called_in_file_order_and_only_for_rows_that_passed_reading() -> None:
    # RULES: ORD-7
    _, desk = run()
    assert desk.calls == [2, 3, 5, 6, 8]


def test_a_row_refused_by_the_order_service_does_not_stop_the_next_rows() -> None:
    # RULES: ORD-7
    text = csv_text(EN, *([f"X{i}", "SF", f"SF{i:06d}"] for i in range(5)))
    desk = OrderDesk({"X1": "paid", "X3": "paid"})
    report = apply_batch(parse_batch(text), desk.ship)
    assert desk.calls == [2, 3, 4, 5, 6]
    assert [row.ok for row in report.rows] == [False, True, False, True, False]
    assert set(desk.waybills) == {"X1", "X3"}


def test_a_non_mallcore_exception_is_a_bug_and_propagates() -> None:
    # RULES: ORD-7
    text = csv_text(EN, ["A", "SF", "SF111111"], ["B", "SF", "SF222222"], ["C", "SF", "SF333333"])
    called: list[str] = []

    def ship(row: ShipRow) -> None:
        called.append(row.order_number)
        if row.order_number == "B":
            raise KeyError("database column missing")

    with pytest.raises(KeyError) as info:
        apply_batch(parse_batch(text), ship)
    assert called == ["A", "B"]
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "row 3" in notes
    assert "1 earlier row(s) were shipped" in notes


def test_an_empty_batch_gives_an_empty_report() -> None:
    # RULES: ORD-7
    report = apply_batch(parse_batch(csv_text(EN)), OrderDesk({}).ship)
    assert report.rows == ()
    assert report.render() == "Batch shipping: 0 of 0 rows shipped, 0 failed."


# --- the report ------------------------------------------------------------------------------


def test_render_has_a_summary_and_one_line_per_failed_row() -> None:
    # RULES: ORD-7
    report, _ = run()
    assert report.render().splitlines() == [
        "Batch shipping: 2 of 8 rows shipped, 6 failed.",
        "row 3, order 'O2': not allowed while shipped [ORD-1]",
        "row 4, order 'O3': unknown carrier [ORD-7]",
        "row 6, order 'O9': unknown order [ORD-7]",
        "row 7, order 'O5': bad tracking number [ORD-4]",
        "row 8, order 'O6': not allowed while pending payment [ORD-1]",
        "row 9, order 'O1': duplicate order in file [ORD-7]",
    ]


def test_render_names_a_row_without_order_number() -> None:
    # RULES: ORD-7
    report = apply_batch(parse_batch(csv_text(EN, ["", "SF", "SF111111"])), OrderDesk({}).ship)
    assert report.render().splitlines()[1] == "row 2, order (none): missing order number [ORD-7]"


def test_to_csv_lists_every_row_with_its_result() -> None:
    # RULES: ORD-7
    report, _ = run()
    table = list(csv.reader(io.StringIO(report.to_csv(), newline="")))
    assert tuple(table[0]) == REPORT_COLUMNS
    assert table[1:] == [
        ["2", "O1", "顺丰速运", "SF1000000001", "shipped", "", ""],
        ["3", "O2", "中通快递", "ZT2000000002", "failed", "not allowed while shipped", "ORD-1"],
        ["4", "O3", "顺风", "SF3000000003", "failed", "unknown carrier", "ORD-7"],
        ["5", "O4", "韵达速递", "YD4000000004", "shipped", "", ""],
        ["6", "O9", "中国邮政EMS", "E9000000009", "failed", "unknown order", "ORD-7"],
        ["7", "O5", "申通", "ST5", "failed", "bad tracking number", "ORD-4"],
        [
            "8",
            "O6",
            "圆通速递",
            "YT6000000006",
            "failed",
            "not allowed while pending payment",
            "ORD-1",
        ],
        ["9", "O1", "顺丰", "SF1000000001", "failed", "duplicate order in file", "ORD-7"],
    ]


def test_the_download_can_be_fixed_and_uploaded_again() -> None:
    # RULES: ORD-7
    report, _ = run()
    again = parse_batch(report.to_csv())
    assert [row.order_number for row in again.rows] == [row.order_number for row in report.rows]
    assert set(again.ignored_columns) == {"row", "result", "reason", "rule"}


def test_to_csv_defuses_spreadsheet_formulas_but_keeps_plain_codes() -> None:
    # RULES: ORD-7
    text = csv_text(EN, ["=HYPERLINK(1)", "SF", "-123456"], ["B", "+cmd|x", "SF123456"])
    report = apply_batch(parse_batch(text), OrderDesk({"=HYPERLINK(1)": "paid"}).ship)
    table = list(csv.reader(io.StringIO(report.to_csv(), newline="")))
    assert table[1][1:4] == ["'=HYPERLINK(1)", "顺丰速运", "-123456"]
    assert table[2][2] == "'+cmd|x"
