"""/api/v1/national-dnc: the provider's national do-not-call lists (platform admin only).

`PUT /national-dnc/{country}/{name}` takes the list's file as the request body (`text/csv` or
`text/plain`: one number per line or the first CSV column) and answers the import's result;
`?replace=true` (the default) swaps the whole list in one transaction, `replace=false` adds to
it. `GET /national-dnc` lists the lists (country, name, count, last import) and
`DELETE /national-dnc/{country}/{name}` removes one. These lists bind every tenant, so only a
platform admin manages them: a partner or a tenant admin gets 403, and no route shows a list's
numbers (a tenant only sees, in `campaign explain`, which list blocks one of its numbers).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from centrex.api.auth import Caller, Now, Session, require_platform_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.contact_center import national_dnc as service
from centrex.errors import CentrexError, ValidationFailed

UNSUPPORTED = {**PROBLEM_RESPONSES[422], "description": "Not text/csv or text/plain"}
RESPONSES = {**PROBLEM_RESPONSES, 415: UNSUPPORTED}
router = APIRouter(prefix="/api/v1/national-dnc", tags=["national-dnc"], responses=RESPONSES)

MAX_BODY = 256 * 1024 * 1024  # ~15 million numbers; the API's own body cap may be lower
MEDIA_TYPES = ("text/csv", "text/plain", "application/octet-stream")
# checked by the service after the role (a tenant admin gets 403 whatever it sends), 422 when bad
CountryPath = Annotated[str, Path(description="ISO 3166 alpha-2 code, e.g. FR")]
NamePath = Annotated[str, Path(description="The list's name, e.g. Bloctel")]
FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string"}} for t in MEDIA_TYPES[:2]},
    }
}


class UnsupportedMediaType(CentrexError):
    status = 415
    error_id = "unsupported-media-type"


class Rejected(BaseModel):
    line: int
    error: str


class ImportOut(BaseModel):
    list_name: str = Field(alias="list")  # `list` itself would shadow the builtin here
    country: str
    imported: int
    duplicates: int
    rejected: list[Rejected]
    total: int


class NationalListOut(BaseModel):
    id: int
    country: str
    name: str
    count: int
    imported_at: str


async def _file_of(request: Request) -> bytes:
    """The request body, refused when it is not text or larger than `MAX_BODY`."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise UnsupportedMediaType(f"send the list as text/csv or text/plain, not {media_type!r}")
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_BODY:
            raise ValidationFailed(
                f"the file is larger than {MAX_BODY // (1024 * 1024)} MB",
                error_id="national-dnc-file-too-large",
                field="file",
            )
    return bytes(data)


@router.get("", response_model=Page[NationalListOut])
async def list_national(session: Session, caller: Caller, query: Listing) -> dict[str, Any]:
    require_platform_admin(caller)
    items = [{**row, "imported_at": row["imported_at"].isoformat()}
             for row in await service.list_national(session)]  # fmt: skip
    return paginate(items, query, orders=("id", "country", "name", "count", "imported_at"),
                    default="country", searchable=("country", "name"))  # fmt: skip


@router.put("/{country}/{name}", response_model=ImportOut, openapi_extra=FILE_BODY)
async def import_national(
    request: Request,
    country: CountryPath,
    name: NamePath,
    session: Session,
    caller: Caller,
    now: Now,
    replace: Annotated[bool, Query()] = True,
) -> dict[str, Any]:
    """Import the body as the list `name` of `country` (replacing it unless `replace=false`)."""
    require_platform_admin(caller)
    data = await _file_of(request)
    return await service.import_national(session, country=country, name=name, data=data,
                                         replace=replace, now=now)  # fmt: skip


@router.delete("/{country}/{name}", status_code=204)
async def delete_national(
    country: CountryPath, name: NamePath, session: Session, caller: Caller
) -> Response:
    require_platform_admin(caller)
    await service.delete_national(session, country, name)
    return Response(status_code=204)
