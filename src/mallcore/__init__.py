"""mallcore: the business rules of a WeChat mini-program style mall.

The core is pure Python with no I/O: time is a parameter, randomness is
injected, money is exact.  Adapters (storage, Redis, WeChat Pay, SMS) live in
``mallcore_adapters`` and are never imported from here.
"""

from mallcore.money import Money, Rate, money

__version__ = "0.1.0"

__all__ = ["Money", "Rate", "__version__", "money"]
