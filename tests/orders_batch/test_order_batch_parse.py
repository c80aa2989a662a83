"""Reading a batch shipping file (ORD-7): headers, per-row rejections, the 1000-row cap."""

from __future__ import annotations

import csv
import io

import pytest

from mallcore.errors import InvalidInput, LimitReached
from mallcore.orders.batch_shipping import (
    MAX_BATCH_ROWS,
    BatchFile,
    RejectedRow,
    ShipRow,
    apply_batch,
    parse_batch,
)
from mallcore.orders.carriers import DEFAULT_CARRIERS, Carrier

EN = ["order_number", "carrier", "tracking_number"]
ZH = ["订单编号", "物流公司", "运单号"]


def csv_text(header: list[str], *rows: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def rejected(batch: BatchFile) -> dict[int, str]:
    return {row.row_number: row.reason for row in batch.rejected}


def refused(source: str | list[str], kind: type[Exception] = InvalidInput) -> str:
    with pytest.raises(kind) as info:
        parse_batch(source)
    assert getattr(info.value, "rule", None) == "ORD-7"
    return str(info.value)


# --- headers -------------------------------------------------------------------------------


def test_english_header_gives_ship_rows_with_resolved_carriers() -> None:
    # RULES: ORD-7, ORD-4
    batch = parse_batch(
        csv_text(EN, ["20240001", "sf", "SF1234567890"], ["20240002", "中通", "ZT998877"])
    )
    assert batch.rows == (
        ShipRow(2, "20240001", DEFAULT_CARRIERS.resolve("SF"), "SF1234567890"),
        ShipRow(3, "20240002", DEFAULT_CARRIERS.resolve("ZTO"), "ZT998877"),
    )
    assert batch.rejected == ()
    assert batch.ignored_columns == ()


def test_chinese_header_with_bom_as_excel_saves_it() -> None:
    # RULES: ORD-7
    text = "\ufeff" + csv_text(
        ZH, ["20240001", "顺丰", "SF1234567890"], ["20240002", "极兔", "JT00011122"]
    )
    batch = parse_batch(text)
    assert [(row.order_number, row.carrier.code) for row in batch.to_ship] == [
        ("20240001", "SF"),
        ("20240002", "JT"),
    ]


@pytest.mark.parametrize(
    "header",
    [
        ["Order Number", " CARRIER ", "Tracking Number"],
        ["ORDER_NUMBER", "Carrier", "tracking-number"],
        ["订单 编号", " 物流公司", "运单号 "],
        ["订单号", "快递公司", "物流号"],  # the seed's own words: 订单号，物流公司、物流号
    ],
)
def test_header_names_ignore_case_and_spaces(header: list[str]) -> None:
    # RULES: ORD-7
    batch = parse_batch(csv_text(header, ["A1", "SF", "SF123456"]))
    assert batch.to_ship == (ShipRow(2, "A1", DEFAULT_CARRIERS.resolve("SF"), "SF123456"),)


def test_columns_in_any_order_and_unknown_columns_are_ignored_and_listed() -> None:
    # RULES: ORD-7
    header = ["备注", "运单号", "收件人", "物流公司", "订单编号"]
    batch = parse_batch(csv_text(header, ["fragile", "YT0001112", "张三", "圆通", "B7"]))
    assert batch.to_ship == (ShipRow(2, "B7", DEFAULT_CARRIERS.resolve("YTO"), "YT0001112"),)
    assert batch.ignored_columns == ("备注", "收件人")


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["order_number", "carrier"], "tracking_number"),
        (["订单编号", "运单号"], "carrier"),
        (["carrier", "tracking_number", "order"], "order_number"),
    ],
)
def test_a_missing_required_column_refuses_the_file(header: list[str], missing: str) -> None:
    # RULES: ORD-7
    message = refused(csv_text(header, ["1", "SF", "SF123456"]))
    assert missing in message


