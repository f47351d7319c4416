"""Provider page for carrier trunks and outbound routes (platform admin only, as in the API).

Trunks are created, edited and deleted through the same services as /api/v1/trunks; a trunk's
password is write-only (blank in the edit form keeps it). Outbound routes list their trunks in
failover order, which the page reorders one step at a time. "Test" sends a real SIP OPTIONS to
the trunk (`calls/trunk_probe.py`) and shows the status and round trip, or the timeout.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.calls.trunk_probe import ProbeResult, options_ping
from centrex.errors import ValidationFailed
from centrex.provisioning import provider
from centrex.provisioning import trunks as service
from centrex.provisioning.views import trunk_view
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.provider_forms import (
    attempt,
    int_field,
    require_platform_admin,
    required_int,
    t_of,
    text_field,
)

router = APIRouter(include_in_schema=False)

PROBE_WAIT_S = 3.0  # how long the test button waits for the carrier's answer


async def _render(
    ctx: PageContext,
    flash: str = "",
    kind: str = "ok",
    probe: tuple[int, ProbeResult] | None = None,
) -> HTMLResponse:
    trunks = [trunk_view(x) for x in await service.list_trunks(ctx.session)]
    routes = [
        {"id": r.id, "name": r.name, "prefix": r.prefix,
         "trunks": [{"id": x.id, "name": x.name} for x in members]}
        for r, members in await service.list_routes(ctx.session)
    ]  # fmt: skip
    return render(
        ctx.request,
        "provider_trunks.html",
        ctx.principal,
        trunks=trunks,
        routes=routes,
        probe_trunk=probe[0] if probe else None,
        probe=probe[1] if probe else None,
        flash=flash,
        flash_kind=kind,
    )


def _trunk_fields(form: dict[str, str], *, creating: bool) -> dict[str, Any]:
    """The trunk form's fields as the services take them; blank password keeps the stored one,
    blank maximum calls means no limit."""
    fields: dict[str, Any] = {
        "host": text_field(form, "host", 253),
        "port": required_int(form, "port", 5060),
        "priority": required_int(form, "priority", 1),
        "transport": form.get("transport", "udp"),
        "max_calls": int_field(form, "max_calls"),
        "register": form.get("register") == "on",
        "enabled": form.get("enabled") == "on",
    }
    username = text_field(form, "username", 100)
    password = form.get("password", "")[:100]
    if creating:
        fields["username"] = username or None
        fields["password"] = password or None
    else:
        fields["username"] = username
        if password:
            fields["password"] = password
    return fields


@router.get("/provider/trunks")
async def trunks_page(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        return await _render(ctx)


@router.post("/provider/trunks")
async def create_trunk(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            name = text_field(form, "name", 100)
            await service.create_trunk(
                ctx.session,
                ctx.services.secret_box,
                name=name,
                **_trunk_fields(form, creating=True),
            )
            return t_of(ctx)("provider_trunks.created", name=name)

        return await _render(ctx, *await attempt(ctx, work))


@router.post("/provider/trunks/{trunk_id}")
async def update_trunk(request: Request, trunk_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            trunk = await provider.get_trunk_by_id(ctx.session, trunk_id)
            fields = _trunk_fields(form, creating=False)
            if not fields["host"]:
                raise ValidationFailed("host is required", field="host")
            await provider.update_trunk(ctx.session, ctx.services.secret_box, trunk, **fields)
            return t_of(ctx)("provider_trunks.saved", name=trunk.name)

        return await _render(ctx, *await attempt(ctx, work))


@router.post("/provider/trunks/{trunk_id}/delete")
async def delete_trunk(request: Request, trunk_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        await check_csrf(request, ctx.principal)

        async def work() -> str:
            name = (await provider.get_trunk_by_id(ctx.session, trunk_id)).name
            await provider.delete_trunk(ctx.session, trunk_id)
            return t_of(ctx)("provider_trunks.deleted", name=name)

        return await _render(ctx, *await attempt(ctx, work))


def _probe_message(ctx: PageContext, name: str, result: ProbeResult) -> tuple[str, str]:
    t = t_of(ctx)
    if result.answered:
        text = t("provider_trunks.probe_answered", name=name, status=result.status,
                 reason=result.reason, ms=result.rtt_ms)  # fmt: skip
        return text, "ok"
    if result.timed_out:
        text = t("provider_trunks.probe_timeout", name=name, seconds=PROBE_WAIT_S)
        if result.unreachable:
            text += " " + t("provider_trunks.probe_unreachable")
        return text, "error"
    return t("provider_trunks.probe_failed", name=name, error=result.error or ""), "error"


@router.post("/provider/trunks/{trunk_id}/test")
async def test_trunk(request: Request, trunk_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        await check_csrf(request, ctx.principal)
        trunk = await provider.get_trunk_by_id(ctx.session, trunk_id)
        result = await options_ping(
            trunk.host,
            trunk.port,
            trunk.transport.value,
            monotonic=ctx.services.clock.monotonic,
            wait_s=PROBE_WAIT_S,
        )
        flash, kind = _probe_message(ctx, trunk.name, result)
        return await _render(ctx, flash, kind, probe=(trunk.id, result))


# ---------------------------------------------------------------- outbound routes


@router.post("/provider/routes")
async def create_route(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        chosen = [str(v) for v in (await request.form()).getlist("trunks")][:20]

        async def work() -> str:
            name = text_field(form, "name", 100)
            if not name:
                raise ValidationFailed("route name is empty", field="name")
            await service.create_route(
                ctx.session, name=name, prefix=text_field(form, "prefix", 20), trunk_names=chosen
            )
            return t_of(ctx)("provider_trunks.route_created", name=name)

        return await _render(ctx, *await attempt(ctx, work))


@router.post("/provider/routes/{route_id}/delete")
async def delete_route(request: Request, route_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        await check_csrf(request, ctx.principal)

        async def work() -> str:
            route, _members = await provider.get_route(ctx.session, route_id)
            name = route.name
            await provider.delete_route(ctx.session, route_id)
            return t_of(ctx)("provider_trunks.route_deleted", name=name)

        return await _render(ctx, *await attempt(ctx, work))


@router.post("/provider/routes/{route_id}/move")
async def move_route_trunk(request: Request, route_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            offset = -1 if form.get("direction") == "up" else 1
            trunk_id = required_int(form, "trunk_id")
            await service.move_route_trunk(ctx.session, route_id, trunk_id, offset)
            return t_of(ctx)("provider_trunks.route_reordered")

        return await _render(ctx, *await attempt(ctx, work))


@router.post("/provider/routes/{route_id}/add")
async def add_route_trunk(request: Request, route_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            name = text_field(form, "trunk", 100)
            await service.add_route_trunk(ctx.session, route_id, name)
            return t_of(ctx)("provider_trunks.route_trunk_added", name=name)

        return await _render(ctx, *await attempt(ctx, work))


@router.post("/provider/routes/{route_id}/remove")
async def remove_route_trunk(request: Request, route_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            await service.remove_route_trunk(ctx.session, route_id, required_int(form, "trunk_id"))
            return t_of(ctx)("provider_trunks.route_trunk_removed")

        return await _render(ctx, *await attempt(ctx, work))
