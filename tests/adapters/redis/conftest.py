"""Fixtures for the Redis adapter tests: a real server, a unique key prefix per test.

``MALLCORE_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) names the server.
With ``CI=true`` an unreachable server fails the tests; elsewhere they are skipped
with the reason.  Every test writes under its own prefix and deletes it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

REDIS_URL = os.environ.get("MALLCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true, so the Redis tests must run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_client() -> Iterator[Any]:
    try:
        import redis
    except ImportError as exc:  # the 'redis' extra is not installed
        _unavailable(f"redis-py is not installed ({exc}); pip install 'mallcore[redis]'")
        raise
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=10, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"no Redis at {REDIS_URL} ({exc}); set MALLCORE_TEST_REDIS_URL")
    yield client
    client.close()


def drop(client: Any, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def new_prefix(redis_client: Any) -> Iterator[Callable[[], str]]:
    """Make fresh prefixes (one per example in property tests); all dropped at the end."""
    made: list[str] = []

    def make() -> str:
        made.append(f"mallcore-test:{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield make
    for prefix in made:
        drop(redis_client, prefix)


@pytest.fixture
def prefix(new_prefix: Callable[[], str]) -> str:
    return new_prefix()


@pytest.fixture
def redis_store(redis_client: Any, prefix: str) -> Any:
    from mallcore_adapters.redis import RedisFlashStore

    return RedisFlashStore(redis_client, prefix=prefix)
