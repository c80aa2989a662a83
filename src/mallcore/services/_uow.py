"""How every use case runs: inside a unit of work, committed whole, events published after."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mallcore.errors import StaleState
from mallcore.ports import EventPublisher, UnitOfWork

T = TypeVar("T")

#: How many times a use case runs before a ``StaleState`` reaches the caller.  Each
#: round of a race commits at least one contender, so n racers need at most n rounds.
ATTEMPTS = 64


def run(uow: UnitOfWork, publisher: EventPublisher | None, work: Callable[[], T], *,
        attempts: int = ATTEMPTS) -> T:
    """Run ``work`` atomically; publish the events only once everything is committed,
    so an SMS or a refund request never goes out for a change that was rolled back.

    When another unit of work committed a change to the same aggregate first
    (``StaleState``), nothing of this one was written: ``work`` runs again on
    fresh state, where it may now find, say, the payment already recorded.
    """
    for attempt in range(1, attempts + 1):
        try:
            with uow:
                result = work()
                uow.commit()
            break
        except StaleState:
            if attempt == attempts:
                raise
    events = uow.collect_events()
    if publisher is not None:
        for event in events:
            publisher.publish(event)
    return result
