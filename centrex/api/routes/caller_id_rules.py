"""/api/v1/caller-id-rules: the number a tenant presents for calls to a prefix (its caller ID
per outbound route). `GET`, `POST {"prefix": "33", "number": "+33123456789"}` (the number must
be the tenant's own; `""` is every call), `DELETE /{id}`. Rules and error ids:
`centrex.provisioning.caller_id_rules`; another tenant's rules are never visible."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, StringConstraints

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import IdPath, Strict
from centrex.provisioning import caller_id_rules as service

router = APIRouter(prefix="/api/v1/caller-id-rules", tags=["caller-id"],
                   responses=PROBLEM_RESPONSES)  # fmt: skip

Prefix = Annotated[str, StringConstraints(max_length=16, pattern=r"^\+?[0-9]*$")]
E164 = Annotated[str, StringConstraints(min_length=3, max_length=20, pattern=r"^\+?[0-9 ]+$")]


class RuleIn(Strict):
    prefix: Prefix
    number: E164


class RuleOut(BaseModel):
    id: int
    prefix: str
    number: str


@router.get("", response_model=Page[RuleOut])
async def list_rules(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    return paginate(await service.list_rules(scope), query, orders=("prefix", "number", "id"),
                    default="prefix", searchable=("prefix", "number"))  # fmt: skip


@router.post("", status_code=201, response_model=RuleOut)
async def add_rule(
    body: RuleIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    view = await service.add_rule(scope, prefix=body.prefix, number=body.number)
    response.headers["Location"] = f"/api/v1/caller-id-rules/{view['id']}"
    return view


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(rule_id: IdPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.delete_rule_by_id(scope, rule_id)
    return Response(status_code=204)
