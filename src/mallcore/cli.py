"""The ``mallcore`` command.  ``quote`` prices a scenario file (docs/scenario.md).

The CLI is an adapter of the core: it reads files, the clock (only when a
scenario gives no ``now``) and the terminal; the rules stay in the core.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from mallcore import __version__
from mallcore.errors import MallcoreError
from mallcore.scenario import load_scenario

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _now(text: str | None) -> datetime | None:
    if text is None:
        return None
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now {text!r} has no time zone offset")
    return when


def _quote(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.file)
    now = _now(args.now) or scenario.now or datetime.now(SHANGHAI)
    breakdown = scenario.price(now)
    if args.json:
        print(json.dumps(breakdown.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(breakdown.render())
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    """Adapters load only here: ``import mallcore`` never needs SQLAlchemy."""
    from mallcore_adapters.sqlalchemy.migrate import upgrade

    upgrade(args.url)
    print(f"mallcore: {args.url} is at the latest schema")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mallcore_adapters.demo import run_demo

    return run_demo(args.url, fresh=not args.keep)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mallcore", description="Business rules of a WeChat mini-program style mall."
    )
    parser.add_argument("--version", action="version", version=f"mallcore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    quote = sub.add_parser("quote", help="price the cart of a scenario file")
    quote.add_argument("file", help="scenario TOML file (see docs/scenario.md)")
    quote.add_argument("--json", action="store_true", help="print the breakdown as JSON")
    quote.add_argument("--now", help="price at this ISO 8601 time (overrides the file's)")
    quote.set_defaults(run=_quote)
    db = sub.add_parser("db", help="database schema (needs the sqlalchemy extra)")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="create or migrate the tables at URL")
    upgrade.add_argument("url", nargs="?", default="sqlite:///mallcore.db",
                         help="database URL (default sqlite:///mallcore.db)")
    upgrade.set_defaults(run=_db_upgrade)
    demo = sub.add_parser("demo", help="run a small shop end to end on SQLite, narrated")
    demo.add_argument("--url", default="sqlite:///mallcore-demo.db",
                      help="database URL (default sqlite:///mallcore-demo.db, recreated)")
    demo.add_argument("--keep", action="store_true",
                      help="keep what the database holds instead of starting afresh")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except MallcoreError as exc:
        print(f"mallcore: error: {exc}", file=sys.stderr)
        return 2
    except (argparse.ArgumentTypeError, ValueError) as exc:
        print(f"mallcore: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `mallcore quote … | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
