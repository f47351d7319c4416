"""The agent desktop's session (issue 16): log in to campaigns, ready, pause, in a call,
wrap-up, logged out.

Theory of operation — a small state machine over one `AgentSession` row per extension:

==============  ===============================================  ===========================
from            input                                            to
==============  ===============================================  ===========================
any             PUT ready (refused while ``wrap_required``:       ready
                409 ``disposition-required``)
any             PUT paused with one of the tenant's pause        paused
                reasons (``agent-bad-pause-reason`` otherwise)
any             PUT logged-out                                   logged-out
ready, paused   the dialer connects a lead (`LeadOffered`        in-call (lead, call and
                "connected" for the session's extension)         campaign set, a
                                                                 disposition owed)
in-call         the connected call ends (`CallEvent` "ended"     wrap-up
                with the session's call id)
any             the agent dispositions the session's lead        (unchanged; the owed
                (`POST /leads/{id}/disposition`)                 disposition is cleared)
==============  ===============================================  ===========================

The queue agent state (`calls/features/agent_state.py`, what `*50`-`*53` change) is kept in
step: ready, paused and logged-out set it too, so a desk phone, the queue's ACD and the dialer
agree. What only the desktop knows — wrap-up, the campaigns logged in to — the dialer reads
through `unavailable_for`: it offers no call to a session in wrap-up or paused, nor of a
campaign the session did not log in to. An extension without a session (a phone-only agent)
is unaffected.

Every state change is written by T's `agent_log.record_agent_state` (the statistics' state
log). Tenant isolation: every look-up goes through `TenantScope`; the event follower opens the
scope of the event's tenant, so an event never touches another tenant's sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from centrex.calls.features import agent_state as agents
from centrex.clock import Clock
from centrex.contact_center.agent_log import record_agent_state
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.data.db import Database
from centrex.data.models import AgentSession, Campaign, Extension, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.events import CallEvent, Event, EventBus, LeadOffered, QueueChanged

log = logging.getLogger(__name__)

STATES = ("ready", "paused", "wrap-up", "in-call", "logged-out")
CHOSEN = ("ready", "paused", "logged-out")  # what an agent may ask for
PHONES = ("browser", "extension")
BLOCKED = ("paused", "wrap-up")  # the dialer offers these nothing
MAX_CAMPAIGNS = 20


async def _record(
    scope: TenantScope, row: AgentSession, at: datetime, campaign_id: int | None = None
) -> None:
    """The state log of the statistics (`agent_log`: time per state, reason and campaign)."""
    await record_agent_state(scope, row.extension_id, row.state, row.reason, at,
                                       campaign_id=campaign_id)  # fmt: skip


async def _extension(scope: TenantScope, number: str) -> Extension:
    extension = await scope.first(Extension, Extension.number == number)
    if extension is None:
        raise NotFound(f"extension {number} not found", error_id="extension-not-found")
    return extension


def _view(
    row: AgentSession | None, number: str, names: dict[int, str], now: datetime
) -> dict[str, Any]:
    if row is None:
        return {"extension": number, "campaigns": [], "phone": "extension",
                "state": "logged-out", "reason": "", "since": None, "seconds_in_state": 0,
                "lead_id": None, "campaign_id": None, "call_id": "",
                "wrap_required": False}  # fmt: skip
    return {
        "extension": number,
        "campaigns": [{"id": c, "name": names[c]} for c in row.campaigns if c in names],
        "phone": row.phone,
        "state": row.state,
        "reason": row.reason,
        "since": row.since.isoformat(),
        "seconds_in_state": max(0, int((now - row.since).total_seconds())),
        "lead_id": row.lead_id,
        "campaign_id": row.campaign_id,
        "call_id": row.call_id,
        "wrap_required": row.wrap_required,
    }


async def _names(scope: TenantScope) -> dict[int, str]:
    return {c.id: c.name for c in await scope.list(Campaign)}


async def get_session(scope: TenantScope, number: str, now: datetime) -> dict[str, Any]:
    """The session of the extension `number` (logged out when it never logged in)."""
    extension = await _extension(scope, number)
    row = await scope.first(AgentSession, AgentSession.extension_id == extension.id)
    return _view(row, number, await _names(scope), now)


async def list_sessions(scope: TenantScope, now: datetime) -> list[dict[str, Any]]:
    """Every session of the tenant, by extension number (supervisors' floor)."""
    stmt = (
        select(AgentSession, Extension.number)
        .join(Extension, Extension.id == AgentSession.extension_id)
        .where(AgentSession.tenant_id == scope.tenant_id, Extension.tenant_id == scope.tenant_id)
        .order_by(Extension.number)
    )
    names = await _names(scope)
    rows = (await scope.session.execute(stmt)).all()
    return [_view(row, str(number), names, now) for row, number in rows]


async def _check_campaigns(
    scope: TenantScope, extension: Extension, ids: Iterable[int]
) -> list[int]:
    """The campaigns to log in to: the tenant's, and the extension must be one of its agents."""
    checked: list[int] = []
    for campaign_id in ids:
        campaign = await scope.first(Campaign, Campaign.id == campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} not found", error_id="campaign-not-found")
        members = await campaign_agents(scope.session, scope.tenant_id, campaign.id)
        if extension.id not in {m.extension_id for m in members}:
            raise ValidationFailed(
                f"extension {extension.number} is not an agent of campaign {campaign.name}",
                error_id="agent-not-in-campaign", field="campaigns",
            )  # fmt: skip
        if campaign.id not in checked:
            checked.append(campaign.id)
    if len(checked) > MAX_CAMPAIGNS:
        raise ValidationFailed(f"an agent logs in to at most {MAX_CAMPAIGNS} campaigns",
                               error_id="agent-too-many-campaigns", field="campaigns")  # fmt: skip
    return checked


async def set_session(
    scope: TenantScope,
    number: str,
    *,
    state: str,
    now: datetime,
    reason: str = "",
    campaigns: list[int] | None = None,
    phone: str | None = None,
) -> dict[str, Any]:
    """Log in, change state or log out (module docstring); everything is checked first."""
    extension = await _extension(scope, number)
    if state not in CHOSEN:
        raise ValidationFailed(f"state must be ready, paused or logged-out, not {state!r}",
                               error_id="agent-bad-state", field="state")  # fmt: skip
    if phone is not None and phone not in PHONES:
        raise ValidationFailed(f"phone must be browser or extension, not {phone!r}",
                               error_id="agent-bad-phone", field="phone")  # fmt: skip
    if state == "paused" and not reason.strip():
        raise ValidationFailed("a pause needs one of the tenant's pause reasons",
                               error_id="agent-bad-pause-reason", field="reason")  # fmt: skip
    chosen = await _check_campaigns(scope, extension, campaigns) if campaigns is not None else None
    row = await scope.first(AgentSession, AgentSession.extension_id == extension.id)
    if state == "ready" and row is not None and row.wrap_required:
        raise Conflict("the last call's lead needs a disposition before the next call",
                       error_id="disposition-required", field="state")  # fmt: skip
    if state != "logged-out" and not (chosen or (row is not None and row.campaigns)):
        raise ValidationFailed("log in to at least one campaign",
                               error_id="agent-no-campaign", field="campaigns")  # fmt: skip
    view = await agents.set_agent_state(scope, number, state, now, reason)
    label = view.reason
    if row is None:
        row = scope.add(AgentSession(extension_id=extension.id, campaigns=chosen or [],
                                     phone=phone or "extension", state=state, reason=label,
                                     since=now, call_id="", wrap_required=False))  # fmt: skip
        changed = True
    else:
        changed = row.state != state or row.reason != label
        if chosen is not None:
            row.campaigns = chosen
        if phone is not None:
            row.phone = phone
        if changed:
            row.state, row.reason, row.since = state, label, now
    await scope.session.flush()
    if changed:
        await _record(scope, row, now)
    return _view(row, number, await _names(scope), now)


async def unavailable_for(
    scope: TenantScope, campaign_id: int, extension_ids: Iterable[int]
) -> set[int]:
    """The extensions (of `extension_ids`) whose session keeps them from this campaign's calls:
    paused, in wrap-up, or logged in to other campaigns only. No session: available."""
    ids = list(extension_ids)
    if not ids:
        return set()
    rows = await scope.list(AgentSession, AgentSession.extension_id.in_(ids))
    return {
        r.extension_id for r in rows
        if r.state in BLOCKED or (r.state != "logged-out" and campaign_id not in r.campaigns)
    }  # fmt: skip


async def disposed(scope: TenantScope, lead_id: int, by_extensions: set[int] | None) -> None:
    """A disposition of `lead_id` was saved: the sessions that owed it owe nothing now (only
    the agent's own when `by_extensions` names its extensions)."""
    rows = await scope.list(AgentSession, AgentSession.lead_id == lead_id,
                            AgentSession.wrap_required.is_(True))  # fmt: skip
    for row in rows:
        if by_extensions is None or row.extension_id in by_extensions:
            row.wrap_required = False
    await scope.session.flush()


async def connected(
    scope: TenantScope, number: str, lead_id: int, call_id: str, campaign: str, now: datetime
) -> bool:
    """The dialer connected a lead to `number`: its session goes in-call (False: no session)."""
    extension = await scope.first(Extension, Extension.number == number)
    if extension is None:
        return False
    row = await scope.first(AgentSession, AgentSession.extension_id == extension.id)
    if row is None or row.state == "logged-out":
        return False
    found = await scope.first(Campaign, Campaign.name == campaign)
    row.state, row.reason, row.since = "in-call", "", now
    row.lead_id, row.call_id = lead_id, call_id
    row.campaign_id = found.id if found is not None else None
    row.wrap_required = True
    await scope.session.flush()
    await _record(scope, row, now, row.campaign_id)
    return True


async def call_ended(scope: TenantScope, call_id: str, now: datetime) -> list[str]:
    """The call `call_id` ended: sessions in that call go to wrap-up (their extensions)."""
    rows = await scope.list(AgentSession, AgentSession.call_id == call_id,
                            AgentSession.state == "in-call")  # fmt: skip
    for row in rows:
        row.state, row.reason, row.since = "wrap-up", "", now
        await _record(scope, row, now, row.campaign_id)
    await scope.session.flush()
    ids = [row.extension_id for row in rows]
    found = await scope.list(Extension, Extension.id.in_(ids)) if ids else []
    return sorted(e.number for e in found)


class SessionFollower:
    """Moves sessions on the bus's events (started and stopped by `server.py`): a lead
    connected to an agent, the call's end; each move is told on the bus as a `QueueChanged`
    "agent" event (wallboards, the supervisor's floor). A failing event is logged, never the
    loop's end."""

    def __init__(self, database: Database, bus: EventBus, clock: Clock) -> None:
        self.database = database
        self.bus = bus
        self.clock = clock
        self._queue: asyncio.Queue[Event] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._queue = self.bus.subscribe()
            self._task = asyncio.create_task(self._run(self._queue))

    async def stop(self) -> None:
        if self._task is not None and self._queue is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self.bus.unsubscribe(self._queue)
            self._task = None

    async def _run(self, queue: asyncio.Queue[Event]) -> None:
        while True:
            event = await queue.get()
            try:
                await self.apply(event)
            except Exception:
                log.exception("agent sessions: event %s not applied", event.kind)

    async def apply(self, event: Event) -> None:
        """Apply one event (tests call this directly)."""
        if event.tenant_id is None:
            return
        wanted = isinstance(event, LeadOffered) and event.state == "connected"
        ended = isinstance(event, CallEvent) and event.state == "ended"
        if not (wanted or ended):
            return
        moved: list[str] = []
        async with self.database.transaction() as session:
            tenant = await session.get(Tenant, event.tenant_id)
            if tenant is None:
                return
            scope = TenantScope(session, tenant.id, tenant.domain)
            now = self.clock.utcnow()
            if isinstance(event, LeadOffered):
                if await connected(scope, event.extension, event.lead_id, event.call_id,
                                   event.campaign, now):  # fmt: skip
                    moved = [event.extension]
            elif isinstance(event, CallEvent):
                moved = await call_ended(scope, event.call_id, now)
        for number in moved:  # committed: a reader of the session sees the new state
            self.bus.publish(QueueChanged(event.tenant_id, state="agent", extension=number))
