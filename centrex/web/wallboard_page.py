"""The queue wallboard: calls waiting, the longest wait, agents by state and today's service
level of one of the tenant's queues, updated live (issue 13 item 7).

The page is rendered with the queue as it is now (`GET /api/v1/queues/{id}/wallboard`'s
numbers), so it is right before any script runs; `static/wallboard.js` then listens to
`/api/v1/events` and reads the wallboard again on every queue event (a caller entered or left,
an agent changed state) and call event, and counts the longest wait up every second between
two reads. For tenant administrators (supervisors read the same API).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.errors import Forbidden
from centrex.provisioning import queues as queue_service
from centrex.provisioning.queue_wallboard import STATES, wallboard
from centrex.web.i18n import translator
from centrex.web.portal import language_for, page, render

router = APIRouter(include_in_schema=False)

SCRIPT_KEYS = tuple(f"wb.state.{state}" for state in STATES)


@router.get("/tenant/wallboard")
async def wallboard_page(request: Request, queue: int | None = None) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        if not ctx.principal.is_tenant_admin:
            raise Forbidden("tenant administrators only")
        t = translator(language_for(request, ctx.principal))
        queues = await queue_service.list_queues(ctx.scope)
        chosen = next((v for v in queues if v.queue.id == queue), queues[0] if queues else None)
        board = (
            await wallboard(ctx.scope, chosen, ctx.services.clock.utcnow())
            if chosen is not None
            else None
        )
        return render(
            request,
            "wallboard.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            queues=[v.as_dict() for v in queues],
            board=board,
            states=STATES,
            strings={key: t(key) for key in SCRIPT_KEYS},
        )