def test_a_column_given_twice_refuses_the_file() -> None:
    # RULES: ORD-7
    assert "carrier" in refused(csv_text([*EN, "物流公司"], ["1", "SF", "SF123456", "ZTO"]))


@pytest.mark.parametrize("text", ["", "\n\n", ",,\n"])
def test_a_file_without_header_is_refused(text: str) -> None:
    # RULES: ORD-7
    assert "header" in refused(text)


def test_header_only_file_is_an_empty_batch() -> None:
    # RULES: ORD-7
    batch = parse_batch(csv_text(EN))
    assert batch.rows == ()
    assert len(batch) == 0


@pytest.mark.parametrize(
    "source",
    [
        'order_number,carrier,tracking_number\n1,SF,"SF123456\n',  # unterminated quote
        [b"order_number,carrier,tracking_number\n"],  # bytes, not text
    ],
)
def test_an_unreadable_file_is_refused(source: object) -> None:
    # RULES: ORD-7
    with pytest.raises(InvalidInput) as info:
        parse_batch(source)  # type: ignore[arg-type]
    assert info.value.rule == "ORD-7"
    assert "cannot be read" in info.value.reason


def test_source_may_be_a_text_file_or_lines() -> None:
    # RULES: ORD-7
    text = csv_text(EN, ["1", "SF", "SF123456"], ["2", "EMS", "E12345678"])
    expected = parse_batch(text)
    assert parse_batch(io.StringIO(text, newline="")) == expected
    assert parse_batch(text.splitlines()) == expected
    assert len(expected.to_ship) == 2


# --- rows ----------------------------------------------------------------------------------


def test_blank_rows_are_skipped_and_row_numbers_stay_spreadsheet_rows() -> None:
    # RULES: ORD-7
    text = csv_text(EN, ["1", "SF", "SF123456"], [], ["", " ", ""], ["2", "STO", "ST123456"])
    batch = parse_batch(text)
    assert [(row.row_number, row.order_number) for row in batch.rows] == [(2, "1"), (5, "2")]


def test_each_bad_row_is_rejected_with_its_canonical_reason() -> None:
    # RULES: ORD-7, ORD-4
    batch = parse_batch(
        csv_text(
            EN,
            ["1", "SF", "SF123456"],
            ["2", "顺风", "SF123456"],
            ["3", "SF", "SF 12"],
            ["", "SF", "SF123456"],
            ["5", "", "SF123456"],
            ["6", "SF", ""],
            ["7", "SF", "SF123456", "surplus"],
            ["8"],
        )
    )
    assert [row.row_number for row in batch.to_ship] == [2]
    assert rejected(batch) == {
        3: "unknown carrier",
        4: "bad tracking number",
        5: "missing order number",
        6: "missing carrier",
        7: "missing tracking number",
        8: "more cells than the header",
        9: "missing carrier",
    }
    rules = {row.row_number: row.rule for row in batch.rejected}
    assert rules[3] == "ORD-7"
    assert rules[4] == "ORD-4"
    assert rules[5] == "ORD-7"


def test_rejected_rows_keep_the_cells_as_typed() -> None:
    # RULES: ORD-7
    batch = parse_batch(csv_text(ZH, [" 42 ", " 顺风 ", " SF 12 "]))
    assert batch.rows == (RejectedRow(2, "42", "unknown carrier", "ORD-7", "顺风", "SF 12"),)


def test_trailing_empty_cells_are_harmless() -> None:
    # RULES: ORD-7
    batch = parse_batch(csv_text(EN, ["1", "SF", "SF123456", "", " "]))
    assert len(batch.to_ship) == 1


def test_the_same_order_twice_fails_from_the_second_occurrence_on() -> None:
    # RULES: ORD-7
    batch = parse_batch(
        csv_text(
            EN,
            ["A", "SF", "SF111111"],
            ["B", "SF", "SF222222"],
            ["A", "ZTO", "ZT333333"],
            ["A", "SF", "SF111111"],
        )
    )
    assert [row.row_number for row in batch.to_ship] == [2, 3]
    assert rejected(batch) == {4: "duplicate order in file", 5: "duplicate order in file"}


