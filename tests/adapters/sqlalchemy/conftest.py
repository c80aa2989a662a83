"""Databases for the storage tests: a fresh SQLite file and a fresh PostgreSQL schema.

PostgreSQL is ``MALLCORE_TEST_POSTGRES_URL`` (default the machine's ``test``
database).  Under ``CI=true`` an unreachable server fails the run; elsewhere
its tests skip with the reason.  Each test gets its own schema, dropped after.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from mallcore_adapters.sqlalchemy import make_engine
from mallcore_adapters.sqlalchemy.schema import metadata

_HERE = Path(__file__).resolve().parent
for extra in (_HERE, _HERE.parent.parent / "orders"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

POSTGRES_URL = os.environ.get("MALLCORE_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def postgres_or_skip() -> None:
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # the reason is in the message
        if IN_CI:
            raise RuntimeError(f"PostgreSQL at {POSTGRES_URL} is required under CI: {exc}") from exc
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {exc}")


def postgres_engine(schema_name: str, **options: object) -> Engine:
    return make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema_name}"},
                       **options)


def fresh_database(kind: str, tmp_path: Path, **options: object) -> Iterator[Engine]:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}", **options)
        metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    postgres_or_skip()
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine = postgres_engine(name, **options)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from fresh_database(request.param, tmp_path, pool_size=40, max_overflow=40)
