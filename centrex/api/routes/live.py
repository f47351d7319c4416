"""/api/v1/registrations, /api/v1/calls and /api/v1/presence: live state read through the
`sources` Protocols.

A plain user sees only its own devices and calls, and every lamp of its tenant (as its phone's
busy-lamp keys do); hanging up is for tenant admins.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.live import calls_of, registrations_of
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.services import ApiServices
from centrex.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["live"], responses=PROBLEM_RESPONSES)

CallId = Annotated[str, Path(min_length=1, max_length=200)]


class RegistrationOut(BaseModel):
    aor: str
    contact: str
    source: str
    transport: str
    user_agent: str
    expires_at: str | None
    extension: str | None = None


class WebRtcOut(BaseModel):
    """ICE/DTLS/SRTP counters of a browser's leg (`centrex.media.webrtc.counters`)."""

    stun_binding_requests: int
    stun_bad: int
    ice_selected: str | None = None  # "host:port" of the ICE-selected pair
    dtls_state: str  # new, connecting, connected, failed
    dtls_failures: int
    dtls_failure: str | None = None
    srtp_profile: str | None = None
    srtp_packets_in: int
    srtp_packets_out: int
    srtp_auth_failures: int
    srtp_replay_failures: int
    srtp_unsent: int  # media dropped because no SRTP keys existed yet


class FindingOut(BaseModel):
    """One finding of the WebRTC doctor (`centrex.media.webrtc.doctor`): a stable code."""

    code: str
    message: str


class MediaLegOut(BaseModel):
    """RTP counters of one side of a live call (Centrex's view of that party); a browser's leg
    adds its WebRTC counters and the doctor's findings (blocking step first)."""

    side: str
    codec: str | None = None
    direction: str | None = None
    latched: bool | None = None
    packets_in: int = 0
    bytes_in: int = 0
    packets_out: int = 0
    bytes_out: int = 0
    lost: int = 0
    loss_ratio: float = 0.0
    jitter_ms: float = 0.0
    last_packet: float | None = None
    webrtc: WebRtcOut | None = None
    diagnosis: list[FindingOut] = []


class CallOut(BaseModel):
    call_id: str
    caller: str
    callee: str
    direction: str
    state: str
    started_at: str | None = None
    answered_at: str | None = None
    media: list[MediaLegOut] = []
    held: bool = False  # on hold from the API (`POST /api/v1/calls/{id}/hold`)
    park_slot: str | None = None  # parked there (`/park`, or a phone's transfer to 700)


@router.get("/registrations", response_model=Page[RegistrationOut])
async def list_registrations(
    request: Request, scope: Scope, caller: Caller, query: Listing
) -> dict[str, Any]:
    items = await registrations_of(request.app.state.services, scope, caller)
    return paginate(
        items,
        query,
        orders=("aor", "extension", "expires_at", "source"),
        default="aor",
        searchable=("aor", "contact", "user_agent", "source"),
    )


@router.get("/calls", response_model=Page[CallOut])
async def list_calls(
    request: Request, scope: Scope, caller: Caller, query: Listing
) -> dict[str, Any]:
    items = await calls_of(request.app.state.services, scope, caller)
    return paginate(
        items,
        query,
        orders=("started_at", "caller", "callee", "state", "call_id"),
        default="started_at",
        searchable=("caller", "callee", "call_id"),
    )


@router.get("/calls/{call_id}", response_model=CallOut)
async def get_call(request: Request, call_id: CallId, scope: Scope, caller: Caller) -> Any:
    """One live call of the tenant (a user's own only), with its media legs and the WebRTC
    doctor's findings; 404 if the tenant has no such call."""
    for item in await calls_of(request.app.state.services, scope, caller):
        if item["call_id"] == call_id:
            return item
    raise NotFound(f"no live call {call_id}", error_id="call-not-found")


class PresenceOut(BaseModel):
    extension: str
    name: str = ""
    state: str  # idle, ringing, busy, dnd, offline


@router.get("/presence", response_model=Page[PresenceOut])
async def list_presence(
    request: Request, scope: Scope, caller: Caller, query: Listing
) -> dict[str, Any]:
    """Every extension's lamp of the tenant (idle, ringing, busy, dnd, offline), live, for
    switchboards: any user of the tenant may see it, as any of its phones may watch a lamp."""
    _ = caller
    svc: ApiServices = request.app.state.services
    items = await svc.presence.list(scope.tenant_id)
    return paginate(
        items,
        query,
        orders=("extension", "state", "name"),
        default="extension",
        searchable=("extension", "name", "state"),
    )


@router.delete("/calls/{call_id}", status_code=204)
async def hangup_call(request: Request, call_id: CallId, scope: Scope, caller: Caller) -> Response:
    """Hang up one live call of the tenant (404 if the tenant has no such call)."""
    require_tenant_admin(caller)
    svc: ApiServices = request.app.state.services
    if not await svc.calls.hangup(scope.tenant_id, call_id):
        raise NotFound(f"no live call {call_id}", error_id="call-not-found")
    return Response(status_code=204)
