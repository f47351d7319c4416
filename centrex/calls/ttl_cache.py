"""A small cache of per-tenant snapshots read by call features, each kept for `ttl` seconds.

Why: a feature that reads its settings for every call (screening rules, the lamps' DND flags)
costs queries on the one event loop per INVITE; at tens of calls per second that is most of
the database work of a call. The route cache setting (`route_cache_seconds`, 2 s by default)
already bounds how stale a tenant's routing plan may be; features use the same bound, so a
change made through the CLI or the API is seen by calls after at most that long. `ttl <= 0`
disables caching (tests that change settings between calls).
"""

from __future__ import annotations

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

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if self.ttl <= 0:
            return await load()
        now = self._monotonic()
        cached = self._entries.get(key)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        value = await load()
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (now, value)
        return value

    def forget(self, key: K) -> None:
        """Drop one entry (a change made by this process is seen by its next call at once)."""
        self._entries.pop(key, None)
