"""The queue's music on hold is decoded once per file and shared by every waiting caller (200
callers used to hold 200 copies of the frames); a new upload is read afresh."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from centrex.apps.queue.app import QueueApp
from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import MediaFile, MediaKind, Tenant
from centrex.data.tenancy import TenantScope
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


async def test_one_frame_list_per_music_file(db: Database, tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    async with db.transaction() as session:
        tenant = await tenant_service.create_tenant(
            session, now=SystemClock().utcnow(), name="q", domain="q.test",
            extension_digits=3, max_calls=2,
        )  # fmt: skip
        tenant_id = tenant.id
    app = QueueApp(Services(db, store), board=None, data_dir=tmp_path)  # type: ignore[arg-type]
    first, second = await app.music(tenant_id), await app.music(tenant_id)
    assert first  # the generated default music
    assert first is second  # shared, not copied per caller
    relative, path = store.new_file(tenant_id, "moh")
    write_wav(path, tone(1.0))
    async with db.transaction() as session:
        session.add(MediaFile(tenant_id=tenant_id, kind=MediaKind.MOH, path=relative, name="up",
                              duration_ms=1000, size_bytes=path.stat().st_size))  # fmt: skip
    uploaded = await app.music(tenant_id)
    assert uploaded is not first
    assert len(uploaded) == 50  # 1 s of 20 ms frames: the upload, read afresh
    assert await app.music(tenant_id) is uploaded
