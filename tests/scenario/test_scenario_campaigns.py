"""Scenario files with flash sales, limited-time discounts and pre-sales (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mallcore.cli import main
from mallcore.scenario import ScenarioError, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]


def _json(capsys: pytest.CaptureFixture[str], name: str) -> dict[str, object]:
    assert main(["quote", str(ROOT / "examples" / name), "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_flash_sale_example(capsys: pytest.CaptureFixture[str]) -> None:
    # RULES: FS-1, PIPE-5 — the flash line at 99.00 takes free shipping but no coupon,
    # member discount or points; the regular line takes all three
    data = _json(capsys, "flash_sale.toml")
    lines = {ln["sku"]: ln for ln in data["lines"]}  # type: ignore[attr-defined]
    assert lines["earbuds-white"]["family"] == "flash_sale"
    assert list(lines["earbuds-white"]["amounts"].values()) == [
        "199.00", "99.00", "99.00", "99.00", "99.00"]
    assert list(lines["case-blue"]["amounts"].values()) == [
        "39.00", "39.00", "29.00", "26.10", "16.10"]
    assert data["payable"] == "115.10"


def test_limited_time_example(capsys: pytest.CaptureFixture[str]) -> None:
    # RULES: LTD-1, LTD-2, LTD-3, LTD-5, PIPE-5 — Tuesday 10:30 is inside the weekday
    # 08:00–11:00 recurrence; 8折 of 45.90 = 36.72, 抹角 → 36.00, first 2 of 3 units;
    # mode (b) splits the line: the third unit is a regular unit (LTD-2, PIPE-5)
    data = _json(capsys, "limited_time.toml")
    lines = {ln["line"]: ln for ln in data["lines"]}  # type: ignore[attr-defined]
    assert lines["coffee-10"]["amounts"]["activities"] == "72.00"  # 36.00 × 2
    assert lines["coffee-10"]["family"] == "limited_time"
    assert lines["coffee-10#list"]["quantity"] == 1
    assert lines["coffee-10#list"]["family"] == "regular"
    # the regular unit (45.90) and the mug (59.00) reach "spend 100 save 10"
    applied = {p["id"]: p for p in data["applied"]}  # type: ignore[attr-defined]
    assert set(applied["r-100-10"]["allocation"]) == {"coffee-10#list", "mug-white"}
    assert {"ltd-morning", "level:gold", "points"} <= set(applied)


def test_outside_the_recurrence_the_list_price_returns() -> None:
    # RULES: LTD-1 — Saturday morning: no discount, the reduction applies again
    scenario = load_scenario(ROOT / "examples" / "limited_time.toml")
    from datetime import datetime, timedelta, timezone

    saturday = datetime(2026, 11, 28, 10, 30, tzinfo=timezone(timedelta(hours=8)))
    b = scenario.price(saturday)
    assert {s.id: s.reason.value for s in b.skipped}["ltd-morning"] == "outside_window"
    assert "r-100-10" in {p.id for p in b.applied}


SHOP = """
now = 2026-11-22T10:00:00+08:00
[[products]]
id = "p"
name = "tea"
skus = [{ id = "tea", price = "50.00", stock = 10 }]
[cart]
lines = [{ sku = "tea", quantity = 1 }]
"""


def test_a_flash_sale_and_a_limited_time_discount_on_one_sku_are_refused_with_a_place() -> None:
    # RULES: LTD-6
    text = SHOP + """
[[flash_sales]]
id = "fs"
name = "秒杀"
starts = 2026-11-22T00:00:00+08:00
ends = 2026-11-23T00:00:00+08:00
items = [{ sku = "tea", price = "9.90", stock = 5 }]
[[limited_time]]
id = "ltd"
name = "限时"
starts = 2026-11-22T08:00:00+08:00
ends = 2026-11-22T12:00:00+08:00
items = [{ sku = "tea", value = "8" }]
"""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "shop.toml")
    assert caught.value.rule == "LTD-6"
    assert "fs" in caught.value.reason and "ltd" in caught.value.reason


def test_a_pre_sale_line_prices_at_its_pre_sale_price() -> None:
    # RULES: PRE-1, PIPE-5
    text = SHOP + """
[[presales]]
id = "pre"
name = "新茶预售"
starts = 2026-11-20T00:00:00+08:00
ends = 2026-12-01T00:00:00+08:00
ship_after_days = 10
items = [{ sku = "tea", price = "42.00" }]
"""
    b = parse_scenario(text).price()
    assert b.line("tea").family == "pre_sale"
    assert str(b.payable.amount) == "42.00"


@pytest.mark.parametrize(("old", "new", "place", "rule"), [
    ('sku = "tea", price = "9.90"', 'sku = "nope", price = "9.90"',
     "flash_sales[0].items[0].sku", "CAT-3"),
    ('price = "9.90"', "price = 9.9", "flash_sales[0].items[0].price", "FS-1"),
])
def test_campaign_mistakes_are_placed(old: str, new: str, place: str, rule: str) -> None:
    text = SHOP + """
[[flash_sales]]
id = "fs"
name = "秒杀"
starts = 2026-11-22T00:00:00+08:00
ends = 2026-11-23T00:00:00+08:00
items = [{ sku = "tea", price = "9.90", stock = 5 }]
"""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text.replace(old, new), "shop.toml")
    assert caught.value.place == place
    assert caught.value.rule == rule
