"""Express carriers and tracking numbers (ORD-4).

Shipping an order needs a carrier and a tracking number (ORD-4).  A merchant
names the carrier the way people do: by its code (``SF``, ``zto``), its name
(顺丰速运) or a common short name (顺丰).  Codes are matched case-insensitively;
names and aliases exactly, after trimming surrounding spaces, so 顺丰 and
顺丰速运 resolve while a near miss such as 顺风 does not.  The seed (004 批量发货)
warns that the carrier must match the back office's carrier names, "otherwise
the logistics cannot be shown": an unknown carrier is refused, never guessed.

A tracking number (运单号) is 6 to 40 characters, each an ASCII letter, digit or
hyphen, with at least one letter or digit; surrounding spaces are trimmed.
Anything else (inner spaces, full-width digits, an Excel ``1.23E+14``) is
refused with the reason "bad tracking number".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import attrs

from mallcore.errors import InvalidConfiguration, InvalidInput, NotFound

__all__ = [
    "DEFAULT_CARRIERS",
    "TRACKING_NUMBER_MAX",
    "TRACKING_NUMBER_MIN",
    "Carrier",
    "CarrierRegistry",
    "validate_tracking_number",
]

TRACKING_NUMBER_MIN = 6
TRACKING_NUMBER_MAX = 40
_TRACKING = re.compile(rf"[A-Za-z0-9-]{{{TRACKING_NUMBER_MIN},{TRACKING_NUMBER_MAX}}}")
_HAS_ALNUM = re.compile(r"[A-Za-z0-9]")


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _check_text(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value or value != value.strip():
        raise InvalidInput(
            f"carrier {attribute.name} {value!r}",
            "must be non-empty without surrounding spaces",
            rule="ORD-4",
        )


def _check_aliases(
    instance: object, attribute: attrs.Attribute[frozenset[str]], value: frozenset[str]
) -> None:
    for alias in value:
        if not isinstance(alias, str) or not alias or alias != alias.strip():
            raise InvalidInput(
                f"carrier alias {alias!r}",
                "must be non-empty text without surrounding spaces",
                rule="ORD-4",
            )


@attrs.frozen
class Carrier:
    """An express company: ``code`` (SF), display ``name`` (顺丰速运), other ``aliases``."""

    code: str = attrs.field(validator=_check_text)
    name: str = attrs.field(validator=_check_text)
    aliases: frozenset[str] = attrs.field(
        default=frozenset(), converter=_names, validator=_check_aliases
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CarrierRegistry:
    """The carriers a mall accepts, looked up by code, name or alias.

    Refuses (``InvalidConfiguration``, ORD-4) a set of carriers in which one
    text would name two carriers: two codes equal ignoring case, a name or
    alias shared by two carriers, or a name or alias that reads as another
    carrier's code.
    """

    def __init__(self, carriers: Iterable[Carrier]) -> None:
        self._carriers: tuple[Carrier, ...] = tuple(carriers)
        self._by_code: dict[str, Carrier] = {}
        self._by_name: dict[str, Carrier] = {}
        for carrier in self._carriers:
            key = carrier.code.casefold()
            other = self._by_code.get(key)
            if other is not None:
                raise InvalidConfiguration(
                    f"carrier code {carrier.code!r}", f"already used by {other}", rule="ORD-4"
                )
            self._by_code[key] = carrier
        for carrier in self._carriers:
            for name in sorted({carrier.name, *carrier.aliases}):
                other = self._by_name.get(name)
                if other is None:
                    other = self._by_code.get(name.casefold())
                if other is not None and other is not carrier:
                    raise InvalidConfiguration(
                        f"carrier name {name!r} of {carrier}",
                        f"already names {other}",
                        rule="ORD-4",
                    )
                self._by_name[name] = carrier

    def find(self, text: str) -> Carrier | None:
        """The carrier ``text`` names, or None."""
        key = text.strip()
        return self._by_code.get(key.casefold()) or self._by_name.get(key)

    def resolve(self, text: str) -> Carrier:
        """The carrier ``text`` names; ``NotFound`` "unknown carrier" (ORD-7) otherwise."""
        carrier = self.find(text)
        if carrier is None:
            raise NotFound(f"carrier {text!r}", "unknown carrier", rule="ORD-7")
        return carrier

    def extended(self, carriers: Iterable[Carrier]) -> CarrierRegistry:
        """A new registry with ``carriers`` added (the same clash checks apply)."""
        return CarrierRegistry((*self._carriers, *carriers))

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.find(text) is not None

    def __iter__(self) -> Iterator[Carrier]:
        return iter(self._carriers)

    def __len__(self) -> int:
        return len(self._carriers)

    def __repr__(self) -> str:
        return f"CarrierRegistry({', '.join(c.code for c in self._carriers)})"


def validate_tracking_number(text: str) -> str:
    """``text`` trimmed if it is a valid tracking number, else ``InvalidInput`` (ORD-4).

    Valid: 6 to 40 characters, each an ASCII letter, digit or hyphen, at least
    one of them a letter or digit.  The reason is "missing tracking number"
    for blank text and "bad tracking number" otherwise.
    """
    value = text.strip()
    if not value:
        raise InvalidInput("tracking number", "missing tracking number", rule="ORD-4")
    if not (_TRACKING.fullmatch(value) and _HAS_ALNUM.search(value)):
        raise InvalidInput(
            f"tracking number {value!r} (needs {TRACKING_NUMBER_MIN} to {TRACKING_NUMBER_MAX} "
            "ASCII letters, digits or hyphens)",
            "bad tracking number",
            rule="ORD-4",
        )
    return value


DEFAULT_CARRIERS = CarrierRegistry(
    (
        Carrier("SF", "顺丰速运", frozenset({"顺丰", "顺丰快递", "SF Express", "SF-Express"})),
        Carrier("ZTO", "中通快递", frozenset({"中通", "ZTO Express"})),
        Carrier("YTO", "圆通速递", frozenset({"圆通", "圆通快递", "YTO Express"})),
        Carrier("STO", "申通快递", frozenset({"申通", "STO Express"})),
        Carrier("YUNDA", "韵达速递", frozenset({"韵达", "韵达快递", "Yunda Express", "YD"})),
        Carrier("EMS", "中国邮政EMS", frozenset({"中国邮政", "邮政EMS", "邮政", "China Post"})),
        Carrier("JD", "京东物流", frozenset({"京东", "京东快递", "JD Logistics"})),
        Carrier("DBL", "德邦快递", frozenset({"德邦", "德邦物流", "Deppon"})),
        Carrier("JT", "极兔速递", frozenset({"极兔", "极兔快递", "J&T Express", "JTSD"})),
        Carrier("BEST", "百世快递", frozenset({"百世", "百世汇通", "汇通", "HTKY"})),
        Carrier("ZJS", "宅急送", frozenset({"宅急送快递"})),
        Carrier("KYE", "跨越速运", frozenset({"跨越"})),
        Carrier("ANE", "安能物流", frozenset({"安能"})),
        Carrier("UC", "优速快递", frozenset({"优速"})),
    )
)
