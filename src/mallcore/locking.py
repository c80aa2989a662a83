"""Aggregates that serialise their own changes with a lock, and still copy and pickle.

Inventory, coupon batches and flash stock make "check, then change" one step under
threads in one process (FS-5, CPN-4).  A lock cannot be copied or pickled, yet the
in-memory unit of work snapshots state with ``deepcopy``: a copy gets a fresh lock.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any


class Locked:
    """Give subclasses ``self._lock``; copies and unpickled objects get their own."""

    _lock: threading.Lock

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
