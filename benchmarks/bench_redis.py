"""Flash-sale reservations per second through ``RedisFlashStore.submit`` from one Python
process, against a raw redis-py EVALSHA loop of a trivial script in the same run.

Run with ``python benchmarks/bench_redis.py`` (``--quick`` for a short run; the
server from ``--url`` or ``MALLCORE_TEST_REDIS_URL``).  Figures are printed and
written to ``.bench/redis.json``.  Target (issue 6): the store reaches ≥ 80 % of
the raw EVALSHA rate, i.e. the limit check, the stock move and the ref record
cost little beyond the round trip.  Best of N interleaved batches, because a
shared VM is noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

from mallcore_adapters.redis import RedisFlashStore

TARGET = 0.80


def best_rate(run: Callable[[int], None], size: int) -> float:
    start = time.perf_counter()
    run(size)
    return size / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument("--url", default=os.environ.get("MALLCORE_TEST_REDIS_URL",
                                                        "redis://127.0.0.1:6379/0"))
    parser.add_argument("--out", default=".bench/redis.json")
    args = parser.parse_args(argv)
    batches, size = (5, 1000) if args.quick else (15, 4000)

    client = redis.Redis.from_url(args.url)
    client.ping()
    prefix = f"mallcore-bench:{uuid.uuid4().hex[:8]}"
    store = RedisFlashStore(client, prefix=prefix)
    store.load("bench", "sku", 10**9)
    trivial = client.register_script("return 1")
    trivial()  # loaded once, then EVALSHA
    sha = trivial.sha
    evalsha = client.evalsha
    submit = store.submit
    counter = iter(range(10**12))

    def raw(n: int) -> None:
        for _ in range(n):
            evalsha(sha, 0)

    def through_store(n: int) -> None:
        for _ in range(n):
            i = next(counter)
            submit("bench", "sku", f"c{i % 1000}", 1, f"r{i}", limit=None)

    raw(200)
    through_store(200)  # warm up connections and caches
    raw_rates: list[float] = []
    store_rates: list[float] = []
    try:
        for _ in range(batches):  # interleaved, so drift hits both alike
            raw_rates.append(best_rate(raw, size))
            store_rates.append(best_rate(through_store, size))
        level = store.level("bench", "sku")
        assert level.remaining + level.reserved + level.sold == level.loaded
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    best_raw, best_store = max(raw_rates), max(store_rates)
    ratio = best_store / best_raw
    # each store batch against the raw batch just before it: robust to slow drift
    paired = sorted(s / r for s, r in zip(store_rates, raw_rates, strict=True))
    paired_median = paired[len(paired) // 2]
    figures = {
        "raw_evalsha_per_s": round(best_raw),
        "submit_per_s": round(best_store),
        "ratio": round(ratio, 3),
        "paired_median_ratio": round(paired_median, 3),
        "target_ratio": TARGET,
        "meets_target": ratio >= TARGET,
        "batches": batches,
        "batch_size": size,
        "raw_batches_per_s": [round(r) for r in raw_rates],
        "submit_batches_per_s": [round(r) for r in store_rates],
        "redis_version": client.info("server").get("redis_version"),
        "redis_py": redis.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    client.close()
    print(f"raw EVALSHA (return 1):      {best_raw:>9,.0f} calls/s (best of {batches} x {size})")
    print(f"RedisFlashStore.submit:      {best_store:>9,.0f} reservations/s")
    print(f"ratio:                       {ratio:>9.1%}  (target ≥ {TARGET:.0%}: "
          f"{'met' if ratio >= TARGET else 'NOT met'})")
    print(f"paired median ratio:         {paired_median:>9.1%}  "
          "(each store batch / the raw batch before it)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
