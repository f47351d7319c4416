"""TtlCache (calls/ttl_cache.py): a value is reused while younger than the TTL on the clock,
loaded again at exactly the TTL, per key; a TTL of 0 never caches; `forget` drops one key."""

from __future__ import annotations

import asyncio

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


class SlowLoader:
    """A load that finishes when the test says so (or fails, once)."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail_first = False

    async def __call__(self) -> int:
        self.calls += 1
        call = self.calls
        await self.release.wait()
        if self.fail_first and call == 1:
            raise RuntimeError("database down")
        return call


async def test_concurrent_misses_share_one_load() -> None:
    clock = ManualClock()
    cache: TtlCache[int, int] = TtlCache(clock.monotonic, 2.0)
    load = SlowLoader()
    waiting = [asyncio.create_task(cache.get(1, load)) for _ in range(10)]
    await asyncio.sleep(0)
    load.release.set()
    assert await asyncio.gather(*waiting) == [1] * 10
    assert load.calls == 1


async def test_a_failed_load_reaches_every_waiter_and_is_not_cached() -> None:
    clock = ManualClock()
    cache: TtlCache[int, int] = TtlCache(clock.monotonic, 2.0)
    load = SlowLoader()
    load.fail_first = True
    waiting = [asyncio.create_task(cache.get(1, load)) for _ in range(3)]
    await asyncio.sleep(0)
    load.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results), results
    assert await cache.get(1, load) == 2  # tried again, and cached from now on
    assert await cache.get(1, load) == 2
    assert load.calls == 2


async def test_waiters_load_themselves_when_the_loading_call_is_cancelled() -> None:
    clock = ManualClock()
    cache: TtlCache[int, int] = TtlCache(clock.monotonic, 2.0)
    load = SlowLoader()
    first = asyncio.create_task(cache.get(1, load))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get(1, load))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    load.release.set()
    assert await second == 2  # its own load, not the cancelled one's
    assert first.cancelled()
