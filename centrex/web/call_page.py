"""One live call's page for tenant administrators: its parties, each media leg's counters and,
for a browser's leg, the WebRTC doctor's findings (issue 14 item 7).

"No audio" on a browser call is ICE, DTLS or SRTP failing silently; the page says which step
failed and what to check, from the same view as `GET /api/v1/calls/{id}` (`api.live.calls_of`,
which the call layer fills with the counters and `centrex.media.webrtc.doctor`'s findings).
Another tenant's call, or an ended one, is 404 (the scope comes from the session).
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from centrex.api.live import calls_of
from centrex.errors import Forbidden, NotFound
from centrex.web.portal import page, render

router = APIRouter(include_in_schema=False)

# The counters of a browser leg, in the order of the media path (ICE, DTLS, SRTP).
WEBRTC_FIELDS = (
    "stun_binding_requests",
    "stun_bad",
    "ice_selected",
    "dtls_state",
    "dtls_failures",
    "dtls_failure",
    "srtp_profile",
    "srtp_packets_in",
    "srtp_packets_out",
    "srtp_auth_failures",
    "srtp_replay_failures",
    "srtp_unsent",
)
RTP_FIELDS = ("codec", "direction", "packets_in", "packets_out", "lost", "jitter_ms")


@router.get("/tenant/calls/{call_id}")
async def call_page(request: Request, call_id: str = Path(max_length=200)) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        if not ctx.principal.is_tenant_admin:
            raise Forbidden("tenant administrators only")
        calls = await calls_of(ctx.services, ctx.scope, ctx.principal)
        call = next((c for c in calls if c["call_id"] == call_id), None)
        if call is None:
            raise NotFound(f"no live call {call_id}", error_id="call-not-found")
        return render(
            request,
            "call.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            call=call,
            webrtc_fields=WEBRTC_FIELDS,
            rtp_fields=RTP_FIELDS,
        )
