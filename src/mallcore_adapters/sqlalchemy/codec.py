"""Aggregates to JSON documents and back, for the document column of each row.

The mapping is explicit about what it accepts, not about every field: an
aggregate's state is walked and each value must be one of the kinds below, or
the encoding is refused (a float, a function, a socket never reach the database).

* ``None``, ``bool``, ``int``, ``str``; a ``list`` as a JSON array;
* ``tuple``, ``set``, ``frozenset``, ``deque`` and ``dict`` (any hashable keys), tagged;
* ``datetime`` (aware; a ``ZoneInfo`` keeps its name), ``date``, ``time``,
  ``timedelta``, ``Decimal``, py-moneyed ``Money``;
* enums, attrs classes and plain classes **of mallcore only**: attrs classes by
  their fields, plain classes by ``__getstate__`` / ``__setstate__`` (so the
  aggregates' locks are dropped and re-made, as ``copy`` and ``pickle`` do).

Decoding never calls ``__init__`` or validators: a document is state that was
valid when it was written.  A field that a later version added to an attrs class
takes its default when an older document lacks it.
"""

from __future__ import annotations

import enum
import importlib
import json
from collections import deque
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from moneyed import Money

from mallcore.errors import InvalidInput

__all__ = ["decode", "dumps", "encode", "loads"]

_ALLOWED_PREFIX = "mallcore."
_PLAIN = frozenset({type(None), bool, int, str})
_TAG = "$"


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not module.startswith(_ALLOWED_PREFIX):
        raise InvalidInput(f"stored class {name!r}", "only mallcore classes are decoded")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not isinstance(target, type):
        raise InvalidInput(f"stored class {name!r}", "does not name a class")
    return target


def _tz(value: datetime | time) -> str | None:
    tz = value.tzinfo
    return tz.key if isinstance(tz, ZoneInfo) else None


def encode(value: object) -> Any:
    """A JSON-ready structure for ``value``; refuses what the module docstring does not list."""
    if type(value) in _PLAIN:  # exact types: a StrEnum is a str, but stored as an enum
        return value
    return _encode_object(value)


def _encode_object(value: object) -> Any:
    if isinstance(value, enum.Enum):
        return {_TAG: "enum", "c": _name(type(value)), "v": encode(value.value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {_TAG: "frozenset", "v": [encode(v) for v in value]}
    if isinstance(value, deque):
        return {_TAG: "deque", "v": [encode(v) for v in value]}
    if isinstance(value, set):
        return {_TAG: "set", "v": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {_TAG: "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput("stored datetime", f"{value!r} has no time zone")
        return {_TAG: "datetime", "v": value.isoformat(), "z": _tz(value)}
    if isinstance(value, date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, time):
        return {_TAG: "time", "v": value.isoformat(), "z": _tz(value)}
    if isinstance(value, timedelta):
        return {_TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, Money):
        return {_TAG: "money", "v": str(value.amount), "c": value.currency.code}
    cls = type(value)
    if not cls.__module__.startswith(_ALLOWED_PREFIX):
        raise InvalidInput(f"storing a {cls.__qualname__}",
                           f"{cls.__module__}.{cls.__qualname__} is not a storable kind")
    if attrs.has(cls):
        fields = {f.name: encode(getattr(value, f.name)) for f in attrs.fields(cls)
                  if hasattr(value, f.name)}
        return {_TAG: "attrs", "c": _name(cls), "v": fields}
    state = value.__getstate__()
    if not isinstance(state, dict):
        raise InvalidInput(f"storing a {cls.__qualname__}", "its state is not a dict")
    return {_TAG: "object", "c": _name(cls), "v": {k: encode(v) for k, v in state.items()}}


def _datetime(raw: dict[str, Any]) -> datetime:
    value = datetime.fromisoformat(raw["v"])
    zone = raw.get("z")
    return value.astimezone(ZoneInfo(zone)) if zone else value


def _time(raw: dict[str, Any]) -> time:
    value = time.fromisoformat(raw["v"])
    zone = raw.get("z")
    return value.replace(tzinfo=ZoneInfo(zone)) if zone else value


def _attrs(raw: dict[str, Any]) -> object:
    cls = _class(raw["c"])
    obj: Any = object.__new__(cls)
    stored = raw["v"]
    for field in attrs.fields(cls):
        if field.name in stored:
            value = decode(stored[field.name])
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            factory = field.default.factory
            value = factory(obj) if field.default.takes_self else factory()
        elif field.default is not attrs.NOTHING:
            value = field.default
        else:
            continue
        object.__setattr__(obj, field.name, value)
    return obj


def _object(raw: dict[str, Any]) -> object:
    cls = _class(raw["c"])
    obj: Any = object.__new__(cls)
    state = {k: decode(v) for k, v in raw["v"].items()}
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
    else:  # pragma: no cover - every Python 3.11 object has __setstate__ or __dict__
        obj.__dict__.update(state)
    return obj


_DECODERS: dict[str, Callable[[dict[str, Any]], object]] = {
    "enum": lambda raw: _class(raw["c"])(decode(raw["v"])),
    "tuple": lambda raw: tuple(decode(v) for v in raw["v"]),
    "frozenset": lambda raw: frozenset(decode(v) for v in raw["v"]),
    "set": lambda raw: {decode(v) for v in raw["v"]},
    "deque": lambda raw: deque(decode(v) for v in raw["v"]),
    "dict": lambda raw: {decode(k): decode(v) for k, v in raw["v"]},
    "datetime": _datetime,
    "date": lambda raw: date.fromisoformat(raw["v"]),
    "time": _time,
    "timedelta": lambda raw: timedelta(*raw["v"]),
    "decimal": lambda raw: Decimal(raw["v"]),
    "money": lambda raw: Money(Decimal(raw["v"]), raw["c"]),
    "attrs": _attrs,
    "object": _object,
}


def decode(raw: Any) -> Any:
    """The value ``encode`` produced ``raw`` from."""
    if raw is None or isinstance(raw, bool | int | str):
        return raw
    if isinstance(raw, list):
        return [decode(v) for v in raw]
    if isinstance(raw, dict):
        kind = raw.get(_TAG)
        decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
        if decoder is None:
            raise InvalidInput("stored document", f"unknown kind {kind!r}")
        return decoder(raw)
    raise InvalidInput("stored document", f"{type(raw).__name__} is not a stored kind")


def dumps(value: object) -> str:
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    return decode(json.loads(text))

