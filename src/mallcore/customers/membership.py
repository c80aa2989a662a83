"""Membership levels and experience (MEM-1..3).

The ladder is configuration read by pricing (stage 3 takes the level discount)
and by customers (the level follows experience), so it is immutable: every edit
returns a new ladder.  A quote computed against one ladder cannot change under
it, and an edit that would break a rule leaves the old ladder untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from mallcore.errors import InvalidConfiguration, NotAllowed, NotFound
from mallcore.guards import text, whole
from mallcore.money import Rate

__all__ = ["DEFAULT_LEVEL", "DEFAULT_LEVEL_ID", "Level", "LevelLadder", "experience_for"]

DEFAULT_LEVEL_ID = "regular"
_FEN_PER_YUAN = 100


@attrs.frozen
class Level:
    """One rung: the experience that reaches it and the discount it gives (MEM-1).

    ``discount`` is what the member pays (``Rate.zhe("9")`` pays 90%); ``None``
    means the level carries no member discount and stage 3 skips it.
    """

    id: str
    name: str
    experience_needed: int
    discount: Rate | None
    icon: str | None = None

    def __attrs_post_init__(self) -> None:
        text(self.id, "level id", "MEM-1", error=InvalidConfiguration)
        text(self.name, f"name of level {self.id!r}", "MEM-1", error=InvalidConfiguration)
        whole(
            self.experience_needed,
            f"experience needed for level {self.id!r}",
            "MEM-1",
            error=InvalidConfiguration,
        )
        if self.discount is not None and not isinstance(self.discount, Rate):
            raise InvalidConfiguration(
                f"discount of level {self.id!r}",
                f'{self.discount!r} is not a Rate (use Rate.zhe("9") for 90%)',
                rule="MEM-1",
            )
        if self.icon is not None:
            text(self.icon, f"icon of level {self.id!r}", "MEM-1", error=InvalidConfiguration)


# The seed's name for the built-in level; merchants may rename it (``replace``).
DEFAULT_LEVEL = Level(id=DEFAULT_LEVEL_ID, name="普通会员", experience_needed=0, discount=None)


def _ladder(levels: Iterable[Level]) -> tuple[Level, ...]:
    given = list(levels)
    for level in given:
        if not isinstance(level, Level):
            raise InvalidConfiguration("level ladder", f"{level!r} is not a Level", rule="MEM-1")
    if all(level.id != DEFAULT_LEVEL_ID for level in given):
        given.append(DEFAULT_LEVEL)
    by_id: dict[str, Level] = {}
    by_threshold: dict[int, Level] = {}
    for level in given:
        if level.id in by_id:
            raise InvalidConfiguration(
                f"level {level.id!r}", "two levels share this id", rule="MEM-1"
            )
        other = by_threshold.get(level.experience_needed)
        if other is not None:
            raise InvalidConfiguration(
                f"level {level.id!r}",
                f"needs {level.experience_needed} experience, as level {other.id!r} does; "
                "the level for that experience would be ambiguous",
                rule="MEM-3",
            )
        by_id[level.id] = level
        by_threshold[level.experience_needed] = level
    if by_id[DEFAULT_LEVEL_ID].experience_needed != 0:
        raise InvalidConfiguration(
            f"level {DEFAULT_LEVEL_ID!r}",
            "the default level must need 0 experience so every customer has a level",
            rule="MEM-1",
        )
    return tuple(sorted(given, key=lambda level: level.experience_needed))


@attrs.frozen
class LevelLadder:
    """The merchant's levels; the default "regular" level is always present (MEM-1)."""

    _levels: tuple[Level, ...] = attrs.field(default=(), converter=_ladder)

    def levels(self) -> tuple[Level, ...]:
        """All levels, lowest threshold first."""
        return self._levels

    def __iter__(self) -> Iterator[Level]:
        return iter(self._levels)

    def __len__(self) -> int:
        return len(self._levels)

    def __contains__(self, level_id: object) -> bool:
        return any(level.id == level_id for level in self._levels)

    @property
    def default(self) -> Level:
        return self.get(DEFAULT_LEVEL_ID)

    def get(self, level_id: str) -> Level:
        for level in self._levels:
            if level.id == level_id:
                return level
        raise NotFound(f"level {level_id!r}", "no such membership level", rule="MEM-1")

    def level_for(self, experience: int) -> Level:
        """The level with the highest threshold the experience reaches (MEM-3)."""
        whole(experience, "experience", "MEM-3")
        reached = [level for level in self._levels if level.experience_needed <= experience]
        return reached[-1]  # never empty: the default level needs 0

    def add(self, level: Level) -> LevelLadder:
        if level.id in self:
            raise InvalidConfiguration(
                f"level {level.id!r}", "already exists; use replace() to edit it", rule="MEM-1"
            )
        return LevelLadder((*self._levels, level))

    def replace(self, level: Level) -> LevelLadder:
        """Edit a level in place (name, icon, threshold, discount), keeping its id."""
        self.get(level.id)
        return LevelLadder(level if old.id == level.id else old for old in self._levels)

    def remove(self, level_id: str) -> LevelLadder:
        if level_id == DEFAULT_LEVEL_ID:
            raise NotAllowed(
                f"deleting level {level_id!r}", "the default level cannot be deleted", rule="MEM-1"
            )
        self.get(level_id)
        return LevelLadder(level for level in self._levels if level.id != level_id)


def experience_for(paid_fen: int, per_yuan: int) -> int:
    """Experience earned by a completed order (MEM-2).

    ``paid_fen`` is what the customer actually paid for goods (PIPE-6: no
    shipping, fees or taxes).  Experience is yuan × ``per_yuan``; a positive
    result below 1 rounds up to 1 (¥0.02 at 10/yuan earns 1), larger results drop
    their fraction (¥12.34 at 10/yuan earns 123).  ``per_yuan`` 0 turns it off.
    """
    whole(paid_fen, "paid amount (fen)", "MEM-2")
    whole(per_yuan, "experience per yuan", "MEM-2")
    earned = paid_fen * per_yuan // _FEN_PER_YUAN
    if earned == 0 and paid_fen > 0 and per_yuan > 0:
        return 1
    return earned
