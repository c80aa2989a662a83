"""`mallcore quote`: the main job, its JSON, and clear messages for broken scenarios."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mallcore.cli import main
from mallcore.scenario import ScenarioError, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed_pipeline.toml"


def test_seed_example_reproduces_pipe2_table(capsys: pytest.CaptureFixture[str]) -> None:
    # RULES: PIPE-2, PIPE-4
    assert main(["quote", str(SEED)]) == 0
    out = capsys.readouterr().out
    total_row = next(line for line in out.splitlines() if line.startswith("total"))
    assert total_row.split()[1:] == ["101.00", "85.00", "83.00", "74.70", "64.70"]
    assert "Considered, not applied" in out
    skipped = out.split("Considered, not applied")[1]
    assert "storewide-90" in skipped and "exclusive" in skipped and "tea-100-15" in skipped
    assert "Payable: 64.70 CNY" in out


def test_seed_example_json(capsys: pytest.CaptureFixture[str]) -> None:
    # RULES: PIPE-1, PIPE-2, PIPE-3
    assert main(["quote", str(SEED), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(s["stage"], s["total"]) for s in data["stages"]] == [
        ("list", "101.00"), ("activities", "85.00"), ("coupons", "83.00"),
        ("membership", "74.70"), ("points", "64.70"),
    ]
    assert data["payable"] == "64.70"
    skipped = {s["id"]: s for s in data["skipped"]}
    assert skipped["storewide-90"]["reason"] == "exclusive"
    assert skipped["storewide-90"]["related"] == ["tea-100-15"]
    assert data["gifts"] == [{"kind": "coupon", "ref": "thanks-5", "quantity": 1,
                              "source": "gift-100"}]
    assert data["lines"][0]["amounts"] == {
        "list": "100.00", "activities": "85.00", "coupons": "83.00",
        "membership": "74.70", "points": "64.70",
    }
    applied = {p["id"]: p for p in data["applied"]}
    assert applied["ship-100"]["allocation"] == {}
    assert applied["ship-100"]["shipping"] == "1.00"
    assert applied["tea-100-15"]["allocation"] == {"longjing-250g": "15.00"}


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mallcore", "quote", str(SEED), "--json"],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(done.stdout)["payable"] == "64.70"


def test_now_option_overrides_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # RULES: ACT-3 — an activity that ended before --now does not apply
    text = SEED.read_text(encoding="utf-8").replace(
        'kind = "reduction"', 'kind = "reduction"\nends = 2026-11-23T00:00:00+08:00'
    )
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["quote", str(path), "--json", "--now", "2026-12-01T00:00:00+08:00"]) == 0
    data = json.loads(capsys.readouterr().out)
    skipped = {s["id"]: s["reason"] for s in data["skipped"]}
    assert skipped["tea-100-15"] == "outside_window"
    # the 9折 activity now wins alone: 100 − 10, and shipping is free
    assert data["stages"][1]["total"] == "90.00"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


MISTAKES = [
    # (what, old, new, place, words in the reason, rule)
    ("unknown sku", 'sku = "longjing-250g"', 'sku = "nope"',
     "cart.lines[0].sku", "unknown SKU 'nope'", "CAT-3"),
    ("negative price", 'price = "100.00"', 'price = "-100.00"',
     "products[0].skus[0].price", "negative", "CAT-3"),
    ("float amount", 'price = "100.00"', "price = 100.5",
     "products[0].skus[0].price", "is a float", "CAT-3"),
    ("three decimals", 'save = "15.00"', 'save = "15.001"',
     "activities[1].tiers[0].save", "at most 2 decimals", "ACT-1"),
    ("coupon below threshold", 'amount = "2.00"', 'amount = "2.00"\nthreshold = "500.00"',
     "cart.coupon", "needs 500.00", "CPN-1"),
    ("missing field", 'name = "西湖龙井 250g"\n', "",
     "products[0].name", "is missing", "CAT-2"),
    ("unknown activity kind", 'kind = "discount"', 'kind = "bogus"',
     "activities[0].kind", "unknown activity kind 'bogus'", "ACT-1"),
    ("misspelt key", 'threshold = "100.00"\n\n[[coupons]]', 'treshold = "100.00"\n\n[[coupons]]',
     "activities[3].treshold", "not a known field", None),
    ("unknown coupon", 'coupon = "no-threshold-2"', 'coupon = "nope"',
     "cart.coupon", "no coupon 'nope'", "CPN-1"),
    ("unknown level", 'level = "gold"', 'level = "platinum"',
     "customer.level", "no level 'platinum'", "MEM-1"),
    ("points over balance", "points = 10\n", "points = 60\n",
     "cart.points", "the customer has 50", "PTS-4"),
    ("naive time", "now = 2026-11-22T10:00:00+08:00", "now = 2026-11-22T10:00:00",
     "now", "no time zone", None),
    ("bad zhe", 'discount = "9"           # 9折: pay 90%', 'discount = "12"',
     "levels[0].discount", "not in (0, 10]", "MEM-1"),
    ("float zhe", 'discount = "9"           # 9折: pay 90%', "discount = 9.5",
     "levels[0].discount", "is a float", "MEM-1"),
    ("level and first order", 'kind = "discount"', 'kind = "discount"\nlevels = ["gold"]\n'
     "first_order_only = true", "activities[0].first_order_only", "choose one audience", "ACT-5"),
]


@pytest.mark.parametrize(
    ("old", "new", "place", "words", "rule"),
    [m[1:] for m in MISTAKES],
    ids=[m[0] for m in MISTAKES],
)
def test_mistakes_are_placed_and_never_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
    old: str, new: str, place: str, words: str, rule: str | None,
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path).price()
    err = caught.value
    assert err.place == place
    assert words in str(err)
    assert err.rule == rule
    assert main(["quote", str(path)]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith(f"mallcore: error: {path}: {place}: ")
    assert "Traceback" not in printed.err


def test_unreadable_file_and_bad_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", str(tmp_path / "missing.toml")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario("[cart\n", "x.toml")


def test_count_discount_and_every_reduction_from_toml() -> None:
    # RULES: ACT-1
    scenario = parse_scenario("""
now = 2026-11-22T10:00:00+08:00
[[products]]
id = "p"
name = "cup"
skus = [{ id = "cup", price = "30.00" }]
[[activities]]
id = "three-for-8"
name = "3 items 8折"
kind = "count_discount"
tiers = [{ items = 3, discount = "8" }]
[cart]
lines = [{ sku = "cup", quantity = 3 }]
""")
    assert str(scenario.price().payable.amount) == "72.00"
    every = parse_scenario("""
now = 2026-11-22T10:00:00+08:00
[[products]]
id = "p"
name = "cup"
skus = [{ id = "cup", price = "30.00" }]
[[activities]]
id = "every-50"
name = "每满50减5"
kind = "every_reduction"
every = "50.00"
save = "5.00"
max_save = "10.00"
[cart]
lines = [{ sku = "cup", quantity = 7 }]
""")
    # 210.00: four full 50s would save 20.00, capped at 10.00
    assert str(every.price().payable.amount) == "200.00"
