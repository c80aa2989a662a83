"""Properties of batch shipping (ORD-7) over random mixtures of good and bad rows."""

from __future__ import annotations

import csv
import io
from collections import Counter

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from mallcore.errors import InvalidTransition, MallcoreError, NotFound
from mallcore.orders.batch_shipping import ShipRow, apply_batch, parse_batch
from mallcore.orders.carriers import DEFAULT_CARRIERS

KINDS = (
    "ships",  # a good row the order service accepts
    "unknown_order",  # a good row the order service refuses: NotFound
    "already_shipped",  # a good row the order service refuses: InvalidTransition
    "unknown_carrier",
    "bad_tracking",
    "missing_order",
    "duplicate",
    "blank",
)
GOOD = {"ships", "unknown_order", "already_shipped"}
READ_REASONS = {
    "unknown_carrier": "unknown carrier",
    "bad_tracking": "bad tracking number",
    "missing_order": "missing order number",
    "duplicate": "duplicate order in file",
}
CARRIER_TEXTS = sorted(
    {text for c in DEFAULT_CARRIERS for text in (c.code, c.code.lower(), c.name, *c.aliases)}
)
_CELL_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


@attrs.frozen
class Spec:
    row_number: int
    kind: str
    order_number: str


unknown_carriers = st.text(_CELL_CHARS, min_size=1, max_size=8).filter(
    lambda t: bool(t.strip()) and DEFAULT_CARRIERS.find(t) is None
)
good_tracking = st.text("ABCDEFGHJKXYZ0123456789-", min_size=6, max_size=40).filter(
    lambda t: any(c.isalnum() for c in t)
)
bad_tracking = st.one_of(
    st.text("0123456789", min_size=1, max_size=5),
    st.text("0123456789", min_size=41, max_size=50),
    st.sampled_from(["SF 123456", "1.23457E+14", "ＳＦ１２３４５６", "运单123456", "------"]),
)


@st.composite
def batch_files(draw: st.DrawFn) -> tuple[str, list[Spec]]:
    kinds = draw(st.lists(st.sampled_from(KINDS), max_size=60))
    header = draw(
        st.sampled_from(
            [["order_number", "carrier", "tracking_number"], ["订单编号", "物流公司", "运单号"]]
        )
    )
    rows: list[list[str]] = []
    specs: list[Spec] = []
    used: list[str] = []
    for row_number, drawn in enumerate(kinds, start=2):
        kind = "ships" if drawn == "duplicate" and not used else drawn
        if kind == "blank":
            rows.append(draw(st.sampled_from([[], ["", "", ""], [" ", "", "  "]])))
            continue
        if kind == "duplicate":
            order = draw(st.sampled_from(used))
        elif kind == "missing_order":
            order = ""
        else:
            order = f"{kind[:2].upper()}{row_number:04d}"
            used.append(order)
        carrier = draw(
            unknown_carriers if kind == "unknown_carrier" else st.sampled_from(CARRIER_TEXTS)
        )
        tracking = draw(bad_tracking if kind == "bad_tracking" else good_tracking)
        rows.append([order, carrier, tracking])
        specs.append(Spec(row_number, kind, order))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue(), specs


@settings(max_examples=200, deadline=None)
@given(batch_files())
def test_every_row_has_one_outcome_and_ship_runs_once_per_good_row(
    case: tuple[str, list[Spec]],
) -> None:
    # RULES: ORD-7, ORD-4
    text, specs = case
    kind_of = {spec.order_number: spec.kind for spec in specs if spec.kind in GOOD}
    calls: list[int] = []

    def ship(row: ShipRow) -> None:
        calls.append(row.row_number)
        kind = kind_of[row.order_number]
        if kind == "unknown_order":
            raise NotFound(f"order {row.order_number!r}", "unknown order", rule="ORD-7")
        if kind == "already_shipped":
            raise InvalidTransition("ship", "shipped", rule="ORD-1")

    report = apply_batch(parse_batch(text), ship)

    assert report.shipped + report.failed == len(specs) == len(report.rows)
    assert [row.row_number for row in report.rows] == [spec.row_number for spec in specs]
    good_rows = [spec.row_number for spec in specs if spec.kind in GOOD]
    assert calls == good_rows  # once each, in file order, never for a pre-failed row
    assert max(Counter(calls).values(), default=1) == 1
    outcome = {row.row_number: row for row in report.rows}
    for spec in specs:
        row = outcome[spec.row_number]
        assert row.order_number == spec.order_number
        assert row.ok == (spec.kind == "ships")
        if spec.kind in READ_REASONS:
            assert row.reason == READ_REASONS[spec.kind]
    assert report.shipped == sum(1 for spec in specs if spec.kind == "ships")


@settings(max_examples=100, deadline=None)
@given(batch_files(), st.integers(min_value=0, max_value=59))
def test_a_refusing_callback_never_stops_the_batch(
    case: tuple[str, list[Spec]], refuse_at: int
) -> None:
    # RULES: ORD-7
    text, _ = case
    batch = parse_batch(text)
    calls: list[int] = []

    def ship(row: ShipRow) -> None:
        calls.append(row.row_number)
        if len(calls) % (refuse_at + 1) == 0:
            raise MallcoreError(f"order {row.order_number!r}", "warehouse closed", rule="ORD-7")

    report = apply_batch(batch, ship)
    assert calls == [row.row_number for row in batch.to_ship]
    refused = [row for row in report.rows if row.reason == "warehouse closed"]
    assert len(refused) == len(calls) // (refuse_at + 1)
    assert report.shipped == len(calls) - len(refused)
