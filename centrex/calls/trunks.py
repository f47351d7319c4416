"""Carrier trunks as the call layer sees them: who is a trunk (by source address), where to
send an outbound call, and with which credentials.

Trunks are provider rows in the database; this directory caches them for a few seconds and
resolves host names once per refresh, so recognising an inbound carrier call costs a dict lookup.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from centrex.calls.router import TrunkRef
from centrex.data.db import Database
from centrex.data.models import Trunk
from centrex.data.secrets_box import SecretBox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrunkInfo:
    """Everything needed to send a call to a carrier (the password decrypted in memory only)."""

    ref: TrunkRef
    host: str
    port: int
    transport: str
    addresses: tuple[str, ...]
    username: str | None
    password: str | None
    max_calls: int | None


class TrunkDirectory:
    """Cached view of the trunks table."""

    def __init__(
        self,
        database: Database,
        box: SecretBox,
        clock: Callable[[], float],
        ttl: float = 2.0,
    ) -> None:
        self._database = database
        self._box = box
        self._clock = clock
        self._ttl = ttl
        self._loaded_at: float | None = None
        self._by_id: dict[int, TrunkInfo] = {}
        self._by_address: dict[str, TrunkInfo] = {}
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        now = self._clock()
        if self._loaded_at is not None and now - self._loaded_at < self._ttl:
            return
        async with self._lock:
            if self._loaded_at is not None and self._clock() - self._loaded_at < self._ttl:
                return
            async with self._database.session() as session:
                rows = (await session.scalars(select(Trunk))).all()
                trunks = [
                    (row.id, row.name, row.priority, row.enabled, row.host, row.port,
                     row.transport.value, row.username, row.password_encrypted, row.max_calls)
                    for row in rows
                ]  # fmt: skip
            by_id: dict[int, TrunkInfo] = {}
            by_address: dict[str, TrunkInfo] = {}
            for tid, name, prio, enabled, host, port, transport, user, secret, max_calls in trunks:
                password = None
                if secret is not None:
                    try:
                        password = self._box.decrypt(secret)
                    except ValueError:
                        log.error("trunk %s: stored password cannot be decrypted", name)
                info = TrunkInfo(
                    TrunkRef(tid, name, prio, enabled),
                    host,
                    port,
                    transport.upper(),
                    await _resolve(host),
                    user,
                    password,
                    max_calls,
                )
                by_id[tid] = info
                if enabled:
                    for address in info.addresses:
                        by_address.setdefault(address, info)
            self._by_id, self._by_address = by_id, by_address
            self._loaded_at = self._clock()

    async def by_source(self, address: str) -> TrunkInfo | None:
        """The enabled trunk an inbound request's source IP belongs to."""
        await self._refresh()
        return self._by_address.get(address)

    async def get(self, trunk_id: int) -> TrunkInfo | None:
        await self._refresh()
        return self._by_id.get(trunk_id)

    async def refs(self) -> tuple[TrunkRef, ...]:
        await self._refresh()
        return tuple(info.ref for info in self._by_id.values())

    def invalidate(self) -> None:
        self._loaded_at = None


async def _resolve(host: str) -> tuple[str, ...]:
    """IP addresses of a trunk host (an IP literal resolves to itself)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except OSError:
        log.warning("trunk host %s does not resolve", host)
        return ()
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))
