"""The registrar's database side: bindings persisted and reloaded, tenants and credentials read.

Bindings live in memory (`Location`) for speed and are written behind to the
`registrar_bindings` table by `BindingWriter`: changes are coalesced per binding and flushed
in one transaction every `interval` seconds and at shutdown, so a clean restart loses nothing
and a crash loses at most the last interval (phones re-register within their expiry anyway).
At start `BindingStore.load` deletes expired rows and returns the rest.

`Directory` answers "which tenant is this domain" and "what is this user's HA1" with a short
TTL cache, so a burst of registrations costs one query per user rather than one per message;
a changed password or a suspended tenant takes effect within `ttl` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import and_, delete, or_, select

from centrex.data.db import Database
from centrex.data.models import Extension, RegistrarBinding, SipCredential, Tenant, TenantStatus
from centrex.registrar.location import Binding

log = logging.getLogger(__name__)
_V = TypeVar("_V")
BLOCKED_STATUSES = frozenset(
    {TenantStatus.SUSPENDED, TenantStatus.DEACTIVATED, TenantStatus.ARCHIVED}
)


def _to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """What the registrar needs to know about a tenant."""

    id: int
    domain: str
    status: str

    @property
    def blocked(self) -> bool:
        """Suspended, deactivated or archived tenants get 403 (DESIGN.md §6)."""
        return self.status in BLOCKED_STATUSES


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """Digest credentials of one extension (HA1 only, RFC 7616 §3.4.2)."""

    tenant_id: int
    username: str
    number: str
    ha1_md5: str
    ha1_sha256: str

    def ha1(self, algorithm: str) -> str | None:
        """The stored HA1 for a digest algorithm, or None if we have none for it."""
        name = algorithm.upper()
        if name == "MD5":
            return self.ha1_md5
        if name == "SHA-256":
            return self.ha1_sha256
        return None


class _TtlCache(Generic[_V]):
    def __init__(self, clock: Callable[[], float], ttl: float, negative_ttl: float) -> None:
        self._clock = clock
        self._ttl = ttl
        self._negative_ttl = negative_ttl
        self._items: dict[object, tuple[float, _V]] = {}

    def get(self, key: object) -> tuple[bool, _V | None]:
        item = self._items.get(key)
        if item is None or item[0] <= self._clock():
            return False, None
        return True, item[1]

    def put(self, key: object, value: _V, negative: bool = False) -> None:
        if len(self._items) > 200_000:
            self._items.clear()
        ttl = self._negative_ttl if negative else self._ttl
        self._items[key] = (self._clock() + ttl, value)


class Directory:
    """Tenant and credential lookups with a short TTL cache."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], float],
        ttl: float = 30.0,
        negative_ttl: float = 5.0,
    ) -> None:
        self._database = database
        self._tenants: _TtlCache[TenantInfo | None] = _TtlCache(clock, ttl, negative_ttl)
        self._users: _TtlCache[list[int]] = _TtlCache(clock, ttl, negative_ttl)
        self._credentials: _TtlCache[CredentialInfo | None] = _TtlCache(clock, ttl, negative_ttl)
        self._by_id: dict[int, TenantInfo] = {}

    async def tenant_by_domain(self, domain: str) -> TenantInfo | None:
        """The tenant whose SIP domain is `domain` (case-insensitive), or None."""
        domain = domain.lower()
        hit, value = self._tenants.get(domain)
        if hit:
            return value
        async with self._database.session() as session:
            row = (await session.execute(select(Tenant).where(Tenant.domain == domain))).scalar()
            info = TenantInfo(row.id, row.domain, str(row.status)) if row is not None else None
        if info is not None:
            self._by_id[info.id] = info
        self._tenants.put(domain, info, negative=info is None)
        return info

    async def tenant_by_id(self, tenant_id: int) -> TenantInfo | None:
        """A tenant by id (for the fallback when the To host is not a domain)."""
        known = self._by_id.get(tenant_id)
        if known is not None:
            return await self.tenant_by_domain(known.domain)
        async with self._database.session() as session:
            row = await session.get(Tenant, tenant_id)
            if row is None:
                return None
            domain = row.domain
        return await self.tenant_by_domain(domain)

    async def tenants_with_user(self, user: str) -> list[int]:
        """Ids of the tenants having a SIP username or extension number `user` (at most 2:
        the caller only needs to know whether the answer is unique)."""
        hit, value = self._users.get(user)
        if hit and value is not None:
            return value
        stmt = (
            select(SipCredential.tenant_id)
            .join(Extension, Extension.id == SipCredential.extension_id)
            .where(or_(SipCredential.username == user, Extension.number == user))
            .distinct()
            .limit(2)
        )
        async with self._database.session() as session:
            ids = [int(x) for x in (await session.scalars(stmt)).all()]
        self._users.put(user, ids, negative=not ids)
        return ids

    async def credential(self, tenant_id: int, user: str) -> CredentialInfo | None:
        """The credential whose username, or whose extension's number, is `user`."""
        key = (tenant_id, user)
        hit, value = self._credentials.get(key)
        if hit:
            return value
        stmt = (
            select(SipCredential, Extension.number)
            .join(Extension, Extension.id == SipCredential.extension_id)
            .where(
                SipCredential.tenant_id == tenant_id,
                or_(SipCredential.username == user, Extension.number == user),
            )
            .limit(1)
        )
        async with self._database.session() as session:
            found = (await session.execute(stmt)).first()
        info = None
        if found is not None:
            cred, number = found
            info = CredentialInfo(
                cred.tenant_id, cred.username, number, cred.ha1_md5, cred.ha1_sha256
            )
        self._credentials.put(key, info, negative=info is None)
        return info


