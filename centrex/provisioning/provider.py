"""Provider-level edits the API needs beyond tenants.py/trunks.py: look-ups by id, updates,
deletes, tenant contacts. Platform-level objects have no tenant scope; the API checks the
caller's reach (platform admin, or a partner's own tenants) before calling these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import (
    ContactKind,
    Extension,
    Language,
    Number,
    NumberRange,
    NumberState,
    OutboundRoute,
    OutboundRouteTrunk,
    Partner,
    Tenant,
    TenantContact,
    Trunk,
    TrunkTransport,
)
from centrex.data.secrets_box import SecretBox
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.trunks import _check_host
from centrex.provisioning.validation import check_language, check_non_negative


async def get_partner(session: AsyncSession, partner_id: int) -> Partner:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} not found", error_id="partner-not-found")
    return partner


async def update_partner(session: AsyncSession, partner: Partner, **changes: Any) -> Partner:
    if changes.get("name") is not None:
        name = str(changes["name"]).strip()
        if not name:
            raise ValidationFailed("partner name is empty", error_id="invalid-name", field="name")
        other = await session.scalar(select(Partner.id).where(Partner.name == name))
        if other is not None and other != partner.id:
            raise Conflict(f"partner {name!r} already exists", error_id="partner-name-taken")
        partner.name = name
    for key in ("contact_name", "email", "phone"):
        if key in changes:
            setattr(partner, key, changes[key])
    await session.flush()
    return partner


async def delete_partner(session: AsyncSession, partner_id: int) -> None:
    partner = await get_partner(session, partner_id)
    await session.delete(partner)
    await session.flush()


async def get_tenant_by_id(session: AsyncSession, tenant_id: int) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found", error_id="tenant-not-found")
    return tenant


async def update_tenant(session: AsyncSession, tenant: Tenant, **changes: Any) -> Tenant:
    """Name, language, licence (max_calls), storage quota, main number, partner."""
    if changes.get("name") is not None:
        if not str(changes["name"]).strip():
            raise ValidationFailed("tenant name is empty", error_id="invalid-name", field="name")
        tenant.name = str(changes["name"]).strip()
    if changes.get("language") is not None:
        tenant.language = Language(check_language(str(changes["language"])))
    if changes.get("max_calls") is not None:
        tenant.max_calls = check_non_negative(int(changes["max_calls"]), "max_calls")
    if changes.get("storage_quota_mb") is not None:
        tenant.storage_quota_mb = check_non_negative(
            int(changes["storage_quota_mb"]), "storage_quota_mb"
        )
    if "partner_id" in changes:
        if changes["partner_id"] is not None:
            await get_partner(session, int(changes["partner_id"]))
        tenant.partner_id = changes["partner_id"]
    if "main_number" in changes:
        tenant.main_number = changes["main_number"]
    await session.flush()
    return tenant


async def delete_tenant(session: AsyncSession, tenant_id: int) -> None:
    """Delete a tenant and everything it owns; its numbers age before they are reused."""
    tenant = await get_tenant_by_id(session, tenant_id)
    for number in (
        await session.scalars(select(Number).where(Number.tenant_id == tenant.id))
    ).all():
        number.tenant_id = None
        number.extension_id = None
        number.state = NumberState.AGEING
    await session.delete(tenant)
    await session.flush()


async def tenant_usage(scope: TenantScope) -> dict[str, int]:
    """Counts shown next to a tenant's licence: extensions and numbers in use."""
    return {
        "extensions": await scope.count(Extension),
        "numbers": await scope.count(Number),
    }


async def list_contacts(scope: TenantScope) -> Sequence[TenantContact]:
    return await scope.list(TenantContact, order_by=TenantContact.kind)


async def set_contact(
    scope: TenantScope,
    kind: str,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
) -> TenantContact:
    """Create or replace the tenant's contact of one kind (one per kind)."""
    if kind not in {k.value for k in ContactKind}:
        raise ValidationFailed(f"contact kind {kind!r} is unknown", field="kind")
    if not name.strip():
        raise ValidationFailed("contact name is empty", error_id="invalid-name", field="name")
    contact = await scope.first(TenantContact, TenantContact.kind == ContactKind(kind))
    if contact is None:
        contact = scope.add(TenantContact(kind=ContactKind(kind), name=name))
    contact.name = name.strip()
    contact.email = email
    contact.phone = phone
    await scope.session.flush()
    return contact


