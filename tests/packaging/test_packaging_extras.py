"""The core imports no adapter dependency; adapters name the extra they need."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from mallcore_adapters import MissingExtra

ADAPTER_DEPENDENCIES = ("sqlalchemy", "redis", "httpx", "requests", "psycopg", "cryptography")


def test_import_mallcore_pulls_in_no_adapter_dependency() -> None:
    code = (
        "import sys, mallcore, mallcore.pricing, mallcore.catalog, mallcore.customers, "
        "mallcore.scenario, mallcore.cli; "
        f"print(' '.join(m for m in {ADAPTER_DEPENDENCIES!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""


@pytest.mark.parametrize(
    ("adapter", "extra", "module"),
    [("sqlalchemy", "sqlalchemy", "sqlalchemy"), ("redis", "redis", "redis"),
     ("wechatpay", "wechatpay", "httpx"), ("sms", "sms", "httpx")],
)
def test_adapter_without_its_extra_names_the_extra(adapter: str, extra: str, module: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        pass
    else:
        pytest.skip(f"{module} is installed here, so the adapter imports")
    sys.modules.pop(f"mallcore_adapters.{adapter}", None)
    with pytest.raises(MissingExtra) as caught:
        importlib.import_module(f"mallcore_adapters.{adapter}")
    assert caught.value.extra == extra
    assert f"pip install 'mallcore[{extra}]'" in str(caught.value)
