"""Which music a caller waiting in a queue hears (issue 21, per-queue MOH): the queue's own file
when it names one (moh or prompt), else the tenant's latest MOH upload, else the generated
default; a queue of another tenant's number or a file gone falls back the same way."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from centrex.apps.moh import default_moh_pcm
from centrex.apps.queue.app import QueueApp
from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import CallQueue, MediaFile, MediaKind, Tenant
from centrex.data.tenancy import TenantScope
from centrex.media.audio import frames
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning.storage import MediaStore
from tests.apps.conftest import tone, write_wav


class Services:
    """What `QueueApp.music` reads: a tenant scope and the media store."""

    def __init__(self, database: Database, store: MediaStore) -> None:
        self.database, self.store = database, store

    @contextlib.asynccontextmanager
    async def scope(self, tenant_id: int) -> AsyncIterator[tuple[TenantScope, Tenant]]:
        async with self.database.transaction() as session:
            tenant = await session.get(Tenant, tenant_id)
            assert tenant is not None
            yield TenantScope(session, tenant.id, tenant.domain), tenant


async def _tenant(db: Database, domain: str) -> int:
    async with db.transaction() as session:
        tenant = await tenant_service.create_tenant(
            session, now=SystemClock().utcnow(), name=domain, domain=domain,
            extension_digits=3, max_calls=2,
        )  # fmt: skip
        return tenant.id


async def _file(db: Database, store: MediaStore, tenant_id: int, kind: MediaKind,
                seconds: float, frequency: float) -> int:  # fmt: skip
    """A media row whose length (in 20 ms frames) and first frame tell it apart."""
    relative, path = store.new_file(tenant_id, kind.value)
    write_wav(path, tone(seconds, frequency))
    async with db.transaction() as session:
        row = MediaFile(tenant_id=tenant_id, kind=kind, path=relative, name=kind.value,
                        duration_ms=int(seconds * 1000), size_bytes=path.stat().st_size)  # fmt: skip
        session.add(row)
        await session.flush()
        return row.id


async def _queue(db: Database, tenant_id: int, number: str, moh_id: int | None) -> None:
    async with db.transaction() as session:
        session.add(CallQueue(tenant_id=tenant_id, number=number, moh_id=moh_id))


async def test_the_waiting_caller_hears_the_queues_own_file(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    a, b = await _tenant(db, "a.test"), await _tenant(db, "b.test")
    app = QueueApp(Services(db, store), board=None, data_dir=tmp_path)  # type: ignore[arg-type]
    default = list(frames(default_moh_pcm()))
    await _queue(db, a, "500", None)
    assert await app.music(a, "500") == default  # nothing uploaded: the generated music
    tenant_moh = await _file(db, store, a, MediaKind.MOH, 1.0, 500.0)
    own_moh = await _file(db, store, a, MediaKind.MOH, 0.6, 700.0)  # the latest upload
    own_prompt = await _file(db, store, a, MediaKind.PROMPT, 0.4, 900.0)
    await _queue(db, a, "501", tenant_moh)  # an older MOH file chosen for this queue
    await _queue(db, a, "502", own_prompt)  # a prompt as the queue's music
    assert len(await app.music(a, "500")) == 30  # no choice: the tenant's latest MOH (0.6 s)
    assert len(await app.music(a, "501")) == 50  # its own 1 s file, not the latest upload
    assert len(await app.music(a, "502")) == 20  # the 0.4 s prompt
    assert len(await app.music(a)) == 30  # no queue named: the tenant's music
    assert own_moh != tenant_moh
    # B's queue naming A's file (a row the API would refuse) plays B's default, never A's file
    await _queue(db, b, "501", tenant_moh)
    assert await app.music(b, "501") == default
    # the chosen file's row gone (the column is set NULL by the database): the tenant's music
    async with db.transaction() as session:
        row = await session.get(MediaFile, tenant_moh)
        assert row is not None
        await session.delete(row)
    assert len(await app.music(a, "501")) == 30
