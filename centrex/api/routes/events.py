"""WebSocket /api/v1/events: registration and call events (started, ringing, answered, ended)
within the caller's scope, as JSON objects (`centrex.events.Event.to_dict`). A plain user (an
agent) sees its own lines' registrations and calls and the dialer's `campaign.call` events of
leads offered or connected to its lines (never a dropped lead, never another agent's lead).
A supervisor sees every event of its tenant, like a tenant admin: it watches the whole floor.

Authentication: `?token=...`, an `Authorization: Bearer` header, or the portal session cookie.
Staff may narrow to one tenant with `?tenant=DOMAIN` (or `Centrex-Tenant`). The first message is
`{"kind": "ready"}`: from then on every event in scope is delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from centrex.api.auth import SESSION_COOKIE, TENANT_HEADER, Principal, authenticate
from centrex.api.services import ApiServices
from centrex.data.models import Extension, SipCredential
from centrex.data.reach import Reach
from centrex.errors import CentrexError
from centrex.events import CallEvent, Event, LeadOffered, RegistrationChanged

log = logging.getLogger(__name__)

router = APIRouter()

POLICY_VIOLATION = 1008


class EventFilter:
    """Decides which events a subscriber may see: its tenants, and for a user its own lines."""

    def __init__(
        self,
        tenant_ids: set[int] | None,
        usernames: set[str] | None = None,
        numbers: set[str] | None = None,
    ) -> None:
        self.tenant_ids = tenant_ids
        self.usernames = usernames
        self.numbers = numbers

    def allows(self, event: Event) -> bool:
        if self.tenant_ids is not None and event.tenant_id not in self.tenant_ids:
            return False
        if isinstance(event, RegistrationChanged):
            if self.usernames is None:
                return True
            return event.aor.split(":", 1)[-1].split("@", 1)[0] in self.usernames
        if isinstance(event, CallEvent):
            return self.numbers is None or bool({event.caller, event.callee} & self.numbers)
        if isinstance(event, LeadOffered):  # an agent's desktop: the leads offered to its lines
            return self.numbers is None or event.extension in self.numbers
        return self.usernames is None


async def _filter_for(svc: ApiServices, websocket: WebSocket) -> EventFilter:
    token = websocket.query_params.get("token")
    authorization = websocket.headers.get("authorization") or (f"Bearer {token}" if token else None)
    domain = websocket.query_params.get("tenant") or websocket.headers.get(TENANT_HEADER)
    async with svc.database.session() as session:
        principal: Principal = await authenticate(
            session,
            svc,
            authorization=authorization,
            cookie=websocket.cookies.get(SESSION_COOKIE),
            method="GET",
            csrf_header=None,
        )
        reach = Reach.of(session, principal)
        acting = await reach.acting_tenant(domain)
        reachable = {acting.id} if acting is not None else await reach.tenant_ids()
        tenant_ids = set(reachable) if reachable is not None else None
        if principal.is_tenant_admin or principal.role.value == "supervisor":
            return EventFilter(tenant_ids)  # a supervisor watches its whole tenant's floor
        extensions = (
            await session.scalars(
                select(Extension).where(
                    Extension.tenant_id == principal.tenant_id,
                    Extension.user_id == principal.user_id,
                )
            )
        ).all()
        ids = [e.id for e in extensions]
        usernames = set(
            (
                await session.scalars(
                    select(SipCredential.username).where(SipCredential.extension_id.in_(ids))
                )
            ).all()
        )
        return EventFilter(tenant_ids, usernames, {e.number for e in extensions})


async def _wait_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


@router.websocket("/api/v1/events")
async def events(websocket: WebSocket) -> None:
    svc: ApiServices = websocket.app.state.services
    try:
        event_filter = await _filter_for(svc, websocket)
    except CentrexError as exc:
        await websocket.close(code=POLICY_VIOLATION, reason=exc.error_id)
        return
    await websocket.accept()
    queue = svc.events.subscribe()
    receiver = asyncio.create_task(_wait_disconnect(websocket))
    try:
        await websocket.send_json({"kind": "ready"})
        while True:
            getter: asyncio.Task[Event] = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                break
            event = getter.result()
            if event_filter.allows(event):
                payload: dict[str, Any] = event.to_dict()
                await websocket.send_json(payload)
    except (WebSocketDisconnect, RuntimeError):
        log.debug("events subscriber went away")
    finally:
        svc.events.unsubscribe(queue)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await receiver
