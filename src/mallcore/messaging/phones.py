"""Mainland China mobile numbers: normalise what merchants paste, mask what we log.

Merchants paste numbers as ``+86 138-1234-5678``, ``8613812345678`` or
``138 1234 5678``; they are one recipient, so they must compare equal.  A
``Phone`` keeps the 11 digits for the adapters (``number``, ``e164``) but its
``str`` and ``repr`` are masked (``138****5678``): a number that reaches a log
line, an error or a report repr never shows in full.
"""

from __future__ import annotations

import re

from mallcore.messaging.errors import InvalidPhoneNumber

__all__ = ["Phone", "mask_phone", "mask_text", "parse_phone"]

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-\u00a0().]")
_PREFIXES = ("+86", "0086", "86")


def mask_phone(number: str) -> str:
    """``13812345678`` → ``138****5678``; ``+8613812345678`` → ``+86138****5678``."""
    if len(number) >= 11:
        return f"{number[:-8]}****{number[-4:]}"
    if len(number) > 4:
        return f"{'*' * (len(number) - 4)}{number[-4:]}"
    return "*" * len(number)


def mask_text(raw: str) -> str:
    """Mask every run of 7+ digits in free text (a refused line, a provider message)."""
    return re.sub(r"\d{7,}", lambda m: mask_phone(m.group(0)), raw)


class Phone:
    """A normalised mainland mobile number; equal numbers are one recipient."""

    __slots__ = ("number",)
    number: str

    def __init__(self, number: str) -> None:
        if not isinstance(number, str) or not _MOBILE.fullmatch(number):
            shown = mask_text(number) if isinstance(number, str) else repr(number)
            raise InvalidPhoneNumber(shown, "not 11 digits starting 13–19")
        object.__setattr__(self, "number", number)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Phone is immutable")

    @property
    def e164(self) -> str:
        """``+8613812345678``: the form both providers take."""
        return f"+86{self.number}"

    @property
    def masked(self) -> str:
        return mask_phone(self.number)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phone) and other.number == self.number

    def __lt__(self, other: Phone) -> bool:
        return self.number < other.number

    def __hash__(self) -> int:
        return hash(("Phone", self.number))

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Phone({self.masked!r})"

    def __reduce__(self) -> tuple[type[Phone], tuple[str]]:
        return (Phone, (self.number,))


def parse_phone(raw: object, *, rule: str | None = "SMS-2") -> Phone:
    """Normalise: drop spaces, dashes, dots and brackets, then a +86 / 0086 / 86 prefix.

    Refused (``InvalidPhoneNumber``, masked) unless what is left is a mainland
    mobile number: 11 digits starting 13–19.
    """
    if isinstance(raw, Phone):
        return raw
    if not isinstance(raw, str):
        raise InvalidPhoneNumber(repr(type(raw).__name__), "not text", rule=rule)
    text = _SEPARATORS.sub("", raw)
    if not text:
        raise InvalidPhoneNumber("(blank)", "no digits", rule=rule)
    for prefix in _PREFIXES:
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    if not text.isascii() or not text.isdigit():
        raise InvalidPhoneNumber(mask_text(raw.strip()), "has characters other than digits",
                                 rule=rule)
    if len(text) != 11:
        raise InvalidPhoneNumber(mask_text(raw.strip()),
                                 f"{len(text)} digits; a mainland mobile number has 11",
                                 rule=rule)
    if not _MOBILE.fullmatch(text):
        raise InvalidPhoneNumber(mask_text(raw.strip()),
                                 "not a mainland mobile number (13–19 prefix)", rule=rule)
    return Phone(text)
