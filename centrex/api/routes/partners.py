"""/api/v1/partners: resellers. Platform admins manage them; a partner sees only itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from centrex.api.auth import Caller, CallerReach, Session, require_platform_admin, require_staff
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import Email, IdPath, LongPhone, Name, OptName, Strict
from centrex.provisioning import provider
from centrex.provisioning import tenants as service
from centrex.provisioning.platform_views import partner_view

router = APIRouter(prefix="/api/v1/partners", tags=["partners"], responses=PROBLEM_RESPONSES)


class PartnerIn(Strict):
    name: Name
    contact_name: OptName | None = None
    email: Email | None = None
    phone: LongPhone | None = None


class PartnerPatch(Strict):
    name: Name | None = None
    contact_name: OptName | None = None
    email: Email | None = None
    phone: LongPhone | None = None


class PartnerOut(BaseModel):
    id: int
    name: str
    contact_name: str | None
    email: str | None
    phone: str | None


@router.get("", response_model=Page[PartnerOut])
async def list_partners(reach: CallerReach, caller: Caller, query: Listing) -> dict[str, Any]:
    require_staff(caller)
    partners = [partner_view(p) for p in await reach.partners()]
    return paginate(partners, query, orders=("id", "name"), searchable=("name", "email"))


@router.post("", status_code=201, response_model=PartnerOut)
async def create_partner(
    body: PartnerIn, session: Session, caller: Caller, response: Response
) -> dict[str, Any]:
    require_platform_admin(caller)
    partner = await service.create_partner(
        session, name=body.name, contact_name=body.contact_name, email=body.email, phone=body.phone
    )
    response.headers["Location"] = f"/api/v1/partners/{partner.id}"
    return partner_view(partner)


@router.get("/{partner_id}", response_model=PartnerOut)
async def get_partner(partner_id: IdPath, reach: CallerReach, caller: Caller) -> dict[str, Any]:
    require_staff(caller)
    return partner_view(await reach.partner(partner_id))


@router.patch("/{partner_id}", response_model=PartnerOut)
async def update_partner(
    partner_id: IdPath, body: PartnerPatch, reach: CallerReach, caller: Caller
) -> dict[str, Any]:
    require_staff(caller)
    partner = await reach.partner(partner_id)
    await provider.update_partner(reach.session, partner, **body.model_dump(exclude_unset=True))
    return partner_view(partner)


@router.delete("/{partner_id}", status_code=204)
async def delete_partner(partner_id: IdPath, session: Session, caller: Caller) -> Response:
    require_platform_admin(caller)
    await provider.delete_partner(session, partner_id)
    return Response(status_code=204)
