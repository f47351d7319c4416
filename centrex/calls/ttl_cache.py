"""A small cache of per-tenant snapshots read by call features, each kept for `ttl` seconds.

Why: a feature that reads its settings for every call (screening rules, the lamps' DND flags)
costs queries on the one event loop per INVITE; at tens of calls per second that is most of
the database work of a call. The route cache setting (`route_cache_seconds`, 2 s by default)
already bounds how stale a tenant's routing plan may be; features use the same bound, so a
change made through the CLI or the API is seen by calls after at most that long. `ttl <= 0`
disables caching (tests that change settings between calls).

Single flight: when a snapshot expires under load, the INVITEs arriving during its reload
would each start the same query. One load per key is in flight at a time; the calls that miss
meanwhile wait for it and share its value (or its error: a failed load is not cached, the next
call tries again). A waiter whose loader was cancelled (its call went away) loads for itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_ENTRIES = 50_000


class TtlCache(Generic[K, V]):
    """`get(key, load)`: the cached value while younger than `ttl`, else `await load()`."""

    def __init__(self, monotonic: Callable[[], float], ttl: float) -> None:
        self._monotonic = monotonic
        self.ttl = ttl
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if self.ttl <= 0:
            return await load()
        cached = self._entries.get(key)
        if cached is not None and self._monotonic() - cached[0] < self.ttl:
            return cached[1]
        pending = self._loading.get(key)
        if pending is not None:
            await asyncio.wait((pending,))  # our own cancellation still raises here
            if not pending.cancelled():
                return pending.result()  # the loader's value, or its exception
        return await self._load(key, load)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        now = self._monotonic()
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" log when nobody waited
            raise
        finally:
            if self._loading.get(key) is future:
                del self._loading[key]
        future.set_result(value)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (now, value)
        return value

    def forget(self, key: K) -> None:
        """Drop one entry (a change made by this process is seen by its next call at once)."""
        self._entries.pop(key, None)
