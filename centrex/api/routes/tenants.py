"""/api/v1/tenants: customers with status, licence (max simultaneous calls), quota, contacts.

A platform admin reaches every tenant, a partner only its own (others answer 404), a tenant
admin or user reads its own tenant. Creating, suspending and deleting is for staff.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.api.auth import (
    Caller,
    CallerReach,
    Now,
    Principal,
    Session,
    require_staff,
    require_tenant_admin,
)
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.live import tenant_summary
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import (
    Count,
    DigestPolicyName,
    Domain,
    IdPath,
    Language,
    Name,
    OptName,
    Phone,
    RefId,
    Strict,
)
from centrex.api.services import ApiServices
from centrex.data.models import Role, TenantStatus
from centrex.data.reach import Reach
from centrex.errors import Forbidden
from centrex.provisioning import digest_policy, parking, provider, supervisors
from centrex.provisioning import tenants as service

router = APIRouter(prefix="/api/v1/tenants", tags=["tenants"], responses=PROBLEM_RESPONSES)

ContactKindName = Literal["it-admin", "firewall-admin", "it-partner", "pbx-partner"]


class TenantIn(Strict):
    name: Name
    domain: Domain
    extension_digits: Annotated[int, Field(ge=2, le=5)] = 3
    max_calls: Count = 10
    language: Language = "en"
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "CH"
    partner_id: RefId | None = None
    trial_days: Annotated[int, Field(ge=1, le=365)] | None = None
    storage_quota_mb: Count = 1024


ParkNumber = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[0-9]+$")]
ParkTimeout = Annotated[int, Field(ge=parking.MIN_TIMEOUT, le=parking.MAX_TIMEOUT)]
ParkSlots = Annotated[
    str, StringConstraints(min_length=2, max_length=21, pattern=r"^[0-9]+(-[0-9]+)?$")
]


class TenantPatch(Strict):
    name: Name | None = None
    language: Language | None = None
    max_calls: Count | None = None
    storage_quota_mb: Count | None = None
    main_number: Phone | None = None
    partner_id: RefId | None = None
    digest_policy: DigestPolicyName | None = None
    park_number: ParkNumber | None = None
    park_slots: ParkSlots | None = None
    park_timeout: ParkTimeout | None = None
    monitor_beep: bool | None = None  # a beep when a supervisor joins a call (features/monitor)


class StatusIn(Strict):
    reason: OptName | None = None


class ContactIn(Strict):
    name: Name
    email: OptName | None = None
    phone: Phone | None = None


class ContactOut(BaseModel):
    kind: str
    name: str
    email: str | None
    phone: str | None


class TenantOut(BaseModel):
    id: int
    name: str
    domain: str
    customer_number: str
    partner_id: int | None
    language: str
    country: str
    extension_digits: int
    max_calls: int
    storage_quota_mb: int
    status: str
    status_changed_at: str | None
    trial_ends_at: str | None
    credit: str
    currency: str
    main_number: str | None
    digest_policy: str = "compatible"
    park_number: str = "700"
    park_slots: str = "701-709"
    park_timeout: int = 60
    monitor_beep: bool = False
    created_at: str | None
    live_calls: int = 0
    registrations: int = 0
    extensions: int = 0


@router.get("", response_model=Page[TenantOut])
async def list_tenants(request: Request, reach: CallerReach, query: Listing) -> dict[str, Any]:
    svc: ApiServices = request.app.state.services
    views = [await tenant_summary(svc, reach.session, t) for t in await reach.tenants()]
    return paginate(
        views,
        query,
        orders=("id", "name", "domain", "status", "customer_number", "max_calls"),
        searchable=("name", "domain", "customer_number"),
    )


@router.post("", status_code=201, response_model=TenantOut)
async def create_tenant(
    request: Request, body: TenantIn, reach: CallerReach, now: Now, response: Response
) -> dict[str, Any]:
    """Staff only; a partner's new tenant is its own (another partner's id answers 404)."""
    tenant = await service.create_tenant_within(
        reach,
        now=now,
        partner_id=body.partner_id,
        name=body.name,
        domain=body.domain,
        extension_digits=body.extension_digits,
        max_calls=body.max_calls,
        language=body.language,
        country=body.country,
        trial_days=body.trial_days,
        storage_quota_mb=body.storage_quota_mb,
    )
    response.headers["Location"] = f"/api/v1/tenants/{tenant.id}"
    return await tenant_summary(request.app.state.services, reach.session, tenant)


@router.get("/{tenant_id}", response_model=TenantOut)
async def get_tenant(
    request: Request, tenant_id: IdPath, session: Session, caller: Caller
) -> dict[str, Any]:
    tenant = await Reach.of(session, caller).tenant(tenant_id)
    return await tenant_summary(request.app.state.services, session, tenant)


@router.patch("/{tenant_id}", response_model=TenantOut)
async def update_tenant(
    request: Request, tenant_id: IdPath, body: TenantPatch, session: Session, caller: Caller
) -> dict[str, Any]:
    """Name, language, main number (tenant admins); licence, quota, partner (staff)."""
    tenant = await Reach.of(session, caller).tenant(tenant_id)
    require_tenant_admin(caller)
    changes = body.model_dump(exclude_unset=True)
    staff_only = {"max_calls", "storage_quota_mb", "partner_id"} & changes.keys()
    if staff_only and not caller.is_staff:
        raise Forbidden(f"only staff may change {', '.join(sorted(staff_only))}")
    if "partner_id" in changes and caller.role != Role.PLATFORM_ADMIN:
        raise Forbidden("only a platform admin may move a tenant to another partner")
    policy = changes.pop("digest_policy", None)
    if policy is not None:
        await digest_policy.set_tenant_policy(session, tenant, digest_policy.parse_policy(policy))
    park = {key: changes.pop(key) for key in ("park_number", "park_slots", "park_timeout")
            if key in changes}  # fmt: skip
    if park:
        await parking.set_park(session, tenant, number=park.get("park_number"),
                               slots=park.get("park_slots"),
                               seconds=park.get("park_timeout"))  # fmt: skip
    beep = changes.pop("monitor_beep", None)
    if beep is not None:
        await supervisors.set_monitor_beep(tenant, beep)
    await provider.update_tenant(session, tenant, **changes)
    return await tenant_summary(request.app.state.services, session, tenant)


@router.delete("/{tenant_id}", status_code=204)
async def delete_tenant(tenant_id: IdPath, session: Session, caller: Caller) -> Response:
    tenant = await Reach.of(session, caller).tenant(tenant_id)
    require_staff(caller)
    await provider.delete_tenant(session, tenant.id)
    return Response(status_code=204)


async def _set_status(
    request: Request,
    session: AsyncSession,
    caller: Principal,
    tenant_id: int,
    status: TenantStatus,
    reason: str | None,
    now: Any,
) -> dict[str, Any]:
    tenant = await Reach.of(session, caller).tenant(tenant_id)
    require_staff(caller)
    await service.set_status(session, tenant, status, now=now, reason=reason)
    return await tenant_summary(request.app.state.services, session, tenant)


@router.post("/{tenant_id}/suspend", response_model=TenantOut)
async def suspend_tenant(
    request: Request,
    tenant_id: IdPath,
    session: Session,
    caller: Caller,
    now: Now,
    body: StatusIn | None = None,
) -> dict[str, Any]:
    """Suspend: the tenant keeps its data but may not place calls."""
    return await _set_status(
        request,
        session,
        caller,
        tenant_id,
        TenantStatus.SUSPENDED,
        body.reason if body else None,
        now,
    )


@router.post("/{tenant_id}/activate", response_model=TenantOut)
async def activate_tenant(
    request: Request,
    tenant_id: IdPath,
    session: Session,
    caller: Caller,
    now: Now,
    body: StatusIn | None = None,
) -> dict[str, Any]:
    return await _set_status(
        request, session, caller, tenant_id, TenantStatus.ACTIVE, body.reason if body else None, now
    )


@router.get("/{tenant_id}/contacts", response_model=Page[ContactOut])
async def list_contacts(tenant_id: IdPath, session: Session, caller: Caller) -> dict[str, Any]:
    tenant = await Reach.of(session, caller).tenant(tenant_id)
    require_tenant_admin(caller)
    contacts = await provider.list_contacts(service.scope_of(session, tenant))
    items = [provider.contact_view(c) for c in contacts]
    return {"total": len(items), "items": items}


@router.put("/{tenant_id}/contacts/{kind}", response_model=ContactOut)
async def set_contact(
    tenant_id: IdPath, kind: ContactKindName, body: ContactIn, session: Session, caller: Caller
) -> dict[str, Any]:
    """Create or replace the contact of one kind (IT admin, firewall admin, partners)."""
    tenant = await Reach.of(session, caller).tenant(tenant_id)
    require_tenant_admin(caller)
    contact = await provider.set_contact(
        service.scope_of(session, tenant), kind, name=body.name, email=body.email, phone=body.phone
    )
    return provider.contact_view(contact)


@router.delete("/{tenant_id}/contacts/{kind}", status_code=204)
async def delete_contact(
    tenant_id: IdPath, kind: ContactKindName, session: Session, caller: Caller
) -> Response:
    tenant = await Reach.of(session, caller).tenant(tenant_id)
    require_tenant_admin(caller)
    await provider.delete_contact(service.scope_of(session, tenant), kind)
    return Response(status_code=204)
