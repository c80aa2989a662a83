"""How every use case runs: inside a unit of work, committed whole, events published after."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mallcore.ports import EventPublisher, UnitOfWork

T = TypeVar("T")


def run(uow: UnitOfWork, publisher: EventPublisher | None, work: Callable[[], T]) -> T:
    """Run ``work`` atomically; publish the events only once everything is committed,
    so an SMS or a refund request never goes out for a change that was rolled back."""
    with uow:
        result = work()
        uow.commit()
    events = uow.collect_events()
    if publisher is not None:
        for event in events:
            publisher.publish(event)
    return result
