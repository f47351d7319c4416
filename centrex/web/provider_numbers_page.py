"""Provider page for number ranges and their DIDs (platform admin only, as /api/v1/number-ranges).

A range is listed with how many of its numbers are free, assigned, ageing...; opening one lists
its numbers page by page with their state and tenant. Numbers are handed to a tenant through the
same `assign_number` the tenant API uses (so a number of another tenant, or one still ageing, is
refused the same way), a block at a time: all of the block or, on any refusal, none of it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from centrex.data.models import Number, NumberState, Tenant
from centrex.errors import ValidationFailed
from centrex.provisioning import numbers as number_service
from centrex.provisioning import provider
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning.validation import normalise_e164
from centrex.provisioning.views import range_view
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.provider_forms import (
    attempt,
    require_platform_admin,
    required_int,
    t_of,
    text_field,
)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
MAX_BLOCK = 100  # numbers assigned by one form


async def _state_counts(ctx: PageContext, range_id: int) -> dict[str, int]:
    stmt = (
        select(Number.state, func.count()).where(Number.range_id == range_id).group_by(Number.state)
    )
    return {state.value: int(n) for state, n in (await ctx.session.execute(stmt)).all()}


async def _numbers(ctx: PageContext, range_id: int, offset: int) -> list[dict[str, Any]]:
    stmt = (
        select(Number, Tenant.domain)
        .outerjoin(Tenant, Tenant.id == Number.tenant_id)
        .where(Number.range_id == range_id)
        .order_by(Number.e164)
        .offset(offset)
        .limit(PAGE_SIZE)
    )
    return [
        {"id": n.id, "e164": n.e164, "state": n.state.value, "tenant": domain,
         "tenant_id": n.tenant_id, "routed": n.extension_id is not None
         or n.ring_group_id is not None or n.conference_id is not None}
        for n, domain in (await ctx.session.execute(stmt)).all()
    ]  # fmt: skip


async def _render(
    ctx: PageContext, flash: str = "", kind: str = "ok", *, range_id: int | None = None
) -> HTMLResponse:
    query = ctx.request.query_params
    if range_id is None and query.get("range", "").isdigit():
        range_id = int(query["range"])
    offset = int(query["offset"]) if query.get("offset", "").isdigit() else 0
    ranges = []
    for item in await number_service.list_ranges(ctx.session):
        view = range_view(item, await provider.range_size(ctx.session, item.id))
        view["states"] = await _state_counts(ctx, item.id)
        ranges.append(view)
    selected = next((r for r in ranges if r["id"] == range_id), None)
    numbers = await _numbers(ctx, selected["id"], offset) if selected else []
    tenants = await tenant_service.list_tenants(ctx.session)
    return render(
        ctx.request,
        "provider_numbers.html",
        ctx.principal,
        ranges=ranges,
        selected=selected,
        numbers=numbers,
        offset=offset,
        page_size=PAGE_SIZE,
        tenants=[{"id": x.id, "domain": x.domain, "name": x.name} for x in tenants],
        states=[s.value for s in NumberState],
        flash=flash,
        flash_kind=kind,
    )


@router.get("/provider/numbers")
async def numbers_page(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        return await _render(ctx)


@router.post("/provider/numbers/ranges")
async def add_range(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        added: dict[str, int] = {}

        async def work() -> str:
            number_range, size = await number_service.add_range(
                ctx.session,
                text_field(form, "first", 20),
                text_field(form, "last", 20),
                description=text_field(form, "description"),
            )
            added["id"] = number_range.id
            return t_of(ctx)("provider_numbers.range_added", first=number_range.first,
                             last=number_range.last, size=size)  # fmt: skip

        flash, kind = await attempt(ctx, work)
        return await _render(ctx, flash, kind, range_id=added.get("id"))


@router.post("/provider/numbers/ranges/{range_id}/delete")
async def delete_range(request: Request, range_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        await check_csrf(request, ctx.principal)

        async def work() -> str:
            number_range = await provider.get_range(ctx.session, range_id)
            first, last = number_range.first, number_range.last
            await provider.delete_range(ctx.session, range_id)
            return t_of(ctx)("provider_numbers.range_deleted", first=first, last=last)

        return await _render(ctx, *await attempt(ctx, work))


async def _free_block(ctx: PageContext, range_id: int, start: str | None, count: int) -> list[str]:
    """The first `count` free numbers of the range from `start` on (all of them, or refused)."""
    stmt = select(Number.e164).where(Number.range_id == range_id, Number.state == NumberState.FREE,
                                     Number.tenant_id.is_(None))  # fmt: skip
    if start:
        stmt = stmt.where(Number.e164 >= start)
    found = list((await ctx.session.scalars(stmt.order_by(Number.e164).limit(count))).all())
    if len(found) < count:
        raise ValidationFailed(
            f"only {len(found)} free numbers from {start or 'the start'} in this range, "
            f"{count} asked",
            error_id="not-enough-free-numbers",
            field="count",
        )
    return found


@router.post("/provider/numbers/ranges/{range_id}/assign")
async def assign_block(request: Request, range_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            await provider.get_range(ctx.session, range_id)
            tenant = await provider.get_tenant_by_id(ctx.session, required_int(form, "tenant_id"))
            count = required_int(form, "count", 1)
            if not 1 <= count <= MAX_BLOCK:
                raise ValidationFailed(f"count must be 1–{MAX_BLOCK}", field="count")
            start = text_field(form, "start", 20)
            block = await _free_block(ctx, range_id, normalise_e164(start) if start else None,
                                      count)  # fmt: skip
            scope = tenant_service.scope_of(ctx.session, tenant)
            now = ctx.services.clock.utcnow()
            for e164 in block:
                await number_service.assign_number(scope, e164, now=now)
            return t_of(ctx)("provider_numbers.assigned", count=len(block), first=block[0],
                             last=block[-1], tenant=tenant.domain)  # fmt: skip

        flash, kind = await attempt(ctx, work)
        return await _render(ctx, flash, kind, range_id=range_id)


@router.post("/provider/numbers/{number_id}/release")
async def release(request: Request, number_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        await check_csrf(request, ctx.principal)

        async def work() -> str:
            number = await ctx.session.get(Number, number_id)
            if number is None or number.tenant_id is None:
                raise ValidationFailed("this number is not assigned", error_id="number-not-found")
            tenant = await provider.get_tenant_by_id(ctx.session, number.tenant_id)
            scope = tenant_service.scope_of(ctx.session, tenant)
            released = await number_service.release_number(
                scope, number.e164, now=ctx.services.clock.utcnow()
            )
            return t_of(ctx)("provider_numbers.released", e164=released.e164, tenant=tenant.domain)

        return await _render(ctx, *await attempt(ctx, work))  # the form names ?range=
