"""Portal page of a tenant's numbers: each DID with where it goes, and forms that point it at an
extension, a call flow, a ring group, a conference room or an ACD queue, or at nothing.

Why these five: they are the destinations the number service and the router know for a DID
(`numbers.extension_id`, `ring_group_id`, `conference_id`, `queue_id`, and a flow binding, which
answers before the others: calls/router.py). There is no fax line in the number service yet, so
none is offered here.

The writes are the API's: `numbers.assign_number` (POST /api/v1/numbers, and the re-pointing of
a number the tenant holds already) and `flows.bind_number` / `flows.unbind` (the flow bindings
API). The form's target is `KIND:ID`; the id is looked up through the tenant's scope, so another
tenant's extension, group, room or flow is "not found" and nothing changes. A number held by
another tenant is the service's conflict, shown as the page's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.data.models import (
    CallQueue,
    Conference,
    Extension,
    FlowBinding,
    Number,
    RingGroup,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError, Forbidden, NotFound, ValidationFailed
from centrex.provisioning import conferences as conference_service
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import flows as flow_service
from centrex.provisioning import numbers as number_service
from centrex.provisioning import queues as queue_service
from centrex.provisioning import ring_groups as group_service
from centrex.web.i18n import translator
from centrex.web.portal import PageContext, check_csrf, language_for, page, render

router = APIRouter(include_in_schema=False)

# the destinations of a DID, in the order the page lists them
KINDS = ("extension", "flow", "ring_group", "conference", "queue")
MAX_E164 = 20


def _t(ctx: PageContext) -> Callable[..., str]:
    return translator(language_for(ctx.request, ctx.principal))


def _require_admin(ctx: PageContext) -> None:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")


async def _attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok") or (error message, "error")."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        return _t(ctx)("error.generic", message=exc.message), "error"


def parse_target(value: str) -> tuple[str, int] | None:
    """`extension:12` → ("extension", 12); "" → None (no destination); junk is refused."""
    text = value.strip()
    if not text:
        return None
    kind, _, ref = text.partition(":")
    if kind not in KINDS or not ref.isdigit() or len(ref) > 9 or int(ref) < 1:
        raise ValidationFailed(f"unknown destination {text[:40]!r}", error_id="bad-destination",
                               field="target")  # fmt: skip
    return kind, int(ref)


async def _row(scope: TenantScope, kind: str, ref: int) -> Any:
    """The tenant's extension, ring group, room or flow with this id (another tenant's: 404)."""
    if kind == "flow":
        return await flow_service.get_flow(scope, ref)
    model: type[Any] = {"extension": Extension, "ring_group": RingGroup,
                        "conference": Conference, "queue": CallQueue}[kind]  # fmt: skip
    row = await scope.first(model, model.id == ref)
    if row is None:
        label = kind.replace("_", " ")
        raise NotFound(f"{label} {ref} not found", error_id=f"{kind.replace('_', '-')}-not-found",
                       field="target")  # fmt: skip
    return row


async def point(ctx: PageContext, e164: str, target: str) -> Number:
    """Give `e164` to the tenant if needed and route it to `target` ("" for no destination).

    The number service does the routing (one destination; another tenant's number is a
    conflict); a flow is a binding on top of a number without another destination, and any
    other choice removes the number's binding, which would otherwise keep answering.
    """
    scope = ctx.scope
    chosen = parse_target(target)
    row: Any = await _row(scope, *chosen) if chosen else None
    kind = chosen[0] if chosen else ""
    tenant = await ctx.session.get(Tenant, scope.tenant_id)
    number = await number_service.assign_number(
        scope,
        e164,
        now=ctx.services.clock.utcnow(),
        country=tenant.country if tenant else None,
        extension_number=row.number if kind == "extension" else None,
        ring_group_number=row.number if kind == "ring_group" else None,
        conference_number=row.number if kind == "conference" else None,
        queue_number=row.number if kind == "queue" else None,
    )
    if kind == "flow":
        await flow_service.bind_number(scope, row.id, number.e164)
    else:
        binding = await scope.first(FlowBinding, FlowBinding.number_id == number.id)
        if binding is not None:
            await flow_service.unbind(scope, binding.id)
    return number


async def _choices(scope: TenantScope) -> dict[str, list[dict[str, str]]]:
    """Every destination the tenant has, per kind, as (value, label) for the select boxes."""
    _total, flows = await flow_service.list_flows(scope)
    return {
        "extension": [
            {"value": f"extension:{e.id}", "label": f"{e.number} {e.display_name}".strip()}
            for e in await extension_service.list_extensions(scope)
        ],
        "flow": [{"value": f"flow:{f.id}", "label": f.name} for f in flows],
        "ring_group": [
            {
                "value": f"ring_group:{g.group.id}",
                "label": f"{g.group.number} {g.group.name}".strip(),
            }
            for g in await group_service.list_ring_groups(scope)
        ],
        "conference": [
            {"value": f"conference:{c.id}", "label": f"{c.number} {c.name or ''}".strip()}
            for c in await conference_service.list_conferences(scope)
        ],
        "queue": [
            {"value": f"queue:{q.queue.id}", "label": f"{q.queue.number} {q.queue.name}".strip()}
            for q in await queue_service.list_queues(scope)
        ],
    }


async def _rows(
    scope: TenantScope, choices: dict[str, list[dict[str, str]]]
) -> list[dict[str, Any]]:
    labels = {c["value"]: c["label"] for kind in KINDS for c in choices[kind]}
    flows = {b.number_id: b.flow_id for b in await scope.list(FlowBinding) if b.number_id}
    rows = []
    for number in await number_service.list_numbers(scope):
        if number.id in flows:
            target = f"flow:{flows[number.id]}"
        elif number.extension_id is not None:
            target = f"extension:{number.extension_id}"
        elif number.ring_group_id is not None:
            target = f"ring_group:{number.ring_group_id}"
        elif number.conference_id is not None:
            target = f"conference:{number.conference_id}"
        elif number.queue_id is not None:
            target = f"queue:{number.queue_id}"
        else:
            target = ""
        rows.append({
            "id": number.id,
            "e164": number.e164,
            "state": number.state.value,
            "target": target,
            "kind": target.partition(":")[0],
            "label": labels.get(target, ""),
        })  # fmt: skip
    return rows


async def numbers_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    choices = await _choices(ctx.scope)
    return render(
        ctx.request,
        "numbers.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        numbers=await _rows(ctx.scope, choices),
        choices=choices,
        kinds=KINDS,
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/numbers")
async def tenant_numbers(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await numbers_page(ctx)


@router.post("/tenant/numbers")
async def tenant_number_form(request: Request) -> HTMLResponse:
    """Both forms post to the page's own address (a reload or a language switch stays on it):
    with `number_id`, re-point that number of the tenant ("" target: no destination); without,
    take the DID typed in `e164` for the tenant and route it."""
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        if form.get("number_id"):
            return await _route(ctx, form)
        return await _take(ctx, form)


async def _take(ctx: PageContext, form: dict[str, str]) -> HTMLResponse:
    async def work() -> str:
        e164 = form.get("e164", "").strip()
        if not e164 or len(e164) > MAX_E164:
            raise ValidationFailed("enter a number in E.164 (+41215550100) or national form",
                                   error_id="invalid-e164", field="e164")  # fmt: skip
        number = await point(ctx, e164, form.get("target", ""))
        return _t(ctx)("numbers.taken", e164=number.e164)

    flash, kind = await _attempt(ctx, work)
    return await numbers_page(ctx, flash, kind)


async def _route(ctx: PageContext, form: dict[str, str]) -> HTMLResponse:
    """Another tenant's number (or junk) in `number_id` is 404, as in the API."""
    text = form.get("number_id", "")
    number = (
        await ctx.scope.first(Number, Number.id == int(text))
        if text.isdigit() and len(text) < 10
        else None
    )
    if number is None:
        raise NotFound(f"number {text[:20]} not found", error_id="number-not-found")
    e164 = number.e164

    async def work() -> str:
        routed = await point(ctx, e164, form.get("target", ""))
        t = _t(ctx)
        if not form.get("target", "").strip():
            return t("numbers.unrouted", e164=routed.e164)
        return t("numbers.routed", e164=routed.e164)

    flash, kind = await _attempt(ctx, work)
    return await numbers_page(ctx, flash, kind)
