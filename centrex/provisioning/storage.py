"""Where a tenant's audio files live, and the storage quota they count against.

Why one module: voicemail messages, greetings, music on hold and call recordings all become
files under the data directory *and* rows with their size, so the quota (tenants.storage_quota_mb)
is the sum of three columns, checked before anything is kept. Paths in the database are relative
to the data directory (a restored backup in another place still resolves them) and are checked
on the way back so a row can never point outside it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from centrex.data.models import CallRecording, MediaFile, Tenant, VoicemailMessage
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError, NotFound

MIB = 1024 * 1024


class QuotaExceeded(CentrexError):
    """Keeping the file would exceed the tenant's storage quota (HTTP 507 Insufficient Storage)."""

    status = 507
    error_id = "storage-quota-exceeded"


@dataclass(frozen=True)
class MediaStore:
    """The file side of tenant audio: `<data dir>/tenants/<tenant id>/<area>/<random>.wav`."""

    data_dir: Path

    def new_file(self, tenant_id: int, area: str, suffix: str = ".wav") -> tuple[str, Path]:
        """A fresh (relative, absolute) path pair in `area`; the folder is created."""
        relative = Path("tenants") / str(tenant_id) / area / f"{secrets.token_hex(12)}{suffix}"
        absolute = self.data_dir / relative
        absolute.parent.mkdir(parents=True, exist_ok=True)
        return relative.as_posix(), absolute

    def absolute(self, relative: str) -> Path:
        """The file of a stored relative path (NotFound if it would leave the data dir)."""
        root = self.data_dir.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise NotFound("file not found", error_id="file-not-found")
        return path

    def relative(self, path: Path) -> str:
        """The stored form of a path: relative when inside the data dir, absolute otherwise."""
        resolved = path.resolve()
        root = self.data_dir.resolve()
        if resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix()
        return str(resolved)

    def remove(self, relative: str) -> None:
        """Delete a stored file (missing files are fine: the row is what counts)."""
        path = Path(relative)
        target = path if path.is_absolute() else self.absolute(relative)
        target.unlink(missing_ok=True)

    def resolve(self, relative: str) -> Path:
        """Absolute path of a stored path, relative or absolute (recordings may live elsewhere)."""
        path = Path(relative)
        return path if path.is_absolute() else self.absolute(relative)


async def used_bytes(scope: TenantScope) -> int:
    """Bytes the tenant's messages, media files and recordings take."""
    total = 0
    for model in (VoicemailMessage, MediaFile, CallRecording):
        rows = scope.select(model).subquery()
        stmt = select(func.coalesce(func.sum(rows.c.size_bytes), 0))
        total += int((await scope.session.execute(stmt)).scalar_one())
    return total


async def quota_bytes(scope: TenantScope) -> int:
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    assert tenant is not None
    return int(tenant.storage_quota_mb) * MIB


async def check_quota(scope: TenantScope, extra_bytes: int) -> None:
    """Raise `QuotaExceeded` when `extra_bytes` more would not fit."""
    used = await used_bytes(scope)
    limit = await quota_bytes(scope)
    if used + extra_bytes > limit:
        raise QuotaExceeded(
            f"storage quota of {limit // MIB} MB reached ({used} bytes used, "
            f"{extra_bytes} more needed)"
        )


async def usage(scope: TenantScope) -> dict[str, int]:
    """Used and allowed bytes, for the portal and the API."""
    return {"used_bytes": await used_bytes(scope), "quota_bytes": await quota_bytes(scope)}