def test_a_duplicate_of_a_rejected_row_is_still_a_duplicate() -> None:
    # RULES: ORD-7
    batch = parse_batch(csv_text(EN, ["A", "顺风", "SF111111"], ["A", "SF", "SF111111"]))
    assert batch.to_ship == ()
    assert rejected(batch) == {2: "unknown carrier", 3: "duplicate order in file"}


def test_order_numbers_are_compared_after_trimming() -> None:
    # RULES: ORD-7
    batch = parse_batch(csv_text(EN, ["A", "SF", "SF111111"], [" A ", "SF", "SF111111"]))
    assert rejected(batch) == {3: "duplicate order in file"}


def test_a_registry_of_the_merchants_own_carriers_is_used() -> None:
    # RULES: ORD-7, ORD-4
    registry = DEFAULT_CARRIERS.extended([Carrier("CITY", "同城配送")])
    text = csv_text(EN, ["1", "同城配送", "C0000001"])
    assert rejected(parse_batch(text)) == {2: "unknown carrier"}
    assert parse_batch(text, registry).to_ship[0].carrier.code == "CITY"


# --- the 1000-row cap ----------------------------------------------------------------------


def rows_csv(count: int, *, last: list[str] | None = None) -> str:
    rows = [[f"N{i:05d}", "SF", f"SF{i:08d}"] for i in range(count)]
    if last is not None:
        rows[-1] = last
    return csv_text(EN, *rows)


def test_exactly_1000_rows_are_accepted_and_all_ship() -> None:
    # RULES: ORD-7
    shipped: list[str] = []
    report = apply_batch(
        parse_batch(rows_csv(MAX_BATCH_ROWS)), lambda row: shipped.append(row.order_number)
    )
    assert MAX_BATCH_ROWS == 1000
    assert report.shipped == 1000
    assert report.failed == 0
    assert len(set(shipped)) == 1000


def test_1001_rows_are_refused_as_a_whole_and_nothing_is_shipped() -> None:
    # RULES: ORD-7
    shipped: list[str] = []

    def upload(text: str) -> None:
        apply_batch(parse_batch(text), lambda row: shipped.append(row.order_number))

    with pytest.raises(LimitReached) as info:
        upload(rows_csv(MAX_BATCH_ROWS + 1))
    assert info.value.rule == "ORD-7"
    assert "1000" in info.value.reason
    assert shipped == []


def test_the_cap_counts_rows_whatever_their_validity() -> None:
    # RULES: ORD-7
    refused(rows_csv(MAX_BATCH_ROWS + 1, last=["", "顺风", "bad"]), LimitReached)


def test_blank_rows_do_not_count_towards_the_cap() -> None:
    # RULES: ORD-7
    text = rows_csv(MAX_BATCH_ROWS) + "\n,,\n\n"
    assert len(parse_batch(text)) == MAX_BATCH_ROWS


def test_a_hand_built_batch_keeps_the_file_guarantees() -> None:
    # RULES: ORD-7
    sf = DEFAULT_CARRIERS.resolve("SF")
    with pytest.raises(LimitReached):
        BatchFile(rows=tuple(ShipRow(i, f"N{i}", sf, "SF123456") for i in range(1001)))
    with pytest.raises(InvalidInput) as info:
        BatchFile(rows=(ShipRow(2, "A", sf, "SF123456"), ShipRow(3, "A", sf, "SF654321")))
    assert info.value.rule == "ORD-7"
    batch = BatchFile(
        rows=(
            ShipRow(2, "A", sf, "SF123456"),
            RejectedRow(3, "A", "duplicate order in file", "ORD-7"),
        )
    )
    assert len(batch) == 2
