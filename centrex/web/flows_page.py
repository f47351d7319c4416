"""The visual call-flow builder (issue 21 item 2): `/tenant/flows` and `/tenant/flows/{id}/edit`.

The list page creates and deletes flows; the editor draws a flow's graph with Drawflow (npm,
served from `node_modules` like the softphone's SIP.js, never a CDN) and edits it by drag and
drop and a side panel. Why the editor holds no rule of its own: every check is the platform's
validator (`centrex.provisioning.flows.validate`, the code behind `POST /api/v1/flows/validate`)
and saving is `PATCH /api/v1/flows/{id}`, both called from the page's script with the session
cookie and its CSRF token, so a graph the API would refuse is refused here too, with each issue
drawn on its node. Simulation is a portal JSON route only because "Tuesday 19:30" must become an
instant in the flow's own time zone (zoneinfo, server side) before the platform's simulator
(`centrex.apps.ivr.simulate`) runs. Binding a DID or an extension posts a form to the same
binding service the API uses.

Node positions live in the graph under `layout` ({node id: {"x", "y"}}); the validator and the
IVR engine read only `start` and `nodes`, so the layout travels with the flow harmlessly.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from centrex.apps.ivr import FlowInvalid, Hangup, Simulation, parse_flow, simulate
from centrex.data.models import (
    CallFlow,
    CallQueue,
    Conference,
    Extension,
    MediaFile,
    MediaKind,
    RingGroup,
    Tenant,
)
from centrex.errors import CentrexError, Forbidden, NotFound, ValidationFailed
from centrex.provisioning import flows as service
from centrex.provisioning import numbers as number_service
from centrex.provisioning.flow_graph import TRANSFER_KINDS
from centrex.provisioning.flow_schedule import WEEKDAYS
from centrex.provisioning.prompt_catalog import CATALOG, normalise_language
from centrex.web.i18n import translator
from centrex.web.portal import PageContext, check_csrf, language_for, page, render

router = APIRouter(include_in_schema=False)

# The repository's node_modules (make install runs `npm ci` next to package.json).
DRAWFLOW_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "drawflow" / "dist"
DRAWFLOW_URL = "/static/vendor/drawflow"
DRAWFLOW_FILES = {"drawflow.min.js": "text/javascript", "drawflow.min.css": "text/css"}

# What a new flow starts as: the smallest valid graph (one node that says goodbye).
STARTER_GRAPH: dict[str, Any] = {
    "start": "start",
    "nodes": [{"id": "start", "type": "hangup", "prompt": "common.goodbye"}],
    "layout": {"start": {"x": 60, "y": 80}},
}
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_ANSWER = re.compile(r"[0-9*#]{0,9}")
MAX_ANSWERS = 100
# Validator error ids the editor names in words (others show the validator's message alone).
ISSUE_LABELS = (
    "flow-dangling-branch",
    "flow-unreachable-node",
    "flow-loop-without-input",
    "flow-missing-field",
    "flow-bad-node-id",
    "flow-unknown-start",
    "flow-missing-start",
)


# The strings the editor's script shows (translated here, handed over in the page's JSON).
JS_STRINGS = (
    *(f"type_{kind}" for kind in ("play", "menu", "time", "language", "transfer", "hangup")),
    *(f"port_{port}" for port in ("next", "open", "closed", "holiday", "timeout", "invalid")),
    *(f"kind_{kind}" for kind in sorted(TRANSFER_KINDS)),
    *(f"day_{day}" for day in WEEKDAYS),
    *(f"issue_{error}" for error in ISSUE_LABELS),
    *(f"field_{name}" for name in ("retries", "timeout_seconds", "timezone", "holidays")),
    "field_choices",
    "add_branch", "connections", "delete_node", "id_taken", "is_start", "make_start", "new_digit",
    "no_media", "node_id", "not_connected", "not_saved", "panel_empty", "port_digit", "problems",
    "prompt", "prompt_key", "prompt_media", "prompt_none", "prompt_text", "remove_branch",
    "saved", "schedule", "server_error", "sim_at", "sim_hangup", "sim_invalid", "sim_transfer",
    "start", "target", "target_kind", "target_value", "unsaved", "valid_saved", "valid_unsaved",
)  # fmt: skip


def drawflow_installed() -> bool:
    """False when `npm ci` has not run: the editor then says so instead of failing in script."""
    return all((DRAWFLOW_DIR / name).is_file() for name in DRAWFLOW_FILES)


@router.get(DRAWFLOW_URL + "/{name}")
async def drawflow_file(name: str) -> Response:
    """Drawflow's two files, straight from node_modules (nothing of it is copied into the repo)."""
    if name not in DRAWFLOW_FILES or not drawflow_installed():
        raise NotFound("no such file", error_id="static-not-found")
    return FileResponse(DRAWFLOW_DIR / name, media_type=DRAWFLOW_FILES[name])


def _require_admin(ctx: PageContext) -> None:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")


def _t(ctx: PageContext) -> Callable[..., str]:
    return translator(language_for(ctx.request, ctx.principal))


async def _attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok") or (error message, "error")."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        return _t(ctx)("flows.error", message=exc.message), "error"


