"""``RedisFlashStore``: flash-sale stock and per-user limits shared by every app server.

It implements three core ports at once (``mallcore.promotions``): ``FlashStock``,
``FlashLimitLedger`` and the atomic ``FlashGate``.  Each operation is one Lua
script (``scripts``), so the limit check (FS-2), the stock check and the move of
units (FS-5) and the record of the request id (the ``ref``) happen as one step
that no other client can interleave with; ``remaining + reserved + sold ==
loaded`` holds after every script.

Keys.  Every key of a sale is ``<prefix>:{flash:<sale id>}:<name>``: one hash tag,
so one Redis Cluster slot, and every key is passed to the script in ``KEYS``.
The set of loaded sales is ``<prefix>:flash:sales`` (its own slot).

References.  The gate's ``submit`` / ``pay`` / ``close`` name the sale, so they
are one round trip.  The plain ports' ``release(ref)``, ``confirm(ref)`` and
``give_back(ref)`` do not: the store first finds which loaded sale knows the
ref (one pipelined read), then runs the script in that sale's slot.  A plain
``reserve`` / ``use`` refuses a ref another sale already knows, as the memory
store does; the gate does not look (one round trip), so a gate ref is one
submission *within its sale*.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from mallcore.errors import InvalidTransition, NotAllowed, NotFound
from mallcore.guards import identifier, whole
from mallcore.promotions.flash_sale import (
    ADMITTED,
    SPENT,
    Admission,
    FlashAdmission,
    over_limit,
    reused,
)
from mallcore.promotions.flash_stock import FlashLevel
from mallcore_adapters.redis import scripts

__all__ = ["RedisFlashStore", "RefRecord", "SaleKeys", "sale_keys"]

#: Stock and limit states of a ``RefRecord`` in words.
STOCK_STATES = {"h": "held", "s": "sold", "r": "released", "x": "refused"}
LIMIT_STATES = {"u": "used", "c": "confirmed", "g": "returned", "x": "refused"}


@attrs.frozen
class SaleKeys:
    """Every key of one sale, all under the hash tag ``{flash:<sale id>}``."""

    loaded: str
    remaining: str
    reserved: str
    sold: str
    used: str
    refs: str
    paused: str

    @property
    def data(self) -> tuple[str, ...]:
        """The keys that hold the sale's state (what ``rebuild`` replaces)."""
        return (self.loaded, self.remaining, self.reserved, self.sold, self.used, self.refs)

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.data, self.paused)

    def staging(self) -> tuple[str, ...]:
        """Staging copies of ``data`` in the same slot (``rebuild`` writes these first)."""
        return tuple(f"{key}:staging" for key in self.data)


def sale_keys(prefix: str, sale_id: str) -> SaleKeys:
    base = f"{prefix}:{{flash:{sale_id}}}:"
    return SaleKeys(*(base + name for name in
                      ("loaded", "remaining", "reserved", "sold", "used", "refs", "paused")))


def used_field(customer_id: str, sku_id: str) -> str:
    """The ``used`` hash field of (customer, SKU): length-prefixed, so no two pairs meet."""
    return f"{len(customer_id)}:{customer_id}{sku_id}"


def split_used_field(field: str) -> tuple[str, str]:
    size, _, rest = field.partition(":")
    n = int(size)
    return rest[:n], rest[n:]


