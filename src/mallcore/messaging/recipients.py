"""Campaign recipients (发送对象): pasted numbers, merged, checked, capped (SMS-2).

The seed: "at most 10,000 numbers, one per line; repeated numbers are merged".
Numbers are normalised first, so ``+86 138-1234-5678`` and ``13812345678``
merge.  Lines that are not mainland mobile numbers are not silently lost: each
is reported with its line number, masked, and why.  The cap counts distinct
valid numbers; above it the whole list is refused (nothing half-accepted).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from mallcore.errors import InvalidInput
from mallcore.messaging.errors import InvalidPhoneNumber, TooManyRecipients
from mallcore.messaging.phones import Phone, parse_phone

__all__ = ["MAX_RECIPIENTS", "Recipients", "RefusedLine", "parse_recipients"]

MAX_RECIPIENTS = 10_000


@attrs.frozen
class RefusedLine:
    """A pasted line that is not a number we can send to; ``shown`` is masked."""

    line: int  # 1-based
    shown: str
    reason: str


@attrs.frozen
class Recipients:
    """Distinct numbers in first-seen order, with what was merged and what was refused."""

    phones: tuple[Phone, ...]
    merged: int = 0  # duplicates folded into an earlier line
    refused: tuple[RefusedLine, ...] = ()

    def __len__(self) -> int:
        return len(self.phones)


def parse_recipients(
    entries: str | Iterable[str | Phone], *, limit: int = MAX_RECIPIENTS
) -> Recipients:
    """SMS-2: normalise, merge duplicates, report refused lines, cap at ``limit``.

    ``entries`` is the pasted text (one number per line) or an iterable of
    numbers.  Blank lines are skipped.  No valid number at all is refused.
    """
    lines: Iterable[str | Phone] = entries.splitlines() if isinstance(entries, str) else entries
    seen: dict[Phone, None] = {}
    merged = 0
    refused: list[RefusedLine] = []
    for i, raw in enumerate(lines, start=1):
        if isinstance(raw, str) and not raw.strip():
            continue
        try:
            phone = parse_phone(raw)
        except InvalidPhoneNumber as exc:
            refused.append(RefusedLine(i, exc.masked, exc.reason))
            continue
        if phone in seen:
            merged += 1
        else:
            seen[phone] = None
    if len(seen) > limit:
        raise TooManyRecipients(len(seen), limit)
    if not seen:
        why = f"{len(refused)} lines refused, none valid" if refused else "the list is empty"
        raise InvalidInput("SMS recipients", why, rule="SMS-2")
    return Recipients(tuple(seen), merged, tuple(refused))