# ---------------------------------------------------------------- the list of flows


async def _list_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    _total, flows = await service.list_flows(ctx.scope)
    rows = []
    for flow in flows:
        bindings = await service.list_bindings(ctx.scope, flow.id)
        rows.append(
            {
                "id": flow.id,
                "name": flow.name,
                "description": flow.description,
                "nodes": len(flow.graph.get("nodes", [])),
                "bindings": [b["number"] or b["extension"] for b in bindings],
            }
        )
    return render(
        ctx.request,
        "flows.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        flows=rows,
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/flows")
async def tenant_flows(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await _list_page(ctx)


@router.post("/tenant/flows", response_model=None)
async def tenant_create_flow(request: Request) -> Response:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        created: list[CallFlow] = []

        async def work() -> str:
            flow = await service.create_flow(
                ctx.scope,
                name=form.get("name", "")[:200],
                description=form.get("description", "")[:500],
                graph=STARTER_GRAPH,
                now=ctx.services.clock.utcnow(),
            )
            created.append(flow)
            return ""

        flash, kind = await _attempt(ctx, work)
        if kind == "error":
            return await _list_page(ctx, flash, kind)
        return RedirectResponse(
            f"/tenant/flows/{created[0].id}/edit{ctx.tenant_query}", status_code=303
        )


@router.post("/tenant/flows/{flow_id}/delete")
async def tenant_delete_flow(request: Request, flow_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        await check_csrf(request, ctx.principal)
        flow = await service.get_flow(ctx.scope, flow_id)  # another tenant's: 404
        name = flow.name

        async def work() -> str:
            await service.delete_flow(ctx.scope, flow_id)
            return _t(ctx)("flows.deleted", name=name)

        flash, kind = await _attempt(ctx, work)
        return await _list_page(ctx, flash, kind)


# ---------------------------------------------------------------- the editor


async def _choices(ctx: PageContext) -> dict[str, Any]:
    """What the side panel offers: prompts, the tenant's media, transfer targets, DIDs."""
    scope = ctx.scope
    lang = normalise_language(language_for(ctx.request, ctx.principal))
    extensions = await scope.list(Extension, order_by=Extension.number)

    async def numbers_of(model: Any) -> list[dict[str, str]]:
        rows = await scope.list(model, order_by=model.number)
        return [{"value": r.number, "label": f"{r.number} {r.name}".strip()} for r in rows]

    media = await scope.list(MediaFile, MediaFile.kind == MediaKind.PROMPT, order_by=MediaFile.id)
    own = [{"value": e.number, "label": f"{e.number} {e.display_name}".strip()} for e in extensions]
    return {
        "prompts": [{"value": k, "label": f"{k}: {texts[lang]}"} for k, texts in CATALOG.items()],
        "media": [{"value": m.id, "label": m.name} for m in media],
        "targets": {
            "extension": own,
            "voicemail": own,
            "ring_group": await numbers_of(RingGroup),
            "queue": await numbers_of(CallQueue),
            "conference": await numbers_of(Conference),
            "external": [],
        },
    }


async def _editor_page(
    ctx: PageContext, flow_id: int, flash: str = "", kind: str = "ok"
) -> HTMLResponse:
    flow = await service.get_flow(ctx.scope, flow_id)
    tenant = ctx.tenant
    assert tenant is not None
    numbers = [n.e164 for n in await number_service.list_numbers(ctx.scope)]
    extensions = [e.number for e in await ctx.scope.list(Extension, order_by=Extension.number)]
    t = _t(ctx)
    view = service.flow_view(flow)
    editor_data = {
        "flow": {"id": view["id"], "name": view["name"], "graph": view["graph"]},
        "choices": await _choices(ctx),
        "strings": {name: t(f"flows.{name}") for name in JS_STRINGS},
        "timezone": tenant.timezone,
        "staff": ctx.principal.is_staff,
        "tenant": tenant.domain,
        "tq": ctx.tenant_query,
    }
    return render(
        ctx.request,
        "flow_editor.html",
        ctx.principal,
        tenant=tenant,
        tenant_query=ctx.tenant_query,
        flow=view,
        editor_data=editor_data,
        bindings=await service.list_bindings(ctx.scope, flow.id),
        numbers=numbers,
        extensions=extensions,
        weekdays=WEEKDAYS,
        library=drawflow_installed(),
        drawflow_url=DRAWFLOW_URL,
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/flows/{flow_id}/edit")
async def tenant_edit_flow(request: Request, flow_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await _editor_page(ctx, flow_id)


@router.post("/tenant/flows/{flow_id}/bindings")
async def tenant_bind_flow(request: Request, flow_id: int) -> HTMLResponse:
    """Point a DID (`number`) or an extension (`extension`) at the flow."""
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        await service.get_flow(ctx.scope, flow_id)  # another tenant's: 404
        t = _t(ctx)

        async def work() -> str:
            number = form.get("number", "").strip()
            extension = form.get("extension", "").strip()
            if bool(number) == bool(extension):
                raise ValidationFailed("choose a number or an extension", field="number")
            if number:
                await service.bind_number(ctx.scope, flow_id, number)
                return t("flows.bound", target=number)
            await service.bind_extension(ctx.scope, flow_id, extension)
            return t("flows.bound", target=extension)

        flash, kind = await _attempt(ctx, work)
        return await _editor_page(ctx, flow_id, flash, kind)


@router.post("/tenant/flows/{flow_id}/bindings/{binding_id}/delete")
async def tenant_unbind_flow(request: Request, flow_id: int, binding_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        await check_csrf(request, ctx.principal)
        binding = await service.get_binding(ctx.scope, flow_id, binding_id)

        async def work() -> str:
            await service.unbind(ctx.scope, binding.id)
            return _t(ctx)("flows.unbound")

        flash, kind = await _attempt(ctx, work)
        return await _editor_page(ctx, flow_id, flash, kind)


# ---------------------------------------------------------------- simulation


def flow_zone(graph: dict[str, Any], fallback: str) -> ZoneInfo:
    """The zone a simulated wall-clock time is read in: the flow's first time condition's,
    else the tenant's (a flow without a time condition does not care)."""
    for node in graph.get("nodes", []):
        if isinstance(node, dict) and node.get("type") == "time":
            try:
                return ZoneInfo(str(node.get("timezone")))
            except (ZoneInfoNotFoundError, ValueError):
                break
    try:
        return ZoneInfo(fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def simulation_instant(
    now: datetime, zone: ZoneInfo, *, weekday: str, clock: str, day: str = ""
) -> datetime:
    """ "Tuesday 19:30" as an aware instant: the next such local time from `now` (today
    included), or that time on `day` (YYYY-MM-DD, to try a holiday)."""
    match = _HHMM.fullmatch(clock)
    if match is None:
        raise ValidationFailed(f"{clock!r} is not a time HH:MM", field="time")
    if day:
        try:
            local_day = date.fromisoformat(day)
        except ValueError as exc:
            raise ValidationFailed(f"{day!r} is not a date", field="date") from exc
    else:
        if weekday not in WEEKDAYS:
            raise ValidationFailed(f"{weekday!r} is not a weekday", field="weekday")
        today = now.astimezone(zone).date()
        local_day = today + timedelta(days=(WEEKDAYS.index(weekday) - today.weekday()) % 7)
    return datetime.combine(local_day, time(int(match[1]), int(match[2])), tzinfo=zone)


def answers(text: str) -> list[str]:
    """The caller's key presses, one answer per menu: "2", "1 2", "1,2" or "-" for a timeout."""
    items = [item for item in re.split(r"[\s,;]+", text.strip()) if item]
    out = ["" if item == "-" else item for item in items]
    if len(out) > MAX_ANSWERS or not all(_ANSWER.fullmatch(item) for item in out):
        raise ValidationFailed("keys are 0-9, * and # (one group per menu)", field="digits")
    return out


def simulation_view(result: Simulation, at: datetime) -> dict[str, Any]:
    action = result.action
    if isinstance(action, Hangup):
        done: dict[str, Any] = {"type": "hangup", "reason": action.reason}
    else:
        done = {"type": "transfer", "kind": action.target.kind, "value": action.target.value}
    return {
        "at": at.isoformat(),
        "path": [{"node": s.node, "type": s.type, "outcome": s.outcome} for s in result.path],
        "action": done,
        "language": result.language,
        "played": [f"{node}:{what}" for node, what in result.played],
    }


@router.post("/tenant/flows/{flow_id}/simulate")
async def tenant_simulate_flow(request: Request, flow_id: int) -> JSONResponse:
    """Run the platform's simulator on the editor's (unsaved) graph: the path and the action.
    JSON in and out; the session's CSRF token comes in `X-CSRF-Token` as for the API."""
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        sent = request.headers.get("x-csrf-token", "")
        if not ctx.principal.csrf_token or not hmac.compare_digest(sent, ctx.principal.csrf_token):
            raise Forbidden("missing or wrong X-CSRF-Token", error_id="csrf-failed")
        saved = await service.get_flow(ctx.scope, flow_id)  # another tenant's: 404
        body = await request.json()
        if not isinstance(body, dict):
            raise ValidationFailed("a JSON object is expected")
        sent_graph = body.get("graph")
        graph: dict[str, Any] = sent_graph if isinstance(sent_graph, dict) else saved.graph
        tenant = await ctx.session.get(Tenant, ctx.scope.tenant_id)
        zone = flow_zone(graph, tenant.timezone if tenant else "UTC")
        at = simulation_instant(
            ctx.services.clock.utcnow(),
            zone,
            weekday=str(body.get("weekday", "")),
            clock=str(body.get("time", "")),
            day=str(body.get("date", "") or ""),
        )
        digits = answers(str(body.get("digits", "")))
        try:
            flow = parse_flow(graph)
        except FlowInvalid as exc:
            issues = [issue.as_dict() for issue in exc.issues]
            return JSONResponse({"valid": False, "issues": issues}, status_code=422)
        language = normalise_language(str(body.get("language", "en")))
        result = simulate(flow, now=at, digits=digits, language=language)
        return JSONResponse(simulation_view(result, at))
