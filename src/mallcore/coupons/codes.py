"""Coupon codes: generated with a merchant prefix, or imported from a file (CPN-2).

A coupon code is a bearer secret: whoever types it may spend it.  Generated codes
therefore carry at least ``MIN_RANDOM_BITS`` bits drawn from an injected
generator (default ``secrets.randbelow``, so tests can script it), spelled in an
alphabet without the look-alikes 0/O, 1/I/L that customers mistype when reading
a code aloud or from a poster.

Codes are case-insensitive when typed; their canonical form is upper case
(``canonical_code``).  Imported codes are the merchant's own: they may use any
letter or digit, and every line of the file gets its own verdict (accepted, or
refused with the reason) so that one bad line does not sink the file.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Container, Iterable

import attrs

from mallcore.errors import InvalidConfiguration, InvalidInput, LimitReached
from mallcore.guards import whole

__all__ = [
    "ALPHABET",
    "DEFAULT_LENGTH",
    "MAX_CODE_LENGTH",
    "MIN_RANDOM_BITS",
    "CodeGenerator",
    "CodeImport",
    "ImportLine",
    "RandomBelow",
    "canonical_code",
    "import_codes",
]

#: 31 symbols: digits 2-9 and A-Z without I, L, O (no 0/O, no 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MIN_RANDOM_BITS = 40
DEFAULT_LENGTH = 10  # 10 × log2(31) ≈ 49.5 bits
MIN_CODE_LENGTH = 4
MAX_CODE_LENGTH = 32
MAX_PREFIX_LENGTH = 16
_BITS_PER_SYMBOL = math.log2(len(ALPHABET))
_MIN_LENGTH = math.ceil(MIN_RANDOM_BITS / _BITS_PER_SYMBOL)  # 9
_CODE = re.compile(r"[A-Z0-9_-]+")  # ASCII only: a full-width "Ａ" is a different code
_MAX_COLLISIONS = 100  # consecutive repeats before we blame the generator

#: ``randbelow(n)`` returns an int in ``[0, n)``; ``secrets.randbelow`` by default.
RandomBelow = Callable[[int], int]


def canonical_code(value: object, what: str = "coupon code") -> str:
    """The canonical (upper-case) form of a typed or imported code, or ``InvalidInput``.

    Surrounding spaces are dropped (a pasted code often carries them); anything
    but ASCII letters, digits, ``-`` and ``_`` inside is refused.
    """
    if not isinstance(value, str):
        raise InvalidInput(what, f"{value!r} is not text", rule="CPN-2")
    code = value.strip().upper()
    if not code:
        raise InvalidInput(what, "blank", rule="CPN-2")
    if not _CODE.fullmatch(code):
        bad = sorted({c for c in code if not _CODE.fullmatch(c)})
        raise InvalidInput(what, f"{value!r} has bad characters {bad}", rule="CPN-2")
    if not MIN_CODE_LENGTH <= len(code) <= MAX_CODE_LENGTH:
        raise InvalidInput(
            what,
            f"{value!r} is not {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} characters long",
            rule="CPN-2",
        )
    return code


def _prefix(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidConfiguration("code prefix", f"{value!r} is not a non-blank text",
                                   rule="CPN-2")
    prefix = value.strip().upper()
    if not _CODE.fullmatch(prefix) or len(prefix) > MAX_PREFIX_LENGTH:
        raise InvalidConfiguration(
            "code prefix",
            f"{value!r} is not 1 to {MAX_PREFIX_LENGTH} letters, digits, '-' or '_'",
            rule="CPN-2",
        )
    return prefix


def _length(value: object) -> int:
    length = whole(value, "random part length", "CPN-2", error=InvalidConfiguration)
    if not _MIN_LENGTH <= length <= MAX_CODE_LENGTH - MAX_PREFIX_LENGTH:
        raise InvalidConfiguration(
            "random part length",
            f"{length} symbols; {_MIN_LENGTH} to {MAX_CODE_LENGTH - MAX_PREFIX_LENGTH} give "
            f"at least {MIN_RANDOM_BITS} random bits and fit a code",
            rule="CPN-2",
        )
    return length


@attrs.frozen
class CodeGenerator:
    """Codes ``prefix + length random symbols``; ``length`` ≥ 9 (≥ 40 bits)."""

    prefix: str = attrs.field(converter=_prefix)
    length: int = attrs.field(default=DEFAULT_LENGTH, converter=_length)
    randbelow: RandomBelow = attrs.field(default=secrets.randbelow, eq=False, repr=False)

    @property
    def random_bits(self) -> float:
        return self.length * _BITS_PER_SYMBOL

    def one(self) -> str:
        symbols = len(ALPHABET)
        out = []
        for _ in range(self.length):
            i = self.randbelow(symbols)
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < symbols:
                raise InvalidConfiguration(
                    "code generator", f"randbelow({symbols}) gave {i!r}", rule="CPN-2"
                )
            out.append(ALPHABET[i])
        return self.prefix + "".join(out)

    def generate(self, n: int, taken: Container[str] = frozenset()) -> tuple[str, ...]:
        """``n`` distinct codes, none in ``taken``; a collision is drawn again.

        ``taken`` lets a caller keep codes unique beyond one batch (its other
        batches).  A generator that keeps repeating itself is refused rather
        than looped on forever.
        """
        n = whole(n, "number of codes", "CPN-2", minimum=1)
        made: dict[str, None] = {}
        while len(made) < n:
            for _ in range(_MAX_COLLISIONS):
                code = self.one()
                if code not in made and code not in taken:
                    made[code] = None
                    break
            else:
                raise LimitReached(
                    f"generating {n} codes with prefix {self.prefix!r}",
                    f"{_MAX_COLLISIONS} draws in a row repeated existing codes",
                    rule="CPN-2",
                )
        return tuple(made)


@attrs.frozen
class ImportLine:
    """One line of an import: the code it gave, or why it was refused."""

    number: int  # 1-based, as an editor shows it
    text: str
    code: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is not None


@attrs.frozen
class CodeImport:
    lines: tuple[ImportLine, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The accepted codes, in file order."""
        return tuple(line.code for line in self.lines if line.code is not None)

    @property
    def refused(self) -> tuple[ImportLine, ...]:
        return tuple(line for line in self.lines if not line.ok)


def import_codes(
    source: str | Iterable[str], *, taken: Container[str] = frozenset()
) -> CodeImport:
    """Read one code per line (CPN-2 "文件导入"); each line is accepted or refused.

    Refused: blank lines, bad characters or length, a repeat of an earlier line
    (case-insensitively: codes are typed case-insensitively), a code in ``taken``.
    """
    rows = source.splitlines() if isinstance(source, str) else list(source)
    seen: dict[str, int] = {}
    lines: list[ImportLine] = []
    for number, raw in enumerate(rows, start=1):
        if not isinstance(raw, str):
            lines.append(ImportLine(number, repr(raw), reason="not text"))
            continue
        if not raw.strip():
            lines.append(ImportLine(number, raw, reason="blank line"))
            continue
        try:
            code = canonical_code(raw)
        except InvalidInput as exc:
            lines.append(ImportLine(number, raw, reason=exc.reason))
            continue
        if code in seen:
            lines.append(ImportLine(number, raw, reason=f"duplicate of line {seen[code]}"))
        elif code in taken:
            lines.append(ImportLine(number, raw, reason="code already exists"))
        else:
            seen[code] = number
            lines.append(ImportLine(number, raw, code=code))
    return CodeImport(tuple(lines))
