"""Sessions: tests, lint, bench, docs.  ``nox -s tests`` is what CI runs first."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("mypy", "--strict", "src/mallcore")


@nox.session
def bench(session: nox.Session) -> None:
    """Pricing, storage and Redis throughput; figures printed and written to .bench/*.json.

    Storage and Redis need the machine's PostgreSQL and Redis (see README)."""
    session.install("-e", ".[sqlalchemy,postgres,redis]")
    session.run("python", "benchmarks/bench_pricing.py", *session.posargs)
    session.run("python", "benchmarks/bench_storage.py", *session.posargs)
    if Path("benchmarks/bench_redis.py").exists():
        session.run("python", "benchmarks/bench_redis.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The docs are tested: every example in docs/*.md runs, every scenario prices."""
    session.install("-e", ".[test]")
    session.run("pytest", "--doctest-glob=*.md", "docs", "-q")
    for example in sorted(__import__("glob").glob("examples/*.toml")):
        session.run("mallcore", "quote", example, silent=True)