@attrs.frozen
class RefRecord:
    """What Redis knows of one ref in one sale.  ``stock`` is "held", "sold",
    "released", "refused" or None (the ref only used a limit); ``limit`` is "used",
    "confirmed", "returned", "refused" or None (the ref only reserved stock)."""

    ref: str
    sku_id: str
    quantity: int
    customer_id: str | None
    stock: str | None
    limit: str | None
    by_gate: bool


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisFlashStore:
    """``FlashStock`` + ``FlashLimitLedger`` + ``FlashGate`` on Redis (FS-1, FS-2, FS-3, FS-5).

    ``client`` is a ``redis.Redis`` (or ``redis.cluster.RedisCluster``), with or
    without ``decode_responses``.  ``prefix`` starts every key, so several
    malls or test runs can share a server.  Scripts are registered once and run
    by EVALSHA (reloaded by redis-py if the server forgot them).
    """

    def __init__(self, client: Any, *, prefix: str = "mallcore") -> None:
        self.client = client
        self.prefix = identifier(prefix, "Redis key prefix", None)
        self.sales_key = f"{self.prefix}:flash:sales"
        self._keys: dict[str, SaleKeys] = {}
        self._submit_keys: dict[str, list[bytes]] = {}
        self._evalsha = client.evalsha
        self._known_sales: set[str] = set()
        register = client.register_script
        self._submit: Script = register(scripts.SUBMIT)
        self._reserve: Script = register(scripts.RESERVE)
        self._use: Script = register(scripts.USE)
        self._confirm: Script = register(scripts.CONFIRM)
        self._close: Script = register(scripts.CLOSE)
        self._load: Script = register(scripts.LOAD)
        self._level: Script = register(scripts.LEVEL)
        self._snapshot: Script = register(scripts.SNAPSHOT)
        self._swap: Script = register(scripts.SWAP)

    def keys(self, sale_id: str) -> SaleKeys:
        """The keys of ``sale_id`` (computed once per sale)."""
        found = self._keys.get(sale_id)
        if found is None:
            found = sale_keys(self.prefix, identifier(sale_id, "flash sale id", "FS-1"))
            self._keys[sale_id] = found
        return found

    # ============================================================ the gate
    def submit(
        self, sale_id: str, sku_id: str, customer_id: str, quantity: int, ref: str, *,
        limit: int | None,
    ) -> FlashAdmission:
        """FS-2 + FS-5 in one script: see ``FlashGate``.  One round trip."""
        keys = self._submit_keys.get(sale_id)
        if keys is None:  # once per sale: the EVALSHA head with its keys, pre-encoded
            k = self.keys(sale_id)
            keys = self._submit_keys[sale_id] = [
                key.encode() for key in (k.remaining, k.reserved, k.used, k.refs, k.paused)]
        if type(quantity) is not int or quantity < 1:  # the checks, off the common path
            quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-2", minimum=1)
        if limit is None:
            cap = -1
        elif type(limit) is int and limit >= 1:
            cap = limit
        else:
            cap = whole(limit, f"per-user limit of SKU {sku_id!r}", "FS-2", minimum=1)
        for value, what in ((sku_id, "flash SKU"), (customer_id, "customer id"),
                            (ref, "flash order reference")):
            if type(value) is not str or not value or value != value.strip():
                identifier(value, what, "FS-2")
        try:
            got = self._evalsha(self._submit.sha, 5, *keys, sku_id, customer_id, quantity, ref,
                                cap, f"{len(customer_id)}:{customer_id}{sku_id}")
        except NoScriptError:  # the server forgot it (restart, SCRIPT FLUSH): load, retry
            got = self._submit(keys, (sku_id, customer_id, quantity, ref, cap,
                                      f"{len(customer_id)}:{customer_id}{sku_id}"))
        code = got[0]
        if code == 1:
            return ADMITTED
        if code == 2:
            return FlashAdmission(Admission.OVER_LIMIT, used=int(got[1]))
        if code == 3:
            return FlashAdmission(Admission.SOLD_OUT, remaining=int(got[1]))
        if code == 4:
            return SPENT
        if code == -1:
            first = json.loads(_text(got[1]))
            raise reused(ref, sale_id, first["k"], first.get("c", "?"), first["q"])
        if code == -4:
            raise NotAllowed(f"submitting flash order reference {ref!r}",
                             "it was already used through the plain stock or limit port",
                             rule="FS-5")
        self._refuse(code, sale_id, sku_id)
        raise AssertionError(code)  # pragma: no cover - _refuse always raises

    def pay(self, sale_id: str, ref: str) -> bool:
        """The order was paid: held → sold, the limit kept (``confirm`` within the sale)."""
        return self._confirm_in(sale_id, identifier(ref, "flash reservation reference", "FS-5"))

    def close(self, sale_id: str, ref: str, *, return_limit: bool) -> bool:
        """FS-3: units back (and the limit, if ``return_limit``); True if units were released."""
        ref = identifier(ref, "flash reservation reference", "FS-3")
        k = self.keys(sale_id)
        got = self._close([k.remaining, k.reserved, k.used, k.refs],
                          (ref, 1, 1 if return_limit else 0))
        return bool(got[0])

    # ========================================================== FlashStock
    def load(self, sale_id: str, sku_id: str, stock: int) -> bool:
        sku_id = identifier(sku_id, "flash SKU", "FS-1")
        stock = whole(stock, f"flash stock of SKU {sku_id!r} in sale {sale_id!r}", "FS-1",
                      minimum=1)
        k = self.keys(sale_id)
        got = self._load([k.loaded, k.remaining, k.reserved, k.sold], (sku_id, stock))
        self._register(sale_id)
        if got[0] == 2:
            raise NotAllowed(
                f"loading {stock} flash units of SKU {sku_id!r} in sale {sale_id!r}",
                f"{got[1]} units are already loaded; flash stock is set once",
                rule="FS-1",
            )
        return bool(got[0] == 1)

    def reserve(self, sale_id: str, sku_id: str, quantity: int, ref: str) -> bool:
        sku_id = identifier(sku_id, "flash SKU", "FS-1")
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-5", minimum=1)
        ref = identifier(ref, "flash reservation reference", "FS-5")
        k = self.keys(sale_id)
        self._not_elsewhere(sale_id, ref, "reserving flash stock")
        got = self._reserve([k.remaining, k.reserved, k.refs, k.paused],
                            (sku_id, quantity, ref))
        code = got[0]
        if code in (0, 1):
            return bool(code)
        if code == -1:
            first = json.loads(_text(got[1]))
            raise NotAllowed(
                f"reserving flash stock under {ref!r}",
                f"{ref!r} already reserved {first['q']} of SKU {first['k']!r} in sale "
                f"{sale_id!r}; a reference is one reservation",
                rule="FS-5",
            )
        self._refuse(code, sale_id, sku_id)
        raise AssertionError(code)  # pragma: no cover

    def release(self, ref: str) -> bool:
        ref = identifier(ref, "flash reservation reference", "FS-3")
        sale_id = self._sale_of(ref)
        if sale_id is None:
            return False
        k = self.keys(sale_id)
        return bool(self._close([k.remaining, k.reserved, k.used, k.refs], (ref, 1, 0))[0])

    def confirm(self, ref: str) -> bool:
        ref = identifier(ref, "flash reservation reference", "FS-5")
        sale_id = self._sale_of(ref)
        if sale_id is None:
            raise NotFound(f"confirming flash reservation {ref!r}", "nothing was reserved",
                           rule="FS-5")
        return self._confirm_in(sale_id, ref)

    def remaining(self, sale_id: str, sku_id: str) -> int:
        return self._one(self.keys(sale_id).remaining, sale_id, sku_id)

    def reserved(self, sale_id: str, sku_id: str) -> int:
        return self._one(self.keys(sale_id).reserved, sale_id, sku_id)

    def sold(self, sale_id: str, sku_id: str) -> int:
        return self._one(self.keys(sale_id).sold, sale_id, sku_id)

    def level(self, sale_id: str, sku_id: str) -> FlashLevel:
        """All four numbers from one script, so they are consistent with each other."""
        k = self.keys(sale_id)
        got = self._level([k.loaded, k.remaining, k.reserved, k.sold], (sku_id,))
        if not got:
            raise _not_loaded(sale_id, sku_id)
        return FlashLevel(*(int(n) for n in got))

    # ==================================================== FlashLimitLedger
    def used(self, sale_id: str, customer_id: str, sku_id: str) -> int:
        got = self.client.hget(self.keys(sale_id).used, used_field(customer_id, sku_id))
        return 0 if got is None else int(got)

    def use(
        self, sale_id: str, customer_id: str, sku_id: str, quantity: int, ref: str, *,
        limit: int | None,
    ) -> None:
        customer_id = identifier(customer_id, "customer id", "FS-2")
        sku_id = identifier(sku_id, "flash SKU", "FS-2")
        quantity = whole(quantity, f"flash quantity of SKU {sku_id!r}", "FS-2", minimum=1)
        ref = identifier(ref, "flash order reference", "FS-2")
        cap = -1 if limit is None else whole(limit, f"per-user limit of SKU {sku_id!r}",
                                             "FS-2", minimum=1)
        k = self.keys(sale_id)
        self._not_elsewhere(sale_id, ref, "using the flash limit")
        self._register(sale_id)  # limits need no loaded stock, yet refs must be found
        got = self._use([k.used, k.refs, k.paused],
                        (sku_id, customer_id, quantity, ref, cap,
                         used_field(customer_id, sku_id)))
        code = got[0]
        if code == 1:
            return
        if code == 2:
            assert limit is not None
            raise over_limit(sale_id, customer_id, sku_id, limit, int(got[1]), quantity)
        if code == -1:
            first = json.loads(_text(got[1]))
            raise NotAllowed(
                f"using the flash limit under {ref!r}",
                f"{ref!r} already used {first['q']} of SKU {first['k']!r} for customer "
                f"{first.get('c', '?')!r} in sale {sale_id!r}",
                rule="FS-2",
            )
        if code == -5:
            raise NotAllowed(
                f"using the flash limit under {ref!r}",
                "its order was closed and the limit given back; a new order needs a new "
                "reference",
                rule="FS-2",
            )
        self._refuse(code, sale_id, sku_id)

    def give_back(self, ref: str) -> bool:
        ref = identifier(ref, "flash order reference", "FS-2")
        sale_id = self._sale_of(ref)
        if sale_id is None:
            return False
        k = self.keys(sale_id)
        return bool(self._close([k.remaining, k.reserved, k.used, k.refs], (ref, 0, 1))[1])

    # ============================================== pause, reads, internals
    def pause(self, sale_id: str) -> None:
        """Refuse new submissions (``submit``, ``reserve``, ``use``) until ``resume``;
        payments and closes go on.  ``rebuild`` needs the sale paused."""
        self.client.set(self.keys(sale_id).paused, "1")

    def resume(self, sale_id: str) -> None:
        self.client.delete(self.keys(sale_id).paused)

    def is_paused(self, sale_id: str) -> bool:
        return bool(self.client.exists(self.keys(sale_id).paused))

    def sales(self) -> frozenset[str]:
        """Every sale loaded through a store with this prefix."""
        return frozenset(_text(s) for s in self.client.smembers(self.sales_key))

    def levels(self, sale_id: str) -> tuple[dict[str, FlashLevel], dict[tuple[str, str], int]]:
        """Every SKU's level and every (customer, SKU)'s use, read at one instant."""
        k = self.keys(sale_id)
        got = self._snapshot([k.loaded, k.remaining, k.reserved, k.sold, k.used])
        loaded, remaining, reserved, sold, used = (_pairs(part) for part in got)
        levels = {sku: FlashLevel(n, remaining.get(sku, 0), reserved.get(sku, 0),
                                  sold.get(sku, 0)) for sku, n in loaded.items()}
        return levels, {split_used_field(f): n for f, n in used.items() if n}

    def records(self, sale_id: str, *, count: int = 1000) -> Iterator[RefRecord]:
        """Every ref the sale knows (HSCAN: not one instant; read it drained or paused)."""
        for ref, raw in self.client.hscan_iter(self.keys(sale_id).refs, count=count):
            r = json.loads(_text(raw))
            yield RefRecord(_text(ref), r["k"], int(r["q"]), r.get("c"),
                            STOCK_STATES.get(r.get("s", "")), LIMIT_STATES.get(r.get("l", "")),
                            r.get("g") == 1)

    def _register(self, sale_id: str) -> None:
        if sale_id not in self._known_sales:
            self.client.sadd(self.sales_key, sale_id)
            self._known_sales.add(sale_id)

    def _one(self, key: str, sale_id: str, sku_id: str) -> int:
        got = self.client.hget(key, sku_id)
        if got is None:
            raise _not_loaded(sale_id, sku_id)
        return int(got)

    def _confirm_in(self, sale_id: str, ref: str) -> bool:
        k = self.keys(sale_id)
        code = self._confirm([k.reserved, k.sold, k.refs], (ref,))[0]
        if code in (0, 1):
            return bool(code)
        if code == -1:
            raise NotFound(f"confirming flash reservation {ref!r}",
                           f"nothing was reserved in sale {sale_id!r}", rule="FS-5")
        if code == -2:
            raise InvalidTransition(f"confirming flash reservation {ref!r}", "released",
                                    rule="FS-3")
        if code == -4:
            raise InvalidTransition(f"confirming the flash limit of {ref!r}", "returned",
                                    rule="FS-3")
        raise InvalidTransition(f"confirming flash reservation {ref!r}", "refused", rule="FS-5")

    def _refuse(self, code: int, sale_id: str, sku_id: str) -> None:
        if code == -2:
            raise _not_loaded(sale_id, sku_id)
        if code == -3:
            raise NotAllowed(f"flash sale {sale_id!r}",
                             "is paused for reconciliation; submissions are refused until it "
                             "resumes", rule="FS-5")
        raise AssertionError(f"unexpected script answer {code}")  # pragma: no cover

    def _lookup(self, ref: str) -> dict[str, str]:
        """{sale: raw record} for every loaded sale that knows ``ref``: one pipelined read
        (two if another process loaded a sale this one has not seen)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.smembers(self.sales_key)
            cached = sorted(self._known_sales)
            for sale in cached:
                pipe.hget(self.keys(sale).refs, ref)
            first, *found = pipe.execute()
        sales = {_text(s) for s in first}
        out = {sale: _text(raw) for sale, raw in zip(cached, found, strict=True) if raw}
        fresh = sorted(sales - self._known_sales)
        if fresh:
            self._known_sales.update(fresh)
            with self.client.pipeline(transaction=False) as pipe:
                for sale in fresh:
                    pipe.hget(self.keys(sale).refs, ref)
                more = pipe.execute()
            out.update({sale: _text(raw) for sale, raw in zip(fresh, more, strict=True) if raw})
        return out

    def _sale_of(self, ref: str) -> str | None:
        found = self._lookup(ref)
        if len(found) > 1:
            raise NotAllowed(f"flash reference {ref!r}",
                             f"is known to several sales ({', '.join(sorted(found))}); use the "
                             "gate's pay / close, which name the sale", rule="FS-5")
        return next(iter(found), None)

    def _not_elsewhere(self, sale_id: str, ref: str, action: str) -> None:
        for other, raw in self._lookup(ref).items():
            if other != sale_id:
                first = json.loads(raw)
                raise NotAllowed(
                    f"{action} under {ref!r}",
                    f"{ref!r} already holds {first['q']} of SKU {first['k']!r} in sale "
                    f"{other!r}; a reference is one reservation",
                    rule="FS-5",
                )


def _not_loaded(sale_id: str, sku_id: str) -> NotFound:
    return NotFound(f"flash stock of SKU {sku_id!r} in sale {sale_id!r}", "was never loaded",
                    rule="FS-1")


def _pairs(flat: Sequence[bytes | str]) -> dict[str, int]:
    return {_text(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}
