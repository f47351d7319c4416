"""/api/v1/blocklist and /api/v1/allowlist: a tenant's call screening lists (issue 12 item 5).

Both have the same shape: GET (list), POST (create: `pattern`, `direction` inbound|outbound,
optional `extension` — one of the caller's tenant's extension numbers, null for tenant-wide —
and `action` reject|voicemail), GET and DELETE `/{id}`. The rules and error ids are
`centrex.provisioning.screening`'s; another tenant's entry is 404, another tenant's extension
an unknown one (422 `screening-extension-unknown`). An extension's barring (`outbound_class`,
`premium`) is PATCHed on /api/v1/extensions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, StringConstraints

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import IdPath, Strict
from centrex.calls.features.screening_rules import MAX_PATTERN, ListKind
from centrex.provisioning import screening as service

router = APIRouter(prefix="/api/v1", tags=["screening"], responses=PROBLEM_RESPONSES)

Pattern = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_PATTERN, pattern=r"^[A-Za-z0-9+* ]+$")
]
ExtNumber = Annotated[str, StringConstraints(min_length=2, max_length=5, pattern=r"^[0-9]+$")]


class EntryIn(Strict):
    pattern: Pattern
    direction: Literal["inbound", "outbound"]
    extension: ExtNumber | None = None
    action: Literal["reject", "voicemail"] = "reject"


class EntryOut(BaseModel):
    id: int
    list: str
    direction: str
    pattern: str
    extension: str | None
    action: str


def _routes(kind: ListKind) -> None:
    """GET/POST `/{name}`, GET/DELETE `/{name}/{id}` for one list."""
    path = f"/{service.NAMES[kind]}"

    @router.get(path, response_model=Page[EntryOut], name=f"list_{kind.value}")
    async def list_entries(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
        require_tenant_admin(caller)
        views = await service.list_entries(scope, kind)
        return paginate(views, query, orders=("id", "pattern", "direction"), default="id",
                        searchable=("pattern",))  # fmt: skip

    @router.post(path, status_code=201, response_model=EntryOut, name=f"create_{kind.value}")
    async def create_entry(
        body: EntryIn, scope: Scope, caller: Caller, response: Response
    ) -> dict[str, Any]:
        require_tenant_admin(caller)
        view = await service.add_entry(scope, kind, pattern=body.pattern,
                                       direction=body.direction, extension=body.extension,
                                       action=body.action)  # fmt: skip
        response.headers["Location"] = f"/api/v1{path}/{view['id']}"
        return view

    @router.get(f"{path}/{{entry_id}}", response_model=EntryOut, name=f"get_{kind.value}")
    async def get_entry(entry_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
        require_tenant_admin(caller)
        return await service.get_entry(scope, kind, entry_id)

    @router.delete(f"{path}/{{entry_id}}", status_code=204, name=f"delete_{kind.value}")
    async def delete_entry(entry_id: IdPath, scope: Scope, caller: Caller) -> Response:
        require_tenant_admin(caller)
        await service.delete_entry(scope, kind, entry_id)
        return Response(status_code=204)


_routes(ListKind.BLOCK)
_routes(ListKind.ALLOW)