class BindingStore:
    """Reads and writes the `registrar_bindings` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def load(self, now: float) -> list[Binding]:
        """Delete expired rows and return the live bindings (at start, §10.3 persistence)."""
        async with self._database.transaction() as session:
            await session.execute(
                delete(RegistrarBinding).where(RegistrarBinding.expires_at <= _to_datetime(now))
            )
            rows = (await session.scalars(select(RegistrarBinding))).all()
            return [_from_row(row) for row in rows]

    async def save(self, written: list[Binding], removed: list[Binding]) -> None:
        """Replace the rows of `written` and delete those of `removed`, in one transaction."""
        keys = {(b.tenant_id, b.user, b.contact_key) for b in [*written, *removed]}
        if not keys:
            return
        async with self._database.transaction() as session:
            key_list = list(keys)
            for start in range(0, len(key_list), 200):
                chunk = key_list[start : start + 200]
                await session.execute(
                    delete(RegistrarBinding).where(
                        or_(
                            *(
                                and_(
                                    RegistrarBinding.tenant_id == t,
                                    RegistrarBinding.user == u,
                                    RegistrarBinding.contact_key == c,
                                )
                                for t, u, c in chunk
                            )
                        )
                    )
                )
            session.add_all([_to_row(b) for b in written])


def _to_row(binding: Binding) -> RegistrarBinding:
    return RegistrarBinding(
        tenant_id=binding.tenant_id,
        user=binding.user,
        aor=binding.aor,
        contact=binding.contact[:1000],
        contact_key=binding.contact_key[:255],
        q=binding.q,
        expires_at=_to_datetime(binding.expires_at),
        call_id=binding.call_id[:255],
        cseq=binding.cseq,
        source_host=binding.source[0][:64],
        source_port=binding.source[1],
        transport=binding.transport[:8],
        user_agent=binding.user_agent[:255],
        instance=binding.instance,
        reg_id=binding.reg_id,
    )


def _from_row(row: RegistrarBinding) -> Binding:
    return Binding(
        tenant_id=row.tenant_id,
        user=row.user,
        aor=row.aor,
        contact=row.contact,
        contact_key=row.contact_key,
        expires_at=row.expires_at.timestamp(),
        call_id=row.call_id,
        cseq=row.cseq,
        source=(row.source_host, row.source_port),
        transport=row.transport,
        q=row.q,
        user_agent=row.user_agent,
        instance=row.instance,
        reg_id=row.reg_id,
    )


class BindingWriter:
    """Write-behind of binding changes: coalesced per binding, flushed every `interval` s."""

    def __init__(self, store: BindingStore, interval: float = 0.25) -> None:
        self._store = store
        self._interval = interval
        self._written: dict[tuple[int, str, str], Binding] = {}
        self._removed: dict[tuple[int, str, str], Binding] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def record(self, written: list[Binding], removed: list[Binding]) -> None:
        """Queue changes (the newest state of each binding wins)."""
        for binding in removed:
            key = (binding.tenant_id, binding.user, binding.contact_key)
            self._written.pop(key, None)
            self._removed[key] = binding
        for binding in written:
            key = (binding.tenant_id, binding.user, binding.contact_key)
            self._removed.pop(key, None)
            self._written[key] = binding
        self._wake.set()

    @property
    def pending(self) -> int:
        """Changes not yet written."""
        return len(self._written) + len(self._removed)

    async def flush(self) -> None:
        """Write everything queued now. Changes leave the queue only once written, so a
        failed or cancelled write is retried by the next flush (the write is idempotent)."""
        async with self._lock:
            if not self.pending:
                return
            written = dict(self._written)
            removed = dict(self._removed)
            try:
                await self._store.save(list(written.values()), list(removed.values()))
            except Exception:
                log.exception("could not persist %d binding changes", len(written) + len(removed))
                raise
            for key, binding in written.items():
                if self._written.get(key) is binding:
                    del self._written[key]
            for key, binding in removed.items():
                if self._removed.get(key) is binding:
                    del self._removed[key]

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(self._interval)
            with contextlib.suppress(Exception):
                await self.flush()

    def start(self) -> None:
        """Start the background flusher."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop the flusher and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
