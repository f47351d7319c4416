"""The supervisor console (`/supervisor`, issue 16 item 2): the live floor, the campaigns with
their figures and controls, listen/whisper/barge on an agent's call, and the recording search
with playback in the page. For supervisors and tenant administrators (`api/supervision.py`).

The page is rendered with everything as it is now (so it is right before any script runs):
the floor from the queue agent states of every campaign agent, the campaigns with drop % today,
leads left and hopper (`contact_center/supervision.py`). `static/supervisor.js` then reads
`GET /api/v1/agents/sessions` (the agent desktop's sessions: state, campaign, current call) and
falls back to each agent's `GET /api/v1/agents/{extension}/state` where that route does not
answer; it reads again on every queue, call and dialer (`campaign.call`) event of
`/api/v1/events`, which also says which agent is on which lead's call. Actions go through the
REST API with the session cookie and its CSRF token: campaign start/pause/focus/assignment,
`POST /api/v1/calls/{id}/monitor`, `GET /api/v1/recordings?...`. The `<audio>` player reads
`/supervisor/recordings/{id}/audio` here (an element cannot send the staff's tenant header).
The statistics and the exports have their own page, `/supervisor/stats`
(`supervisor_stats_page.py`, whose router this one includes), linked from the console.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from centrex.api.supervision import may_supervise
from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center import dispositions as disposition_service
from centrex.contact_center.supervision import campaign_figures, floor
from centrex.errors import Forbidden
from centrex.provisioning import queues as queue_service
from centrex.provisioning import recordings as recording_service
from centrex.web.audio_common import wav_response
from centrex.web.i18n import Translate, translator
from centrex.web.portal import PageContext, language_for, page, render
from centrex.web.supervisor_stats_page import router as stats_router
from centrex.web.switchboard_page import own_extension

router = APIRouter(include_in_schema=False)
router.include_router(stats_router)  # /supervisor/stats: the statistics page and downloads

AGENT_STATES = ("ready", "paused", "wrap-up", "in-call", "logged-out")
CAMPAIGN_STATUSES = ("draft", "running", "paused", "stopped")
MONITOR_MODES = ("listen", "whisper", "barge")

# What the script shows by itself: handed to it as a JSON data block in the page, so every
# visible string goes through the catalogs.
SCRIPT_KEYS = (
    "supervisor.source_sessions",
    "supervisor.source_states",
    "supervisor.no_call",
    "supervisor.no_own_extension",
    "supervisor.monitoring",
    "supervisor.done",
    "supervisor.failed",
    "supervisor.found",
    "supervisor.none_found",
    "supervisor.play",
    "supervisor.playing",
    "supervisor.lead",
    *(f"supervisor.state.{state}" for state in AGENT_STATES),
    *(f"supervisor.status.{status}" for status in CAMPAIGN_STATUSES),
    *(f"supervisor.mode.{mode}" for mode in MONITOR_MODES),
)


def script_strings(t: Translate) -> dict[str, str]:
    return {key: t(key) for key in SCRIPT_KEYS}


def require_supervisor(ctx: PageContext) -> None:
    if not may_supervise(ctx.principal):
        raise Forbidden("supervisors and tenant administrators only")


@router.get("/supervisor")
async def supervisor_console(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_supervisor(ctx)
        now = ctx.services.clock.utcnow()
        campaigns = await campaign_service.list_campaigns(ctx.scope)
        figures = [await campaign_figures(ctx.scope, c, now) for c in campaigns]
        names = {c.id: c.name for c in campaigns}
        agents: list[dict[str, Any]] = await floor(ctx.scope, campaigns)
        for agent in agents:
            agent["campaign_names"] = [names[i] for i in agent["campaigns"]]
        queues = [v.as_dict() for v in await queue_service.list_queues(ctx.scope)]
        t = translator(language_for(request, ctx.principal))
        return render(
            request,
            "supervisor.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            campaigns=figures,
            campaign_names=names,
            agents=agents,
            queues=queues,
            dispositions=await disposition_service.list_dispositions(ctx.scope),
            own_extension=await own_extension(ctx),
            modes=MONITOR_MODES,
            strings=script_strings(t),
        )


@router.get("/supervisor/recordings/{recording_id}/audio")
async def supervisor_recording_audio(request: Request, recording_id: int) -> FileResponse:
    """A recording's WAV inline for the console's `<audio>` (404 for another tenant's)."""
    async with page(request, need_tenant=True) as ctx:
        require_supervisor(ctx)
        store = ctx.services.media_store
        path = await recording_service.recording_file(ctx.scope, store, recording_id)
        return wav_response(path, f"recording-{recording_id}.wav")
