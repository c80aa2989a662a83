"""Flash-sale stock shared by many application servers, reserved atomically in Lua."""

from mallcore_adapters import require_extra

require_extra("redis", "redis", "redis")
