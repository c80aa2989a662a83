"""ACT-4 / PIPE-2: give each line to at most one competing activity, best for the buyer.

Activities that share lines form a conflict group.  Within a group we choose an
order of the activities; each, in turn, takes every eligible line not yet taken.
For groups of up to ``EXACT_LIMIT`` activities the best order is found exactly by
dynamic programming over subsets: the lines left to an activity depend only on
*which* activities went before it, not their order, so ``best(S ∪ {a}) =
best(S) + saving(a, lines(a) − lines(S))``.  Exactness makes the choice monotone:
adding an activity never lowers the buyer's saving (it can always go last).
Larger groups fall back to a lazy greedy pass (largest saving first), which is
fast but not guaranteed optimal.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import NamedTuple, Protocol

EXACT_LIMIT = 10


class Measurable(Protocol):
    def saving(self, amount: int, count: int) -> int: ...


class Candidate(NamedTuple):
    key: str  # activity id: orders ties, so the answer ignores input order
    benefit: Measurable
    lines: int  # bitmask of eligible line indices


class Choice(NamedTuple):
    """Named tuples, not attrs classes: several are built for every cart priced."""

    candidate: Candidate
    lines: int  # bitmask of lines it takes (0 when it takes none)
    saving: int
    alone: int  # what it would save with no competition: tells "exclusive" apart


class _Evaluator:
    """Savings of a benefit on a set of lines, memoised per (candidate, lines)."""

    __slots__ = ("amounts", "counts", "memo")

    def __init__(self, amounts: Sequence[int], counts: Sequence[int]) -> None:
        self.amounts = amounts
        self.counts = counts
        self.memo: dict[tuple[int, int], int] = {}

    def __call__(self, index: int, cand: Candidate, mask: int) -> int:
        if not mask:
            return 0
        key = (index, mask)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        amount = count = 0
        amounts, counts = self.amounts, self.counts
        m = mask
        while m:
            low = m & -m
            i = low.bit_length() - 1
            amount += amounts[i]
            count += counts[i]
            m ^= low
        value = cand.benefit.saving(amount, count)
        self.memo[key] = value
        return value


def _groups(cands: Sequence[Candidate]) -> list[list[int]]:
    """Indices of candidates, grouped by shared lines (connected components)."""
    groups: list[tuple[int, list[int]]] = []  # (union mask, members)
    for index, cand in enumerate(cands):
        mask, members = cand.lines, [index]
        keep = []
        for group_mask, group_members in groups:
            if group_mask & mask:
                mask |= group_mask
                members.extend(group_members)
            else:
                keep.append((group_mask, group_members))
        keep.append((mask, members))
        groups = keep
    return [sorted(members, key=lambda i: cands[i].key) for _, members in groups]


def _exact(members: list[int], cands: Sequence[Candidate], value: _Evaluator) -> dict[int, int]:
    k = len(members)
    masks = [cands[i].lines for i in members]
    best: dict[int, tuple[int, int, int, int]] = {0: (0, -1, -1, 0)}  # S -> (value, prev, j, m)
    claimed = {0: 0}
    for subset in range(1 << k):
        entry = best.get(subset)
        if entry is None:
            continue
        total, taken = entry[0], claimed[subset]
        for j in range(k):
            bit = 1 << j
            if subset & bit:
                continue
            lines = masks[j] & ~taken
            candidate_total = total + value(members[j], cands[members[j]], lines)
            nxt = subset | bit
            old = best.get(nxt)
            if old is None or candidate_total > old[0]:
                best[nxt] = (candidate_total, subset, j, lines)
                claimed[nxt] = taken | masks[j]
    taken_by: dict[int, int] = {}
    subset = (1 << k) - 1
    while subset:
        _, prev, j, lines = best[subset]
        taken_by[members[j]] = lines
        subset = prev
    return taken_by


def _pair(members: list[int], cands: Sequence[Candidate], value: _Evaluator) -> dict[int, int]:
    """``_exact`` for two activities, written out: the common case, priced per cart.

    Ties go to the order with the smaller id first, as in ``_exact``.
    """
    i, j = members
    a, b = cands[i].lines, cands[j].lines
    i_first = value(i, cands[i], a) + value(j, cands[j], b & ~a)
    j_first = value(j, cands[j], b) + value(i, cands[i], a & ~b)
    if j_first > i_first:
        return {j: b, i: a & ~b}
    return {i: a, j: b & ~a}


def _greedy(members: list[int], cands: Sequence[Candidate], value: _Evaluator) -> dict[int, int]:
    heap = [(-value(i, cands[i], cands[i].lines), cands[i].key, i, cands[i].lines)
            for i in members]
    heapq.heapify(heap)
    taken = 0
    taken_by: dict[int, int] = {}
    while heap:
        neg, key, i, lines = heapq.heappop(heap)
        current = cands[i].lines & ~taken
        if current != lines:
            heapq.heappush(heap, (-value(i, cands[i], current), key, i, current))
            continue
        if neg == 0:
            break
        taken_by[i] = current
        taken |= current
    return taken_by


def choose(
    cands: Sequence[Candidate], amounts: Sequence[int], counts: Sequence[int]
) -> list[Choice]:
    """One ``Choice`` per candidate, in input order; lines never shared."""
    value = _Evaluator(amounts, counts)
    if len(cands) == 1:
        cand = cands[0]
        saving = value(0, cand, cand.lines)
        return [Choice(cand, cand.lines if saving else 0, saving, saving)]
    taken_by: dict[int, int] = {}
    for members in _groups(cands):
        if len(members) == 1:
            taken_by[members[0]] = cands[members[0]].lines
        elif len(members) == 2:
            taken_by.update(_pair(members, cands, value))
        elif len(members) <= EXACT_LIMIT:
            taken_by.update(_exact(members, cands, value))
        else:
            taken_by.update(_greedy(members, cands, value))
    choices = []
    for i, cand in enumerate(cands):
        lines = taken_by.get(i, 0)
        saving = value(i, cand, lines)
        choices.append(Choice(cand, lines if saving else 0, saving, value(i, cand, cand.lines)))
    return choices
