"""Digest policy of a tenant and of one extension (which digest algorithms phones are offered).

`compatible` (the tenant default) offers MD5 first and SHA-256 second, so phones that answer
only the first challenge and know only MD5 work; `prefer-sha256` offers SHA-256 first;
`require-sha256` offers and accepts SHA-256 only. An extension's policy overrides its tenant's
(None: the tenant's applies). The registrar and the call layer read it through the
`Directory`, so a change takes effect within its cache TTL (30 s).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import DigestPolicy, Extension, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

INHERIT = "tenant"  # CLI spelling of "no override: follow the tenant"


def parse_policy(value: str) -> DigestPolicy:
    """A `DigestPolicy` from its name; anything else is a validation error."""
    try:
        return DigestPolicy(value)
    except ValueError as exc:
        names = ", ".join(p.value for p in DigestPolicy)
        raise ValidationFailed(
            f"unknown digest policy {value!r} (one of {names})",
            error_id="invalid-digest-policy",
            field="digest_policy",
        ) from exc


async def set_tenant_policy(session: AsyncSession, tenant: Tenant, policy: DigestPolicy) -> Tenant:
    """The tenant's digest policy (the default of all its extensions)."""
    tenant.digest_policy = policy
    await session.flush()
    return tenant


async def set_extension_policy(
    scope: TenantScope, extension: Extension, policy: DigestPolicy | None
) -> Extension:
    """One extension's digest policy; None: the tenant's policy applies again."""
    if extension.tenant_id != scope.tenant_id:
        raise NotFound("extension not found", error_id="extension-not-found")
    extension.digest_policy = policy
    await scope.session.flush()
    return extension
