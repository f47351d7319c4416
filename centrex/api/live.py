"""Live registrations and calls of a tenant as JSON views, shared by the REST routes and the portal.

Why here and not in the route modules: the portal (`centrex.web`) shows the same lists and
counts as /api/v1/registrations, /api/v1/calls and /api/v1/tenants, and it must not import
route handlers (shared/DESIGN.md §3; tests/test_architecture.py). The live state itself comes
through the `sources` Protocols in `ApiServices`; a plain user sees only its own devices and
calls.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.api.auth import Principal, own_extension_numbers
from centrex.api.services import ApiServices
from centrex.data.models import Extension, SipCredential, Tenant
from centrex.data.tenancy import TenantScope
from centrex.provisioning import provider
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning.platform_views import tenant_view


def aor_user(aor: str) -> str:
    """`sip:101@acme.example.com` → `101`."""
    return aor.split(":", 1)[-1].split("@", 1)[0]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


async def registration_counts(svc: ApiServices, scope: TenantScope) -> dict[str, int]:
    """Registered devices per SIP username of the tenant."""
    counts: dict[str, int] = {}
    for binding in await svc.registrations.list(scope.tenant_id):
        user = aor_user(str(binding.get("aor", "")))
        counts[user] = counts.get(user, 0) + 1
    return counts


async def registrations_of(
    svc: ApiServices, scope: TenantScope, principal: Principal
) -> list[dict[str, Any]]:
    """The tenant's registrations (a user's own only), each with the extension it belongs to."""
    usernames = {c.username: str(c.extension_id) for c in await scope.list(SipCredential)}
    numbers = {str(e.id): e.number for e in await scope.list(Extension)}
    mine = await own_extension_numbers(scope, principal)
    result = []
    for binding in await svc.registrations.list(scope.tenant_id):
        item = {
            "aor": str(binding.get("aor", "")),
            "contact": str(binding.get("contact", "")),
            "source": str(binding.get("source", "")),
            "transport": str(binding.get("transport", "")),
            "user_agent": str(binding.get("user_agent", "")),
            "expires_at": _iso(binding.get("expires_at")),
        }
        ext_id = usernames.get(aor_user(str(item["aor"])))
        item["extension"] = numbers.get(ext_id) if ext_id else None
        if mine is not None and item["extension"] not in mine:
            continue
        result.append(item)
    return result


async def calls_of(
    svc: ApiServices, scope: TenantScope, principal: Principal
) -> list[dict[str, Any]]:
    """The tenant's live calls (a user's own only: it is the caller or the callee)."""
    mine = await own_extension_numbers(scope, principal)
    result = []
    for call in await svc.calls.list(scope.tenant_id):
        item = {
            "call_id": str(call.get("call_id", "")),
            "caller": str(call.get("caller", "")),
            "callee": str(call.get("callee", "")),
            "direction": str(call.get("direction", "")),
            "state": str(call.get("state", "")),
            "started_at": _iso(call.get("started_at")),
            "answered_at": _iso(call.get("answered_at")),
            "media": list(call.get("media") or []),
            "held": bool(call.get("held", False)),
            "park_slot": call.get("park_slot"),
        }
        if mine is not None and not ({item["caller"], item["callee"]} & mine):
            continue
        result.append(item)
    return result


async def tenant_summary(svc: ApiServices, session: AsyncSession, tenant: Tenant) -> dict[str, Any]:
    """The tenant plus the live numbers a provider watches: calls vs licence, devices."""
    view = tenant_view(tenant)
    scope = tenant_service.scope_of(session, tenant)
    view["live_calls"] = len(await svc.calls.list(tenant.id))
    view["registrations"] = len(await svc.registrations.list(tenant.id))
    view["extensions"] = (await provider.tenant_usage(scope))["extensions"]
    return view
