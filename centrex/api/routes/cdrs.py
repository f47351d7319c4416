"""/api/v1/cdrs: call detail records with filters, and CSV/XLSX export of the same selection."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from centrex.api.auth import Caller, Scope, own_extension_numbers
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page
from centrex.api.schemas import IdPath
from centrex.data.models import Direction, Disposition
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning import cdr_reports
from centrex.provisioning.cdrs import cdr_row, cdrs_to_csv

router = APIRouter(prefix="/api/v1/cdrs", tags=["cdrs"], responses=PROBLEM_RESPONSES)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CdrOut(BaseModel):
    id: int
    call_id: str
    caller: str
    callee: str
    direction: str
    started_at: str
    answered_at: str | None
    ended_at: str | None
    billsec: int
    disposition: str | None
    hangup_cause: str | None
    hangup_side: str | None
    trunk_id: int | None
    price: str | None
    rated_at: str | None


class CdrLegOut(BaseModel):
    leg_index: int
    peer: str
    started_at: str
    answered_at: str | None
    ended_at: str | None
    disposition: str | None
    hangup_cause: str | None
    trunk_id: int | None
    transferred_by: str | None


class CdrLegs(BaseModel):
    items: list[CdrLegOut]


class CdrFilters(BaseModel):
    since: datetime | None
    until: datetime | None
    direction: Direction | None
    disposition: Disposition | None
    extension: str | None


def cdr_filters(
    since: Annotated[datetime | None, Query(description="started at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="started before (ISO 8601)")] = None,
    call_direction: Annotated[
        Direction | None, Query(description="inbound, outbound or internal (`direction` orders)")
    ] = None,
    disposition: Disposition | None = None,
    extension: Annotated[str | None, Query(max_length=5, pattern=r"^[0-9]+$")] = None,
) -> CdrFilters:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(f"{name} needs a time zone (e.g. Z)", field=name)
    return CdrFilters(
        since=since,
        until=until,
        direction=call_direction,
        disposition=disposition,
        extension=extension,
    )


async def _query(
    scope: TenantScope,
    caller: Any,
    filters: CdrFilters,
    **extra: Any,
) -> tuple[int, Any]:
    return await cdr_reports.query_cdrs(
        scope,
        since=filters.since,
        until=filters.until,
        direction=filters.direction,
        disposition=filters.disposition,
        extension=filters.extension,
        only_extensions=await own_extension_numbers(scope, caller),
        **extra,
    )


FilterDep = Annotated[CdrFilters, Depends(cdr_filters)]


@router.get("", response_model=Page[CdrOut])
async def list_cdrs(
    scope: Scope, caller: Caller, query: Listing, filters: FilterDep
) -> dict[str, Any]:
    """Newest first by default; `order` may only be `started_at`."""
    if query.order not in (None, "started_at"):
        raise ValidationFailed(
            "CDRs are ordered by started_at", error_id="invalid-order", field="order"
        )
    total, rows = await _query(
        scope,
        caller,
        filters,
        search=query.search,
        ascending=query.direction == "asc" and query.order == "started_at",
        limit=query.limit,
        offset=query.offset,
    )
    return {"total": total, "items": [cdr_row(c) for c in rows]}


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}, "description": "CSV or XLSX file"}},
)
async def export_cdrs(
    scope: Scope,
    caller: Caller,
    filters: FilterDep,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    _total, rows = await _query(scope, caller, filters, limit=cdr_reports.MAX_EXPORT_ROWS)
    stamp = f"cdrs-{scope.domain}"
    if format == "xlsx":
        return Response(
            cdr_reports.cdrs_to_xlsx(rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{stamp}.xlsx"'},
        )
    return Response(
        cdrs_to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stamp}.csv"'},
    )


async def _visible_cdr(scope: TenantScope, caller: Any, cdr_id: int) -> Any:
    """The CDR, or 404 when it is another tenant's or not one of a plain user's own calls."""
    cdr = await cdr_reports.get_cdr(scope, cdr_id)
    mine = await own_extension_numbers(scope, caller)
    if mine is not None and not ({cdr.extension, cdr.caller, cdr.callee} & mine):
        raise NotFound(f"CDR {cdr_id} not found", error_id="cdr-not-found")
    return cdr


@router.get("/{cdr_id}", response_model=CdrOut)
async def get_cdr(cdr_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    return cdr_row(await _visible_cdr(scope, caller, cdr_id))


@router.get("/{cdr_id}/legs", response_model=CdrLegs)
async def get_cdr_legs(cdr_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    """Each leg of the call in order: who was rung or answered, and after a transfer the new
    party with `transferred_by` (the extension that transferred)."""
    await _visible_cdr(scope, caller, cdr_id)
    legs = await cdr_reports.cdr_legs(scope, cdr_id)
    return {"items": [cdr_reports.leg_row(leg) for leg in legs]}
