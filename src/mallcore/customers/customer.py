"""Customers, the blacklist (CUS-1), tags (CUS-2) and level progression (MEM-3).

``Customer`` is a frozen value; ``CustomerBook`` is the in-memory collection that
replaces customers as they change, and owns the tag registry so that deleting a
tag can reach every customer who carries it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import attrs

from mallcore.customers.membership import DEFAULT_LEVEL_ID, LevelLadder
from mallcore.errors import Conflict, InvalidInput, NotAllowed, NotFound
from mallcore.guards import aware, optional_text, text, whole

__all__ = ["Customer", "CustomerBook"]


def _tag_set(tags: Iterable[str]) -> frozenset[str]:
    if isinstance(tags, str):
        raise InvalidInput(
            "customer tags", f"{tags!r} is one string, not a set of tags", rule="CUS-2"
        )
    return frozenset(tags)


@attrs.frozen
class Customer:
    id: str
    name: str
    phone: str | None = None
    level_id: str = DEFAULT_LEVEL_ID
    experience: int = 0
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tag_set)
    blacklisted: bool = False
    registered_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        text(self.id, "customer id", "CUS-1")
        text(self.name, f"name of customer {self.id!r}", "CUS-1")
        optional_text(self.phone, f"phone of customer {self.id!r}", "CUS-1")
        text(self.level_id, f"level of customer {self.id!r}", "MEM-3")
        whole(self.experience, f"experience of customer {self.id!r}", "MEM-3")
        for tag in self.tags:
            text(tag, f"tag of customer {self.id!r}", "CUS-2")
        if not isinstance(self.blacklisted, bool):
            raise InvalidInput(
                f"blacklisted flag of customer {self.id!r}",
                f"{self.blacklisted!r} is not a bool",
                rule="CUS-1",
            )
        if self.registered_at is not None:
            aware(self.registered_at, f"registration time of customer {self.id!r}", "CUS-1")


class CustomerBook:
    """The merchant's customers and tag registry, in memory.

    Every method validates before it replaces anything, so a refused call leaves
    the book as it was.
    """

    def __init__(self) -> None:
        self._customers: dict[str, Customer] = {}
        self._tags: set[str] = set()

    # customers

    def add(self, customer: Customer) -> Customer:
        if not isinstance(customer, Customer):
            raise InvalidInput("customer", f"{customer!r} is not a Customer", rule="CUS-1")
        if customer.id in self._customers:
            raise Conflict(f"customer {customer.id!r}", "a customer with this id exists")
        unknown = sorted(customer.tags - self._tags)
        if unknown:
            raise NotFound(
                f"tags {unknown} of customer {customer.id!r}",
                "create the tags first",
                rule="CUS-2",
            )
        self._customers[customer.id] = customer
        return customer

    def get(self, customer_id: str) -> Customer:
        try:
            return self._customers[customer_id]
        except KeyError:
            raise NotFound(f"customer {customer_id!r}", "no such customer") from None

    def __iter__(self) -> Iterator[Customer]:
        return iter(tuple(self._customers.values()))

    def __len__(self) -> int:
        return len(self._customers)

    # blacklist (CUS-1)

    def blacklist(self, customer_id: str) -> Customer:
        """Bar a customer from logging in and ordering; repeating it is harmless."""
        return self._put(attrs.evolve(self.get(customer_id), blacklisted=True))

    def lift_blacklist(self, customer_id: str) -> Customer:
        return self._put(attrs.evolve(self.get(customer_id), blacklisted=False))

    def ensure_may_log_in(self, customer_id: str) -> Customer:
        return self._ensure_not_blacklisted(customer_id, "logging in")

    def ensure_may_order(self, customer_id: str) -> Customer:
        return self._ensure_not_blacklisted(customer_id, "placing an order")

    def _ensure_not_blacklisted(self, customer_id: str, action: str) -> Customer:
        customer = self.get(customer_id)
        if customer.blacklisted:
            raise NotAllowed(
                f"{action} by customer {customer_id!r}",
                "the customer is blacklisted",
                rule="CUS-1",
            )
        return customer

    # tags (CUS-2)

    def tags(self) -> frozenset[str]:
        return frozenset(self._tags)

    def create_tag(self, tag: str) -> str:
        text(tag, "tag", "CUS-2")
        if tag in self._tags:
            raise Conflict(f"tag {tag!r}", "a tag with this name exists")
        self._tags.add(tag)
        return tag

    def rename_tag(self, old: str, new: str) -> tuple[str, ...]:
        """Rename a tag everywhere; returns the ids of the customers who carry it."""
        self._known_tag(old)
        text(new, "tag", "CUS-2")
        if new in self._tags:
            raise Conflict(f"tag {new!r}", "a tag with this name exists")
        self._tags.remove(old)
        self._tags.add(new)
        return self._retag(old, new)

    def delete_tag(self, tag: str) -> tuple[str, ...]:
        """Delete a tag and take it off every customer (CUS-2); returns their ids."""
        self._known_tag(tag)
        self._tags.remove(tag)
        return self._retag(tag, None)

    def tag(self, customer_id: str, tag: str) -> Customer:
        customer = self.get(customer_id)
        self._known_tag(tag)
        return self._put(attrs.evolve(customer, tags=customer.tags | {tag}))

    def untag(self, customer_id: str, tag: str) -> Customer:
        """Take a tag off one customer; a customer without it is left as is."""
        customer = self.get(customer_id)
        self._known_tag(tag)
        return self._put(attrs.evolve(customer, tags=customer.tags - {tag}))

    def tagged(self, tag: str) -> tuple[Customer, ...]:
        self._known_tag(tag)
        return tuple(c for c in self._customers.values() if tag in c.tags)

    def _known_tag(self, tag: str) -> None:
        if tag not in self._tags:
            raise NotFound(f"tag {tag!r}", "no such tag; create it first", rule="CUS-2")

    def _retag(self, old: str, new: str | None) -> tuple[str, ...]:
        changed: list[str] = []
        for customer in tuple(self._customers.values()):
            if old in customer.tags:
                tags = customer.tags - {old}
                self._put(attrs.evolve(customer, tags=tags | {new} if new else tags))
                changed.append(customer.id)
        return tuple(changed)

    # experience and level (MEM-3)

    def gain_experience(self, customer_id: str, experience: int, ladder: LevelLadder) -> Customer:
        """Add experience and move the customer up to the level it reaches (MEM-3).

        Experience only grows, so the level only rises: a customer whose current
        level needs more than their experience (the merchant raised a threshold)
        keeps it rather than being demoted by an unrelated order.  A level that no
        longer exists in the ladder is replaced by the one the experience reaches.
        """
        customer = self.get(customer_id)
        whole(experience, "experience gained", "MEM-3")
        total = customer.experience + experience
        reached = ladder.level_for(total)
        level_id = reached.id
        if customer.level_id in ladder:
            current = ladder.get(customer.level_id)
            if current.experience_needed > reached.experience_needed:
                level_id = current.id
        return self._put(attrs.evolve(customer, experience=total, level_id=level_id))

    def _put(self, customer: Customer) -> Customer:
        self._customers[customer.id] = customer
        return customer
