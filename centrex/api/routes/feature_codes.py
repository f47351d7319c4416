"""/api/v1/feature-codes and /api/v1/short-numbers: a tenant's star codes and speed dials.

`GET /api/v1/feature-codes` lists every feature code of the caller's tenant (its own choice or
the platform's default, with `default`, `kind` and `changed`); `PATCH /api/v1/feature-codes`
`{"dnd-on": "*77", "intercom": "default"}` changes several at once, all or nothing (two
features may swap codes; `"default"` goes back) and answers the whole list. Short
numbers: `GET`, `POST {"number": "20", "target": "+41446681800", "name": ""}`, `DELETE
/{number}`. Rules and error ids: `centrex.provisioning.feature_codes`. Another tenant's choices
are never visible: every query is the caller's tenant scope.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import NO_CONTROL, Strict
from centrex.calls.feature_codes import CATALOG
from centrex.provisioning import feature_codes as service

router = APIRouter(prefix="/api/v1", tags=["feature-codes"], responses=PROBLEM_RESPONSES)

Code = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[0-9*#a-z]+$")]
ShortPath = Annotated[str, Path(min_length=1, max_length=6, pattern=r"^[0-9]+$")]
Target = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^\+?[0-9 ]+$")]
Label = Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)]


CodeChanges = Annotated[dict[str, Code], Field(min_length=1, max_length=len(CATALOG))]


class CodeOut(BaseModel):
    feature: str
    code: str
    default: str
    kind: str
    description: str
    changed: bool


class ShortIn(Strict):
    number: Annotated[str, StringConstraints(min_length=1, max_length=6, pattern=r"^[0-9]+$")]
    target: Target
    name: Label = ""


class ShortOut(BaseModel):
    id: int
    number: str
    target: str
    name: str


@router.get("/feature-codes", response_model=Page[CodeOut])
async def list_feature_codes(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    """Any user of the tenant may read the codes its phones dial."""
    _ = caller
    items = await service.list_codes(scope)
    return paginate(items, query, orders=("feature", "code", "kind"), default="feature",
                    searchable=("feature", "code", "description"))  # fmt: skip


@router.patch("/feature-codes", response_model=Page[CodeOut])
async def change_feature_codes(
    body: CodeChanges, scope: Scope, caller: Caller, query: Listing
) -> dict[str, Any]:
    require_tenant_admin(caller)
    items = await service.set_codes(scope, body)
    return paginate(items, query, orders=("feature", "code", "kind"), default="feature",
                    searchable=("feature", "code", "description"))  # fmt: skip


@router.get("/short-numbers", response_model=Page[ShortOut])
async def list_short_numbers(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    _ = caller
    items = await service.list_short_numbers(scope)
    return paginate(items, query, orders=("number", "target", "name"), default="number",
                    searchable=("number", "target", "name"))  # fmt: skip


@router.post("/short-numbers", status_code=201, response_model=ShortOut)
async def add_short_number(
    body: ShortIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    view = await service.add_short_number(
        scope, number=body.number, target=body.target, name=body.name
    )
    response.headers["Location"] = f"/api/v1/short-numbers/{view['number']}"
    return view


@router.delete("/short-numbers/{number}", status_code=204)
async def delete_short_number(number: ShortPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.delete_short_number(scope, number)
    return Response(status_code=204)
