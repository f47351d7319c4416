"""Presence of a tenant's extensions: what a switchboard lamp shows (idle, ringing, busy, dnd,
offline), for `GET /api/v1/presence` and the events WebSocket.

An extension is busy when one of its dialogs is confirmed and ringing when one is early (the
live state, `LiveState.presence`), else dnd when its user set do-not-disturb, else idle when a
device is registered and offline when none is. A call in progress wins over DND: the lamp of
someone talking is red, whatever they set. `PresenceEvents` publishes a `PresenceChanged` each
time an extension's lamp changes, computed the same way, for that extension's tenant only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from centrex.calls.features import FeatureHooks
from centrex.calls.live_state import LiveChange, LiveState, Presence
from centrex.calls.ttl_cache import TtlCache
from centrex.data.db import Database
from centrex.data.models import Extension, Tenant
from centrex.data.tenancy import TenantScope
from centrex.events import Event, PresenceChanged
from centrex.registrar import Registrar

log = logging.getLogger(__name__)


def lamp(live_presence: Presence, dnd: bool) -> Presence:
    """The lamp: a call in progress or ringing first, then DND, then registration."""
    if live_presence in (Presence.BUSY, Presence.RINGING):
        return live_presence
    return Presence.DND if dnd else live_presence


def _never() -> float:
    """The clock of a view without cache (TtlCache with ttl 0 never reads it)."""
    return 0.0


class PresenceView:
    """The `PresenceSource` the API reads (see `centrex.api.sources`)."""

    def __init__(
        self,
        live: LiveState,
        registrar: Registrar,
        database: Database,
        monotonic: Callable[[], float] | None = None,
        cache_seconds: float = 0.0,
    ) -> None:
        """`cache_seconds` (on `monotonic`, required with it): how long `of` reuses a
        tenant's DND flags (`calls/ttl_cache.py`): every dialog change of a call asks for a
        lamp, the flags change rarely."""
        self._live = live
        self._registrar = registrar
        self._db = database
        if monotonic is None and cache_seconds > 0:
            raise ValueError("a presence cache needs the call layer's clock")
        self._dnd: TtlCache[int, dict[str, bool]] = TtlCache(monotonic or _never, cache_seconds)

    async def _dnd_flags(self, tenant_id: int) -> dict[str, bool]:
        """Extension number → DND of the tenant (empty: no such tenant)."""
        return {e.number: bool(e.dnd) for e in await self._extensions(tenant_id)}

    async def _extensions(self, tenant_id: int, number: str | None = None) -> list[Extension]:
        async with self._db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                return []
            scope = TenantScope(session, tenant.id, tenant.domain)
            where = (Extension.number == number,) if number is not None else ()
            found = await scope.list(Extension, *where)
        return sorted(found, key=lambda e: e.number)

    async def state(self, tenant_id: int, extension: Extension) -> Presence:
        registered = bool(self._registrar.lookup(tenant_id, extension.number))
        live = await self._live.presence(tenant_id, extension.number, registered=registered)
        return lamp(live, extension.dnd)

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        return [
            {
                "extension": e.number,
                "name": e.display_name,
                "state": (await self.state(tenant_id, e)).value,
            }
            for e in await self._extensions(tenant_id)
        ]

    async def of(self, tenant_id: int, number: str) -> Presence | None:
        """The lamp of one extension (None: not an extension of the tenant, e.g. a park
        slot), with the DND flags of the cache."""
        flags = await self._dnd.get(tenant_id, lambda: self._dnd_flags(tenant_id))
        if number not in flags:
            return None
        registered = bool(self._registrar.lookup(tenant_id, number))
        live = await self._live.presence(tenant_id, number, registered=registered)
        return lamp(live, flags[number])


class PresenceEvents:
    """The feature that publishes `PresenceChanged` when an extension's lamp changes (on the
    call layer's event bus, `CallDeps.publish`)."""

    name = "presence-events"

    def __init__(self, cache_seconds: float = 0.0) -> None:
        """`cache_seconds`: see `PresenceView` (the server passes the route cache setting)."""
        self._cache_seconds = cache_seconds
        self._view: PresenceView | None = None
        self._publish: Callable[[Event], None] = lambda _event: None
        self._last: dict[tuple[int, str], Presence] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, hooks: FeatureHooks) -> None:
        deps = hooks.actions.core.deps
        self._view = PresenceView(deps.live, deps.registrar, deps.database,
                                  deps.clock.monotonic, self._cache_seconds)  # fmt: skip
        self._publish = deps.publish
        deps.live.watch(self._changed)

    def _changed(self, change: LiveChange) -> None:
        if change.kind != "dialog":
            return
        task = asyncio.ensure_future(self._publish_lamp(change.tenant_id, change.key))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _publish_lamp(self, tenant_id: int, number: str) -> None:
        if self._view is None:
            return
        state = await self._view.of(tenant_id, number)
        if state is None or self._last.get((tenant_id, number)) is state:
            return
        self._last[(tenant_id, number)] = state
        event: Event = PresenceChanged(tenant_id=tenant_id, extension=number, state=state.value)
        self._publish(event)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("presence event failed", exc_info=task.exception())
