"""Agent states of a tenant's extensions: ready, paused (with a reason), logged out.

Why in the call layer: the agents' feature codes (`*50`-`*53`, `queue.py`) and provisioning
(the API's `PUT /api/v1/agents/{extension}/state`) change the same rows, and provisioning may
import the call layer but not the other way round (DESIGN.md §3).

* No row for an extension means READY: a static queue member answers calls from the start
  (the demo's 102 and 103), and `*51` or the API logs it out.
* A pause names a reason of the tenant's list (`pause_reasons`, codes 1-99 dialled after
  `*52`); a tenant that has none gets `DEFAULT_PAUSE_REASONS` on first use. The reason may be
  given by its code ("2") or its label ("lunch").
* Each change closes the interval of the previous state in `agent_events` when it was a pause
  (`pause` with its reason and length): the statistics' pause time by reason.
* Dynamic membership: `join_queue` adds the extension to a queue of *this* tenant (another
  tenant's queue is simply not found); logging out removes the dynamic memberships.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from centrex.data.models import (
    AgentEvent,
    AgentMode,
    AgentStateRecord,
    CallQueue,
    Extension,
    PauseReason,
    QueueMember,
)
from centrex.data.models.agent_log import write_agent_state
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

DEFAULT_PAUSE_REASONS: tuple[tuple[int, str], ...] = ((1, "break"), (2, "lunch"), (3, "meeting"))


@dataclass(frozen=True, slots=True)
class AgentView:
    extension: str
    state: AgentMode
    reason: str
    since: datetime | None
    queues: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "extension": self.extension,
            "state": self.state.value,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since is not None else None,
            "queues": list(self.queues),
        }


async def pause_reasons(scope: TenantScope) -> list[tuple[int, str]]:
    """The tenant's pause reasons (code, label), the defaults written on first use."""
    rows = await scope.list(PauseReason, order_by=PauseReason.code)
    if not rows:
        for code, label in DEFAULT_PAUSE_REASONS:
            scope.add(PauseReason(code=code, label=label))
        await scope.session.flush()
        rows = await scope.list(PauseReason, order_by=PauseReason.code)
    return [(r.code, r.label) for r in rows]


async def _extension(scope: TenantScope, number: str) -> Extension:
    extension = await scope.first(Extension, Extension.number == number)
    if extension is None:
        raise NotFound(f"extension {number} not found", error_id="extension-not-found")
    return extension


async def _reason(scope: TenantScope, reason: str) -> str:
    text = reason.strip()
    reasons = await pause_reasons(scope)
    for code, label in reasons:
        if text == str(code) or text.lower() == label.lower():
            return label
    known = ", ".join(f"{code} {label}" for code, label in reasons)
    raise ValidationFailed(f"unknown pause reason {reason!r} (the tenant's reasons: {known})",
                           error_id="agent-bad-pause-reason", field="reason")  # fmt: skip


async def queues_of(scope: TenantScope, extension: str) -> tuple[str, ...]:
    """The numbers of the tenant's queues the extension is a member of."""
    members = await scope.list(QueueMember, QueueMember.extension == extension)
    ids = {m.queue_id for m in members}
    if not ids:
        return ()
    queues = await scope.list(CallQueue, CallQueue.id.in_(ids), order_by=CallQueue.number)
    return tuple(q.number for q in queues)


async def agent_view(scope: TenantScope, extension: str) -> AgentView:
    await _extension(scope, extension)
    row = await scope.first(AgentStateRecord, AgentStateRecord.extension == extension)
    queues = await queues_of(scope, extension)
    if row is None:
        return AgentView(extension, AgentMode.READY, "", None, queues)
    return AgentView(extension, row.mode, row.reason, row.since, queues)


async def modes(scope: TenantScope, extensions: list[str]) -> dict[str, AgentMode]:
    """The chosen state of each extension (READY when it never chose)."""
    rows = await scope.list(AgentStateRecord, AgentStateRecord.extension.in_(extensions))
    chosen = {r.extension: r.mode for r in rows}
    return {e: chosen.get(e, AgentMode.READY) for e in extensions}


async def join_queue(scope: TenantScope, extension: str, queue_number: str) -> None:
    """Make the extension a (dynamic) member of this tenant's queue `queue_number`."""
    await _extension(scope, extension)
    queue = await scope.first(CallQueue, CallQueue.number == queue_number.strip())
    if queue is None:
        raise NotFound(f"queue {queue_number} not found", error_id="queue-not-found")
    member = await scope.first(
        QueueMember, QueueMember.queue_id == queue.id, QueueMember.extension == extension
    )
    if member is None:
        count = await scope.count(QueueMember, QueueMember.queue_id == queue.id)
        scope.add(QueueMember(queue_id=queue.id, extension=extension, level=1, static=False,
                              position=count))  # fmt: skip
        await scope.session.flush()


async def set_agent_state(
    scope: TenantScope,
    extension: str,
    state: str,
    now: datetime,
    reason: str = "",
    queue: str | None = None,
) -> AgentView:
    """Change the extension's agent state (see the module docstring); all checked first."""
    await _extension(scope, extension)
    try:
        mode = AgentMode(state)
    except ValueError:
        raise ValidationFailed(f"state must be ready, paused or logged-out, not {state!r}",
                               error_id="agent-bad-state", field="state") from None  # fmt: skip
    label = await _reason(scope, reason or "1") if mode is AgentMode.PAUSED else ""
    if queue is not None:
        if mode is not AgentMode.READY:
            raise ValidationFailed("an agent joins a queue logged in (state ready)",
                                   error_id="agent-bad-state", field="queue")  # fmt: skip
        await join_queue(scope, extension, queue)
    row = await scope.first(AgentStateRecord, AgentStateRecord.extension == extension)
    if row is None:
        scope.add(AgentStateRecord(extension=extension, mode=mode, reason=label, since=now))
    elif row.mode is not mode or row.reason != label:
        if row.mode is AgentMode.PAUSED:  # the pause ends: its time goes to the statistics
            seconds = max(0.0, (now - row.since).total_seconds())
            scope.add(AgentEvent(extension=extension, kind="pause", reason=row.reason,
                                 started_at=row.since, seconds=seconds))  # fmt: skip
        row.mode, row.reason, row.since = mode, label, now
    if mode is AgentMode.LOGGED_OUT:
        await scope.delete(
            QueueMember, QueueMember.extension == extension, QueueMember.static.is_(False)
        )
    # the history the statistics read (issue 16): every change, the codes' and the API's
    await write_agent_state(scope, (await _extension(scope, extension)).id, mode.value, label, now)
    await scope.session.flush()
    return await agent_view(scope, extension)
