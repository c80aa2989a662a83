"""Verification codes (核销码): unguessable and typo-proof (VCH-1, VCH-3).

Shape: 48 random bits written as 15 decimal digits (zero-padded), then one
check digit: 16 digits, shown in groups of four ("0123 4567 8901 2345") and
as a QR code.  Digits only, because staff type codes on a phone keypad and
customers read them aloud.

Why 48 bits: the code is a bearer secret, so guessing must be hopeless while
typing stays bearable.  2**48 ≈ 2.8e14 codes; with a million live vouchers a
random guess hits one with probability 1 in 2.8e8, and every guess is a
counter interaction.  64 bits would cost 21 digits.  Randomness is injected
(``CodeGenerator``) so tests are deterministic; the default is ``secrets``.

Why Damm and not Luhn or Verhoeff: Luhn misses the transposition 09 ↔ 90.
Damm and Verhoeff both catch every single-digit substitution and every
adjacent transposition; Damm does it with one 10×10 table (a weakly totally
anti-symmetric quasigroup with a zero diagonal), its check digit is always a
digit 0-9 (no "X" as in ISBN-10), and a whole code checks by running the same
table to a final 0.  The tests verify the table's properties, which prove
both guarantees for every code, and also exercise them exhaustively.

A check digit only catches typos; it is no security: one code in ten passes
it, which is why the 48 random bits, not the check digit, carry the secret.
"""

from __future__ import annotations

import re
import secrets
from typing import Protocol

from mallcore.errors import InvalidInput
from mallcore.vouchers.errors import MistypedCode

__all__ = [
    "BODY_DIGITS",
    "CODE_BITS",
    "CODE_DIGITS",
    "CodeGenerator",
    "check",
    "check_digit",
    "display",
    "new_code",
    "system_random",
]

CODE_BITS = 48
BODY_DIGITS = 15  # 10**15 > 2**48: every 48-bit value fits, zero-padded
CODE_DIGITS = BODY_DIGITS + 1
GROUP = 4

# Damm's quasigroup of order 10 (H. M. Damm, 2004), as published.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

# What people type between or instead of digits: spaces (ASCII, tab, the
# ideographic space of a Chinese IME) and dashes.  Full-width digits from the
# IME become ASCII digits; nothing else is accepted.
_SEPARATORS = " \t\u3000-\u2010\u2011\u2012\u2013\u2014\uff0d"
_NORMALISE = str.maketrans(
    {**{chr(0xFF10 + d): str(d) for d in range(10)}, **dict.fromkeys(_SEPARATORS, "")}
)
_DIGITS = re.compile("[0-9]*")


class CodeGenerator(Protocol):
    """Randomness for codes: ``nbits`` uniformly random bits as an int."""

    def __call__(self, nbits: int, /) -> int: ...


system_random: CodeGenerator = secrets.randbits
"""The default generator: the operating system's CSPRNG."""


def _damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][ord(digit) - 48]
    return interim


def check_digit(digits: str) -> str:
    """The Damm check digit of ASCII ``digits``: appending it makes the whole run to 0."""
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput("check digit", f"{digits!r} is not a run of ASCII digits", rule="VCH-1")
    return str(_damm(digits))


def new_code(generator: CodeGenerator = system_random) -> str:
    """A fresh code: ``CODE_BITS`` random bits, zero-padded, plus the check digit."""
    value = generator(CODE_BITS)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**CODE_BITS:
        raise InvalidInput(
            "code generator", f"returned {value!r}, not a {CODE_BITS}-bit number", rule="VCH-1"
        )
    body = f"{value:0{BODY_DIGITS}d}"
    return body + check_digit(body)


def check(code: object) -> str:
    """The canonical form of a typed or scanned code, or ``MistypedCode``.

    Spaces and dashes (groups of four) are dropped and full-width digits
    become ASCII.  The typed text is never echoed in the error: a near-miss
    of a code is almost the code.
    """
    if not isinstance(code, str):
        raise MistypedCode(f"a {type(code).__name__} is not a code")
    digits = code.translate(_NORMALISE)
    if not _DIGITS.fullmatch(digits):
        raise MistypedCode(f"a code has only digits, spaces and dashes ({CODE_DIGITS} digits)")
    if len(digits) != CODE_DIGITS:
        raise MistypedCode(f"{len(digits)} digits typed, a code has {CODE_DIGITS}")
    if _damm(digits) != 0:
        raise MistypedCode(
            "the check digit does not match: a digit is mistyped or two are swapped"
        )
    return digits


def display(code: str) -> str:
    """``"0123456789012345"`` → ``"0123 4567 8901 2345"``, for reading aloud and typing."""
    digits = check(code)
    return " ".join(digits[i : i + GROUP] for i in range(0, len(digits), GROUP))
