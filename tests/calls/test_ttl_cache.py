"""TtlCache (calls/ttl_cache.py): a value is reused while younger than the TTL on the clock,
loaded again at exactly the TTL, per key; a TTL of 0 never caches; `forget` drops one key."""

from __future__ import annotations

from centrex.calls.ttl_cache import TtlCache
from centrex.clock import ManualClock


class Loader:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        return self.calls


async def test_reused_until_exactly_the_ttl_then_reloaded() -> None:
    clock = ManualClock()
    cache: TtlCache[int, int] = TtlCache(clock.monotonic, 2.0)
    load = Loader()
    assert await cache.get(1, load) == 1
    clock.advance(1.999)
    assert await cache.get(1, load) == 1
    clock.advance(0.001)  # exactly 2 s after the load
    assert await cache.get(1, load) == 2
    assert load.calls == 2


async def test_keys_are_separate_and_forget_drops_one() -> None:
    clock = ManualClock()
    cache: TtlCache[int, int] = TtlCache(clock.monotonic, 10.0)
    first, second = Loader(), Loader()
    assert await cache.get(1, first) == 1
    assert await cache.get(2, second) == 1
    cache.forget(1)
    assert await cache.get(1, first) == 2
    assert await cache.get(2, second) == 1


async def test_a_ttl_of_zero_always_loads() -> None:
    clock = ManualClock()
    cache: TtlCache[str, int] = TtlCache(clock.monotonic, 0.0)
    load = Loader()
    assert [await cache.get("k", load) for _ in range(3)] == [1, 2, 3]
