"""Optional adapters that carry out what the core decides.

Each subpackage needs its extra (``pip install 'mallcore[redis]'`` …); importing
one without it fails with :class:`MissingExtra`, naming the extra to install.
"""

from __future__ import annotations

import importlib


class MissingExtra(ImportError):
    """An adapter was imported without the optional dependencies it needs."""

    def __init__(self, adapter: str, extra: str, missing: str) -> None:
        self.adapter = adapter
        self.extra = extra
        self.missing = missing
        super().__init__(
            f"mallcore_adapters.{adapter} needs the '{extra}' extra "
            f"(missing module {missing!r}): pip install 'mallcore[{extra}]'"
        )


def require_extra(adapter: str, extra: str, *modules: str) -> None:
    """Import ``modules`` or raise :class:`MissingExtra` naming ``extra``."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise MissingExtra(adapter, extra, name) from exc


__all__ = ["MissingExtra", "require_extra"]