async def delete_contact(scope: TenantScope, kind: str) -> None:
    if kind not in {k.value for k in ContactKind} or not await scope.delete(
        TenantContact, TenantContact.kind == ContactKind(kind)
    ):
        raise NotFound(f"no {kind} contact", error_id="contact-not-found")


def contact_view(contact: TenantContact) -> dict[str, Any]:
    return {
        "kind": contact.kind.value,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
    }


async def get_trunk_by_id(session: AsyncSession, trunk_id: int) -> Trunk:
    trunk = await session.get(Trunk, trunk_id)
    if trunk is None:
        raise NotFound(f"trunk {trunk_id} not found", error_id="trunk-not-found")
    return trunk


async def update_trunk(
    session: AsyncSession, box: SecretBox, trunk: Trunk, **changes: Any
) -> Trunk:
    if changes.get("host") is not None:
        trunk.host = _check_host(str(changes["host"]))
    if changes.get("port") is not None:
        if not 1 <= int(changes["port"]) <= 65535:
            raise ValidationFailed("port is not 1–65535", error_id="invalid-port", field="port")
        trunk.port = int(changes["port"])
    if changes.get("priority") is not None:
        if int(changes["priority"]) < 1:
            raise ValidationFailed("priority must be 1 or more", field="priority")
        trunk.priority = int(changes["priority"])
    if changes.get("transport") is not None:
        if changes["transport"] not in {t.value for t in TrunkTransport}:
            raise ValidationFailed("transport is not udp, tcp or tls", field="transport")
        trunk.transport = TrunkTransport(changes["transport"])
    for key in ("enabled", "register"):
        if changes.get(key) is not None:
            setattr(trunk, key, bool(changes[key]))
    if "max_calls" in changes:
        if changes["max_calls"] is not None and int(changes["max_calls"]) < 0:
            raise ValidationFailed("maximum calls cannot be negative", field="max_calls")
        trunk.max_calls = changes["max_calls"]
    if changes.get("username") is not None:
        trunk.username = changes["username"] or None
    if changes.get("password") is not None:
        trunk.password_encrypted = box.encrypt(changes["password"]) if changes["password"] else None
    await session.flush()
    return trunk


async def delete_trunk(session: AsyncSession, trunk_id: int) -> None:
    await session.delete(await get_trunk_by_id(session, trunk_id))
    await session.flush()


async def get_route(session: AsyncSession, route_id: int) -> tuple[OutboundRoute, list[Trunk]]:
    route = await session.get(OutboundRoute, route_id)
    if route is None:
        raise NotFound(f"route {route_id} not found", error_id="route-not-found")
    stmt = (
        select(Trunk)
        .join(OutboundRouteTrunk, OutboundRouteTrunk.trunk_id == Trunk.id)
        .where(OutboundRouteTrunk.route_id == route.id)
        .order_by(OutboundRouteTrunk.position)
    )
    return route, list((await session.scalars(stmt)).all())


async def delete_route(session: AsyncSession, route_id: int) -> None:
    route, _ = await get_route(session, route_id)
    await session.delete(route)
    await session.flush()


async def get_range(session: AsyncSession, range_id: int) -> NumberRange:
    number_range = await session.get(NumberRange, range_id)
    if number_range is None:
        raise NotFound(f"number range {range_id} not found", error_id="range-not-found")
    return number_range


async def range_size(session: AsyncSession, range_id: int) -> int:
    stmt = select(func.count()).select_from(Number).where(Number.range_id == range_id)
    return int((await session.execute(stmt)).scalar_one())


async def delete_range(session: AsyncSession, range_id: int) -> None:
    """Delete a range and its free numbers; refused while any of its numbers is in use."""
    number_range = await get_range(session, range_id)
    used = await session.scalar(
        select(func.count())
        .select_from(Number)
        .where(Number.range_id == range_id, Number.tenant_id.is_not(None))
    )
    if used:
        raise Conflict(f"{used} numbers of this range are assigned", error_id="range-in-use")
    for number in (await session.scalars(select(Number).where(Number.range_id == range_id))).all():
        await session.delete(number)
    await session.delete(number_range)
    await session.flush()
